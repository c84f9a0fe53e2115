import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoVerifyRequest, PostQuantumCryptoVerifyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { asymmetricMaterial, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertRawMessage, assertUsageKind } from "../usages.js";

/** PostQuantumCryptoVerify: an invalid signature is SignatureValid false, not an error. */
export async function postQuantumCryptoVerify(
  deps: KmsDeps,
  req: PostQuantumCryptoVerifyRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof PostQuantumCryptoVerifyResponseSchema>> {
  assertRawMessage(req.message);
  const key = await loadKey(deps, req.keyId);
  const usage = assertUsageKind(key, "pq-sign");
  assertTransition(key, "Decrypt");
  const { publicKey } = await asymmetricMaterial(deps, key);
  const signatureValid = await runEngine(
    deps,
    { op: "verify", spec: usage.spec, publicKey, data: req.message, signature: req.signatureValue, messageType: "RAW", algorithm: "ML_DSA_65" },
    "InvalidParameterValue",
    "the signature cannot be checked",
  );
  return { signatureValid };
}
