import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelDataKeyDeletionRequest, CancelDataKeyDeletionResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { scopeOf } from "../present.js";
import { assertRoomFor, countLock, findDataKey, transitionDataKeys } from "../records.js";
import { assertDataKeyAction, COUNTED } from "../state.js";

/**
 * CancelDataKeyDeletion: PendingDelete -> Disabled. A data key pending
 * deletion does not count against the limit, so it needs a free place again
 * (LimitExceeded.DataKeyLimitExceeded), checked under the scope's count lock.
 */
export async function cancelDataKeyDeletion(
  deps: DataKeysDeps,
  req: CancelDataKeyDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CancelDataKeyDeletionResponseSchema>> {
  const scope = scopeOf(call);
  await deps.locks.run([countLock(scope)], async () => {
    const record = await findDataKey(deps, call, req.dataKeyId);
    const next = assertDataKeyAction(record, "CancelDataKeyDeletion");
    if (COUNTED[next] && !COUNTED[record.state]) await assertRoomFor(deps, scope, 1);
    await transitionDataKeys(deps, call, [req.dataKeyId], "CancelDataKeyDeletion", (before, after) => {
      delete after.deletionDate;
      return before.deletionDate === undefined ? [] : [deps.repo.delDeletion(before, before.deletionDate)];
    });
  });
  return { dataKeyId: req.dataKeyId };
}
