import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateDataKeyNameRequest, UpdateDataKeyNameResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { DataKeyRecord } from "../data-key.js";
import type { DataKeysDeps } from "../deps.js";
import { scopeOf } from "../present.js";
import { changeDataKeys, dataKeyLock, findDataKey, nameLock } from "../records.js";
import { assertDataKeyAction } from "../state.js";
import { assertDataKeyId, assertDataKeyName } from "../validate.js";

/** UpdateDataKeyName: a new name, free in the account and region; the record and both name entries change in one batch. */
export async function updateDataKeyName(deps: DataKeysDeps, req: UpdateDataKeyNameRequest, call: CallContext): Promise<MessageInitShape<typeof UpdateDataKeyNameResponseSchema>> {
  assertDataKeyId(req.dataKeyId);
  assertDataKeyName(req.dataKeyName);
  const scope = scopeOf(call);
  await changeDataKeys(deps, `data key ${req.dataKeyId}`, [dataKeyLock(scope, req.dataKeyId), nameLock(scope, req.dataKeyName)], async () => {
    const record = await findDataKey(deps, call, req.dataKeyId);
    assertDataKeyAction(record, "UpdateDataKeyName");
    if (record.name === req.dataKeyName) return;
    if ((await deps.repo.nameOwner(scope, req.dataKeyName)) !== undefined)
      throw new KmsError("InvalidParameterValue.DataKeyNameAlreadyExists", `data key name "${req.dataKeyName}" is already in use`);
    const after: DataKeyRecord = { ...record, name: req.dataKeyName };
    const ops = [deps.repo.delName(scope, record.name), deps.repo.putName(after), deps.repo.putRecord(after)];
    // Guarded by the record as read and the new name's absence: another replica's change meanwhile re-runs this.
    await deps.repo.commit(ops, call.journal, { put: [after] }, [record.dataKeyId], [deps.repo.guardOf(record), deps.repo.absentName(scope, req.dataKeyName)]);
  });
  return {};
}
