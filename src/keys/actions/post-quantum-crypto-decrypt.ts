import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoDecryptRequest, PostQuantumCryptoDecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { parsePqBlob } from "../../crypto/pq-ciphertext.js";
import { asymmetricMaterial, replyPlaintext, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { keyNotFound } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertUsageKind } from "../usages.js";
import { decryptableVersion } from "../versions.js";

/** PostQuantumCryptoDecrypt: the blob names its key and version; optionally re-encrypts the plaintext to the caller's public key. */
export async function postQuantumCryptoDecrypt(
  deps: KmsDeps,
  req: PostQuantumCryptoDecryptRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof PostQuantumCryptoDecryptResponseSchema>> {
  const blob = parsePqBlob(req.ciphertextBlob);
  const key = await deps.repo.getKey(blob.keyId);
  if (!key) throw keyNotFound(blob.keyId);
  const usage = assertUsageKind(key, "pq-encrypt");
  assertTransition(key, "Decrypt");
  decryptableVersion(key, blob.keyVersion);
  const { privateKey } = await asymmetricMaterial(deps, key, blob.keyVersion);
  const plaintext = await runEngine(
    deps,
    { op: "decrypt", spec: usage.spec, privateKey, ciphertext: blob.inner, algorithm: "ML_KEM_768", aad: blob.header },
    "FailedOperation.DecryptError",
    "decryption failed: the ciphertext does not match",
  );
  return { keyId: key.keyId, plainText: await replyPlaintext(deps, plaintext, req.encryptionPublicKey, req.encryptionAlgorithm) };
}
