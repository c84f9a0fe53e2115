import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoEncryptRequest, PostQuantumCryptoEncryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { encodePqHeader } from "../../crypto/pq-ciphertext.js";
import { asymmetricMaterial, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertUsageKind } from "../usages.js";
import { assertPlaintext } from "../validate.js";
import { primaryVersion } from "../versions.js";

/** PostQuantumCryptoEncrypt: ML-KEM-768 encapsulation + AES-256-GCM, in a self-describing blob (crypto/pq-ciphertext.ts). */
export async function postQuantumCryptoEncrypt(
  deps: KmsDeps,
  req: PostQuantumCryptoEncryptRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof PostQuantumCryptoEncryptResponseSchema>> {
  assertPlaintext(req.plainText);
  const key = await loadKey(deps, req.keyId);
  const usage = assertUsageKind(key, "pq-encrypt");
  assertTransition(key, "Encrypt");
  const version = primaryVersion(key) as number;
  const { publicKey } = await asymmetricMaterial(deps, key, version);
  const header = encodePqHeader(key.keyId, version);
  const inner = await runEngine(
    deps,
    { op: "encrypt", spec: usage.spec, publicKey, plaintext: req.plainText, algorithm: "ML_KEM_768", aad: header },
    "InvalidParameterValue.InvalidPlaintext",
    "the plaintext cannot be encrypted",
  );
  return { ciphertextBlob: Buffer.concat([header, inner]), keyId: key.keyId };
}
