import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelKeyArchiveRequest, CancelKeyArchiveResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";

/** CancelKeyArchive: one key through the state table (state.ts). */
export async function cancelKeyArchive(deps: KmsDeps, req: CancelKeyArchiveRequest, call: CallContext): Promise<MessageInitShape<typeof CancelKeyArchiveResponseSchema>> {
  await transitionKeys(deps, call, [req.keyId], "CancelKeyArchive");
  return {};
}
