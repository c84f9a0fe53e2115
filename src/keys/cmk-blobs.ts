/**
 * Symmetric ciphertext blobs under a CMK (layout: crypto/ciphertext.ts):
 * sealed under the key's primary version, opened with the version the blob
 * names. Encrypt, GenerateDataKey, ReEncrypt and Decrypt use these; so can
 * another family that keeps data under a customer's key (resolveKey(deps,
 * call, "encrypt", keyId) first).
 */
import { KmsError } from "../errors.js";
import { decryptBlob, encryptBlob, parseBlob, type ParsedBlob } from "../crypto/ciphertext.js";
import type { CallContext } from "../call.js";
import type { KmsDeps } from "./deps.js";
import { resolveKey, type SymmetricKeyUse } from "./resolver.js";

/** Encrypts `plaintext` under a resolved key ("encrypt" purpose), binding `context` (canonical bytes). */
export function sealUnderKey(deps: KmsDeps, use: SymmetricKeyUse, plaintext: Uint8Array, context: Uint8Array): Uint8Array {
  return encryptBlob(use.aead, use, plaintext, context, deps.nonce);
}

export interface OpenedBlob {
  use: SymmetricKeyUse;
  blob: ParsedBlob;
  plaintext: Uint8Array;
}

/** Decrypts a blob with the key and version it names; `context` must equal the one bound at encryption. */
export async function openBlob(deps: KmsDeps, call: CallContext, blobBytes: Uint8Array, context: Uint8Array): Promise<OpenedBlob> {
  if (blobBytes.length === 0) throw new KmsError("InvalidParameterValue.InvalidCiphertext", "CiphertextBlob is required");
  const blob = parseBlob(blobBytes);
  const use = await resolveKey(deps, call, "decrypt", blob.keyId, blob);
  return { use, blob, plaintext: decryptBlob(use.aead, blob, context) };
}
