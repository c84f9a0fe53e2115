import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ScheduleKeyVersionDeletionRequest, ScheduleKeyVersionDeletionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { seconds } from "../present.js";
import { DAY_MS } from "../rotation.js";
import { assertPendingWindow } from "../validate.js";
import { assertNotLastEnabled, changeVersion } from "./common.js";

/** ScheduleKeyVersionDeletion: Enabled/Disabled → PendingDelete; the scheduler purges it after the window (7 days unless given). */
export async function scheduleKeyVersionDeletion(
  deps: KmsDeps,
  req: ScheduleKeyVersionDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof ScheduleKeyVersionDeletionResponseSchema>> {
  const days = req.pendingWindowInDays === 0 ? 7 : req.pendingWindowInDays;
  assertPendingWindow(days);
  const info = await changeVersion(deps, call.journal, req.keyId, req.version, (key, v) => {
    if (v.state === "PendingDelete") throw new KmsError("UnsupportedOperation", `version ${v.version} is already pending deletion`);
    assertNotLastEnabled(key, v.version);
    const deletionDate = deps.clock.now() + days * DAY_MS;
    return { info: { ...v, state: "PendingDelete", deletionDate }, ops: [deps.repo.putSchedule("version-deletion", deletionDate, `${key.keyId}/${v.version}`)] };
  });
  return { deletionDate: seconds(info.deletionDate) };
}
