import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoEncryptRequest, PostQuantumCryptoEncryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { encodePqHeader } from "../../crypto/pq-ciphertext.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { assertPlaintext } from "../validate.js";

/** PostQuantumCryptoEncrypt: ML-KEM-768 encapsulation + AES-256-GCM, in a self-describing blob (crypto/pq-ciphertext.ts). */
export async function postQuantumCryptoEncrypt(
  deps: KmsDeps,
  req: PostQuantumCryptoEncryptRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof PostQuantumCryptoEncryptResponseSchema>> {
  assertPlaintext(req.plainText);
  const use = await resolveKey(deps, call, "pq-encrypt", req.keyId);
  const header = encodePqHeader(use.key.keyId, use.keyVersion);
  const op = { op: "encrypt", spec: use.spec, publicKey: use.publicKey, plaintext: req.plainText, algorithm: "ML_KEM_768", aad: header } as const;
  const inner = await runEngine(deps, op, "InvalidParameterValue.InvalidPlaintext", "the plaintext cannot be encrypted");
  return { ciphertextBlob: Buffer.concat([header, inner]), keyId: use.key.keyId };
}
