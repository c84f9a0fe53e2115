/** Encrypt under a key's newest version / decrypt with the version a blob names. Shared by the crypto actions. */
import { KmsError } from "../errors.js";
import { decryptBlob, encryptBlob, invalidCiphertext, parseBlob, type ParsedBlob } from "../crypto/ciphertext.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord } from "./key.js";
import { assertSymmetric, keyNotFound, symmetricAlgorithmOf, versionAead } from "./resolve.js";
import { assertTransition } from "./state.js";
import { decryptableVersion, primaryVersion } from "./versions.js";

/** Encrypts `plaintext` under the key's newest version, binding `context` (canonical bytes). */
export async function encryptWithKey(deps: KmsDeps, key: KeyRecord, plaintext: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const algorithm = symmetricAlgorithmOf(key);
  assertTransition(key, "Encrypt");
  const version = primaryVersion(key);
  if (version === undefined) throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} has no enabled version`);
  const aead = await versionAead(deps, key, version, () => new KmsError("InternalError", `key ${key.keyId} version ${version} is missing`));
  return encryptBlob(aead, { algorithm, keyId: key.keyId, keyVersion: version }, plaintext, context, deps.nonce);
}

export interface Decrypted {
  key: KeyRecord;
  blob: ParsedBlob;
  plaintext: Uint8Array;
}

/** Decrypts a blob with the key and version it names; `context` must equal the one bound at encryption. */
export async function decryptWithBlobKey(deps: KmsDeps, blobBytes: Uint8Array, context: Uint8Array): Promise<Decrypted> {
  if (blobBytes.length === 0) throw new KmsError("InvalidParameterValue.InvalidCiphertext", "CiphertextBlob is required");
  const blob = parseBlob(blobBytes);
  const key = await deps.repo.getKey(blob.keyId);
  if (!key) throw keyNotFound(blob.keyId);
  assertSymmetric(key);
  assertTransition(key, "Decrypt");
  if (blob.algorithm.name !== key.algorithm) throw invalidCiphertext();
  decryptableVersion(key, blob.keyVersion);
  const aead = await versionAead(deps, key, blob.keyVersion, invalidCiphertext);
  return { key, blob, plaintext: decryptBlob(aead, blob, context) };
}
