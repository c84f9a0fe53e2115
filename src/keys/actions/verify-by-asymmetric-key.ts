import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VerifyByAsymmetricKeyRequest, VerifyByAsymmetricKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { messageTypeOf } from "./sign-by-asymmetric-key.js";

/** VerifyByAsymmetricKey: an invalid signature is SignatureValid false, not an error. */
export async function verifyByAsymmetricKey(deps: KmsDeps, req: VerifyByAsymmetricKeyRequest, call: CallContext): Promise<MessageInitShape<typeof VerifyByAsymmetricKeyResponseSchema>> {
  const messageType = messageTypeOf(req.messageType);
  const use = await resolveKey(deps, call, "verify", req.keyId, { algorithm: req.algorithm, message: req.message, messageType });
  const op = { op: "verify", spec: use.spec, publicKey: use.publicKey, data: req.message, signature: req.signatureValue, messageType, algorithm: req.algorithm } as const;
  return { signatureValid: await runEngine(deps, op, "InvalidParameterValue", "the signature cannot be checked") };
}
