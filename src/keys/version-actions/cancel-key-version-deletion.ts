import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelKeyVersionDeletionRequest, CancelKeyVersionDeletionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyVersionInfo } from "../key.js";
import { changeVersion } from "./common.js";

/** CancelKeyVersionDeletion: PendingDelete → Disabled, and the purge is unscheduled. */
export async function cancelKeyVersionDeletion(
  deps: KmsDeps,
  req: CancelKeyVersionDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CancelKeyVersionDeletionResponseSchema>> {
  await changeVersion(deps, call.journal, req.keyId, req.version, (key, v) => {
    if (v.state !== "PendingDelete" || v.deletionDate === undefined) throw new KmsError("UnsupportedOperation", `version ${v.version} is not pending deletion`);
    const info: KeyVersionInfo = { version: v.version, state: "Disabled", createTime: v.createTime };
    return { info, ops: [deps.repo.delSchedule("version-deletion", v.deletionDate, `${key.keyId}/${v.version}`)] };
  });
  return {};
}
