import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ScheduleDataKeyDeletionRequest, ScheduleDataKeyDeletionResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import { protoSeconds } from "../../clock.js";
import type { DataKeysDeps } from "../deps.js";
import { transitionDataKeys } from "../records.js";
import { assertDataKeyId, assertPendingWindow } from "../validate.js";

const DAY_MS = 86_400_000;

/** ScheduleDataKeyDeletion: Disabled -> PendingDelete; the scheduler purges it at the deletion date. */
export async function scheduleDataKeyDeletion(
  deps: DataKeysDeps,
  req: ScheduleDataKeyDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof ScheduleDataKeyDeletionResponseSchema>> {
  assertDataKeyId(req.dataKeyId);
  assertPendingWindow(req.pendingWindowInDays);
  const deletionDate = deps.clock.now() + req.pendingWindowInDays * DAY_MS;
  await transitionDataKeys(deps, call, [req.dataKeyId], "ScheduleDataKeyDeletion", (_before, after) => {
    after.deletionDate = deletionDate;
    return [deps.repo.putDeletion(after, deletionDate)];
  });
  return { dataKeyId: req.dataKeyId, deletionDate: protoSeconds(deletionDate) };
}
