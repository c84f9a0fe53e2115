import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoSignRequest, PostQuantumCryptoSignResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { asymmetricMaterial, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertRawMessage, assertUsageKind } from "../usages.js";

/** PostQuantumCryptoSign: ML-DSA-65 (hedged, empty context) over up to 4096 bytes, in a worker thread. */
export async function postQuantumCryptoSign(
  deps: KmsDeps,
  req: PostQuantumCryptoSignRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof PostQuantumCryptoSignResponseSchema>> {
  assertRawMessage(req.message);
  const key = await loadKey(deps, req.keyId);
  const usage = assertUsageKind(key, "pq-sign");
  assertTransition(key, "Encrypt");
  const { privateKey } = await asymmetricMaterial(deps, key);
  const signature = await runEngine(
    deps,
    { op: "sign", spec: usage.spec, privateKey, data: req.message, messageType: "RAW", algorithm: "ML_DSA_65" },
    "InvalidParameterValue",
    "the message cannot be signed",
  );
  return { signature };
}
