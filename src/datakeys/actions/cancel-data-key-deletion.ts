import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CancelDataKeyDeletionRequest, CancelDataKeyDeletionResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { scopeOf } from "../present.js";
import { findDataKey, reservePlace, transitionDataKeys } from "../records.js";
import { assertDataKeyAction, COUNTED } from "../state.js";

/**
 * CancelDataKeyDeletion: PendingDelete -> Disabled. A data key pending
 * deletion does not count against the limit, so it needs a free place again
 * (LimitExceeded.DataKeyLimitExceeded): its state is checked first (the
 * documented refusal wins), then a place is reserved for the write.
 */
export async function cancelDataKeyDeletion(
  deps: DataKeysDeps,
  req: CancelDataKeyDeletionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CancelDataKeyDeletionResponseSchema>> {
  const scope = scopeOf(call);
  const record = await findDataKey(deps, call, req.dataKeyId);
  const next = assertDataKeyAction(record, "CancelDataKeyDeletion");
  const release = COUNTED[next] && !COUNTED[record.state] ? await reservePlace(deps, scope) : () => undefined;
  try {
    // The transition loads the record again under its lock and applies the table once more: the state may have moved meanwhile.
    await transitionDataKeys(deps, call, [req.dataKeyId], "CancelDataKeyDeletion", (before, after) => {
      delete after.deletionDate;
      return before.deletionDate === undefined ? [] : [deps.repo.delDeletion(before, before.deletionDate)];
    });
  } finally {
    release();
  }
  return { dataKeyId: req.dataKeyId };
}
