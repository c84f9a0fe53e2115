import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoDecryptRequest, PostQuantumCryptoDecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { parsePqBlob } from "../../crypto/pq-ciphertext.js";
import type { CallContext } from "../../call.js";
import { replyPlaintext, runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";

/** PostQuantumCryptoDecrypt: the blob names its key and version; optionally re-encrypts the plaintext to the caller's public key. */
export async function postQuantumCryptoDecrypt(
  deps: KmsDeps,
  req: PostQuantumCryptoDecryptRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof PostQuantumCryptoDecryptResponseSchema>> {
  const blob = parsePqBlob(req.ciphertextBlob);
  const use = await resolveKey(deps, call, "pq-decrypt", blob.keyId, blob);
  const op = { op: "decrypt", spec: use.spec, privateKey: use.privateKey, ciphertext: blob.inner, algorithm: "ML_KEM_768", aad: blob.header } as const;
  const plaintext = await runEngine(deps, op, "FailedOperation.DecryptError", "decryption failed: the ciphertext does not match");
  return { keyId: use.key.keyId, plainText: await replyPlaintext(deps, plaintext, req.encryptionPublicKey, req.encryptionAlgorithm) };
}
