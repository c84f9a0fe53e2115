import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ScheduleKeyVersionDeletionRequest, ScheduleKeyVersionDeletionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { seconds } from "../present.js";
import { DAY_MS } from "../rotation.js";
import { assertPendingWindow } from "../validate.js";
import { transitionVersion } from "../version-transition.js";

/** ScheduleKeyVersionDeletion: Enabled/Disabled → PendingDelete (version-state.ts); the scheduler purges it after the window (7 days unless given). */
export async function scheduleKeyVersionDeletion(
  deps: KmsDeps,
  req: ScheduleKeyVersionDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof ScheduleKeyVersionDeletionResponseSchema>> {
  const days = req.pendingWindowInDays === 0 ? 7 : req.pendingWindowInDays;
  assertPendingWindow(days);
  const info = await transitionVersion(deps, call, req.keyId, req.version, "ScheduleKeyVersionDeletion", (key, _before, after) => {
    after.deletionDate = deps.clock.now() + days * DAY_MS;
    return [deps.repo.putSchedule("version-deletion", after.deletionDate, `${key.keyId}/${after.version}`)];
  });
  return { deletionDate: seconds(info.deletionDate) };
}
