import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelKeyDeletionRequest, CancelKeyDeletionResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";

/** CancelKeyDeletion: PendingDelete → Disabled (or PendingImport), and the schedule entry goes. */
export async function cancelKeyDeletion(
  deps: KmsDeps,
  req: CancelKeyDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CancelKeyDeletionResponseSchema>> {
  await transitionKeys(deps, call, [req.keyId], "CancelKeyDeletion", (before, after) => {
    delete after.deletionDate;
    return before.deletionDate === undefined ? [] : [deps.repo.delSchedule("key-deletion", before.deletionDate, before.keyId)];
  });
  return { keyId: req.keyId };
}
