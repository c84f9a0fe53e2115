import type { MessageInitShape } from "@bufbuild/protobuf";
import { MessageType as MessageTypeEnum, type SignByAsymmetricKeyRequest, type SignByAsymmetricKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { MessageType } from "../../crypto/asymmetric/types.js";
import { asymmetricMaterial, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertAlgorithm, assertMessage, assertUsageKind, type AsymmetricKeyUsage } from "../usages.js";

/** The contract's MessageType as the engine's; unspecified is RAW. */
export function messageTypeOf(t: MessageTypeEnum): MessageType {
  if (t === MessageTypeEnum.UNSPECIFIED || t === MessageTypeEnum.RAW) return "RAW";
  if (t === MessageTypeEnum.DIGEST) return "DIGEST";
  throw new KmsError("InvalidParameterValue", "MessageType must be RAW or DIGEST");
}

/** SignByAsymmetricKey: a signature by the key's private key, made in a worker thread. */
export async function signByAsymmetricKey(deps: KmsDeps, req: SignByAsymmetricKeyRequest, _call: CallContext): Promise<MessageInitShape<typeof SignByAsymmetricKeyResponseSchema>> {
  const messageType = messageTypeOf(req.messageType);
  const key = await loadKey(deps, req.keyId);
  const usage = assertUsageKind(key, "sign");
  assertAlgorithm(key.keyUsage as AsymmetricKeyUsage, req.algorithm);
  assertMessage(usage.spec, req.algorithm, req.message, messageType);
  assertTransition(key, "Encrypt");
  const { privateKey } = await asymmetricMaterial(deps, key);
  const signature = await runEngine(
    deps,
    { op: "sign", spec: usage.spec, privateKey, data: req.message, messageType, algorithm: req.algorithm },
    "InvalidParameterValue",
    "the message cannot be signed",
  );
  return { signature };
}
