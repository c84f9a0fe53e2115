import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelKeyVersionDeletionRequest, CancelKeyVersionDeletionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionVersion } from "../version-transition.js";

/** CancelKeyVersionDeletion: PendingDelete → Disabled (version-state.ts), and the purge is unscheduled. */
export async function cancelKeyVersionDeletion(
  deps: KmsDeps,
  req: CancelKeyVersionDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CancelKeyVersionDeletionResponseSchema>> {
  await transitionVersion(deps, call, req.keyId, req.version, "CancelKeyVersionDeletion", (key, before, after) => {
    delete after.deletionDate;
    return before.deletionDate === undefined ? [] : [deps.repo.delSchedule("version-deletion", before.deletionDate, `${key.keyId}/${before.version}`)];
  });
  return {};
}
