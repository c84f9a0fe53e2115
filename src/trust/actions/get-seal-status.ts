import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetSealStatusRequest, GetSealStatusResponseSchema } from "../../../gen/kms/v1/unseal_pb.js";
import type { CallContext } from "../../call.js";
import { sealStatus, type UnsealDeps } from "./common.js";

/** GetSealStatus: sealed or not, and the unseal progress. */
export async function getSealStatus(deps: UnsealDeps, _req: GetSealStatusRequest, _call: CallContext): Promise<MessageInitShape<typeof GetSealStatusResponseSchema>> {
  return { status: sealStatus(deps) };
}
