import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelKeyArchiveRequest, CancelKeyArchiveResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext, KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";

/** CancelKeyArchive: one key through the state table (state.ts). */
export async function cancelKeyArchive(deps: KmsDeps, req: CancelKeyArchiveRequest, _call: CallContext): Promise<MessageInitShape<typeof CancelKeyArchiveResponseSchema>> {
  await transitionKeys(deps, [req.keyId], "CancelKeyArchive");
  return {};
}
