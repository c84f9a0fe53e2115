import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { seconds } from "../present.js";
import { transitionKeys } from "../transition.js";
import { assertPendingWindow } from "../validate.js";

const DAY_MS = 86_400_000;

/** ScheduleKeyDeletion: Disabled/PendingImport → PendingDelete, with a schedule entry the scheduler reads. */
export async function scheduleKeyDeletion(
  deps: KmsDeps,
  req: ScheduleKeyDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof ScheduleKeyDeletionResponseSchema>> {
  assertPendingWindow(req.pendingWindowInDays);
  const deletionDate = deps.clock.now() + req.pendingWindowInDays * DAY_MS;
  const [key] = await transitionKeys(deps, call, [req.keyId], "ScheduleKeyDeletion", (_before, after) => {
    after.deletionDate = deletionDate;
    return [deps.repo.putSchedule("key-deletion", deletionDate, after.keyId)];
  });
  return { keyId: req.keyId, deletionDate: seconds(key?.deletionDate) };
}
