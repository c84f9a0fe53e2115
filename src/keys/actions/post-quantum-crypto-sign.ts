import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoSignRequest, PostQuantumCryptoSignResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { assertRawMessage } from "../usages.js";

/** PostQuantumCryptoSign: ML-DSA-65 (hedged, empty context) over up to 4096 bytes, in a worker thread. */
export async function postQuantumCryptoSign(deps: KmsDeps, req: PostQuantumCryptoSignRequest, call: CallContext): Promise<MessageInitShape<typeof PostQuantumCryptoSignResponseSchema>> {
  assertRawMessage(req.message);
  const use = await resolveKey(deps, call, "pq-sign", req.keyId);
  const op = { op: "sign", spec: use.spec, privateKey: use.privateKey, data: req.message, messageType: "RAW", algorithm: "ML_DSA_65" } as const;
  return { signature: await runEngine(deps, op, "InvalidParameterValue", "the message cannot be signed") };
}
