import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteWhiteBoxKeyRequest, DeleteWhiteBoxKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { keyLock, scopeLock, scopeOf, type WhiteBoxDeps } from "../deps.js";
import { assertWhiteBoxAction } from "../state.js";
import { changeWhiteBox, loadKey } from "../transition.js";
import { assertKeyId } from "../validate.js";

/** DeleteWhiteBoxKey: a Disabled key, its alias, sealed key, tables and devices go in one batch, for good. */
export async function deleteWhiteBoxKey(deps: WhiteBoxDeps, req: DeleteWhiteBoxKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DeleteWhiteBoxKeyResponseSchema>> {
  assertKeyId(req.keyId);
  const scope = scopeOf(call);
  // Guarded by the record as read: an EnableWhiteBoxKey on another replica meanwhile re-runs it (and then refuses).
  await changeWhiteBox(deps, `white-box key ${req.keyId}`, [scopeLock(scope), keyLock(scope, req.keyId)], async () => {
    const key = await loadKey(deps, scope, req.keyId);
    assertWhiteBoxAction(key, "DeleteWhiteBoxKey");
    await deps.repo.commit(call.journal, deps.repo.deleteOps(key), undefined, [deps.repo.guardOf(key)]);
  });
  return {};
}
