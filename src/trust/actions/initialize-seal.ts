import type { MessageInitShape } from "@bufbuild/protobuf";
import type { InitializeSealRequest, InitializeSealResponseSchema } from "../../../gen/kms/v1/unseal_pb.js";
import type { CallContext } from "../../call.js";
import { requireUnsealer, sealStatus, type UnsealDeps } from "./common.js";

/** InitializeSeal: splits a new wrapping key into shares, once; the shares are in this answer only. */
export async function initializeSeal(deps: UnsealDeps, req: InitializeSealRequest, _call: CallContext): Promise<MessageInitShape<typeof InitializeSealResponseSchema>> {
  const shares = await requireUnsealer(deps).initialize(req.shares, req.threshold);
  return { shares, status: sealStatus(deps) };
}
