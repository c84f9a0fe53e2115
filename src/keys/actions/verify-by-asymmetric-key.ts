import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VerifyByAsymmetricKeyRequest, VerifyByAsymmetricKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { asymmetricMaterial, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertAlgorithm, assertMessage, assertUsageKind, type AsymmetricKeyUsage } from "../usages.js";
import { messageTypeOf } from "./sign-by-asymmetric-key.js";

/** VerifyByAsymmetricKey: an invalid signature is SignatureValid false, not an error. */
export async function verifyByAsymmetricKey(
  deps: KmsDeps,
  req: VerifyByAsymmetricKeyRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof VerifyByAsymmetricKeyResponseSchema>> {
  const messageType = messageTypeOf(req.messageType);
  const key = await loadKey(deps, req.keyId);
  const usage = assertUsageKind(key, "sign");
  assertAlgorithm(key.keyUsage as AsymmetricKeyUsage, req.algorithm);
  assertMessage(usage.spec, req.algorithm, req.message, messageType);
  assertTransition(key, "Decrypt");
  const { publicKey } = await asymmetricMaterial(deps, key);
  const signatureValid = await runEngine(
    deps,
    { op: "verify", spec: usage.spec, publicKey, data: req.message, signature: req.signatureValue, messageType, algorithm: req.algorithm },
    "InvalidParameterValue",
    "the signature cannot be checked",
  );
  return { signatureValid };
}
