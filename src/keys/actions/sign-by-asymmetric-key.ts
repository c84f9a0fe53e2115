import type { MessageInitShape } from "@bufbuild/protobuf";
import { MessageType as MessageTypeEnum, type SignByAsymmetricKeyRequest, type SignByAsymmetricKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { MessageType } from "../../crypto/asymmetric/types.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";

/** The contract's MessageType as the engine's; unspecified is RAW. */
export function messageTypeOf(t: MessageTypeEnum): MessageType {
  if (t === MessageTypeEnum.UNSPECIFIED || t === MessageTypeEnum.RAW) return "RAW";
  if (t === MessageTypeEnum.DIGEST) return "DIGEST";
  throw new KmsError("InvalidParameterValue", "MessageType must be RAW or DIGEST");
}

/** SignByAsymmetricKey: a signature by the key's private key, made in a worker thread. */
export async function signByAsymmetricKey(deps: KmsDeps, req: SignByAsymmetricKeyRequest, call: CallContext): Promise<MessageInitShape<typeof SignByAsymmetricKeyResponseSchema>> {
  const messageType = messageTypeOf(req.messageType);
  const use = await resolveKey(deps, call, "sign", req.keyId, { algorithm: req.algorithm, message: req.message, messageType });
  const op = { op: "sign", spec: use.spec, privateKey: use.privateKey, data: req.message, messageType, algorithm: req.algorithm } as const;
  return { signature: await runEngine(deps, op, "InvalidParameterValue", "the message cannot be signed") };
}
