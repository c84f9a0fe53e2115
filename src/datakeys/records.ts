/**
 * The family's shared steps over records: lookups scoped to the call's
 * account and region, lifecycle transitions of one or many data keys (load
 * all, check all against state.ts, write one batch, write nothing on
 * refusal), the data key limit, and keeping a new data key (name unique,
 * limit kept, one batch).
 *
 * Every change runs under the in-process locks of what it touches and is
 * guarded by what it read (repository.ts guardOf, absent*): when another
 * replica changed it in between, the store refuses the batch and the change
 * runs again (changeDataKeys), so it applies once and a loser answers as a
 * second caller would. The limit is exact within a replica and soft across
 * replicas (each counts the others' data keys once its watch delivers them).
 */
import { newKeyId } from "../crypto/random.js";
import { KmsError } from "../errors.js";
import type { CallContext } from "../call.js";
import { retryOnConflict } from "../store/guarded.js";
import type { BatchOp, Guard } from "../store/store.js";
import type { DataKeyOrigin, DataKeyRecord, DataKeyScope, DataKeyTag } from "./data-key.js";
import type { DataKeysDeps } from "./deps.js";
import { scopeKey } from "./keyspace.js";
import { scopeOf } from "./present.js";
import { sealBlob } from "./sealing.js";
import { assertDataKeyAction, COUNTED, INITIAL_STATE, type DataKeyAction } from "./state.js";
import { assertDataKeyId } from "./validate.js";

export const dataKeyLock = (s: DataKeyScope, id: string) => `datakey:${scopeKey(s)}/${id}`;
export const nameLock = (s: DataKeyScope, name: string) => `datakey-name:${scopeKey(s)}/${name}`;
/** Held while a place is counted and reserved (reservePlace), so the limit holds under concurrency. */
const countLock = (s: DataKeyScope) => `datakey-count:${scopeKey(s)}`;

/** Runs one change under `locks`, again (from its reads) when another replica's change made its guarded batch fail. */
export function changeDataKeys<T>(deps: DataKeysDeps, what: string, locks: readonly string[], fn: () => Promise<T>): Promise<T> {
  return retryOnConflict(what, () => deps.locks.run(locks, fn));
}

export function dataKeyNotFound(id: string): KmsError {
  return new KmsError("ResourceUnavailable.DataKeyNotFound", `data key ${id} does not exist`);
}

/** The call's data key `id`, or DataKeyNotFound (a data key of another account or region is not found either). */
export async function findDataKey(deps: DataKeysDeps, call: CallContext, id: string, field = "DataKeyId"): Promise<DataKeyRecord> {
  assertDataKeyId(id, field);
  const record = await deps.repo.get(scopeOf(call), id);
  if (!record) throw dataKeyNotFound(id);
  return record;
}

/**
 * Takes one place under the scope's limit for a change about to be written (a
 * new data key, a cancelled deletion), or refuses with DataKeyLimitExceeded
 * (pending deletions do not count). The place is held until `release`, called
 * once the change is in the index or has failed: concurrent writes each hold
 * their own, so the limit holds without writing one data key at a time.
 */
export async function reservePlace(deps: DataKeysDeps, scope: DataKeyScope): Promise<() => void> {
  return deps.locks.run([countLock(scope)], async () => {
    if ((await deps.repo.countedWithReservations(scope)) + 1 > deps.settings.dataKeyLimit)
      throw new KmsError("LimitExceeded.DataKeyLimitExceeded", `an account keeps at most ${deps.settings.dataKeyLimit} data keys per region (pending deletion excluded)`);
    return deps.repo.reserve(scope);
  });
}

/** Whether a record's copy differs from it in any field (the copies are shallow: unchanged arrays are shared). */
function changedFields(before: DataKeyRecord, after: DataKeyRecord): boolean {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof DataKeyRecord>;
  for (const k of keys) if (before[k] !== after[k]) return true;
  return false;
}

/**
 * Applies one lifecycle action to one or many data keys, atomically, under
 * their locks. If any is missing or refuses, nothing is written. `extra`
 * adds action-specific fields and ops (deletion date, schedule entry).
 */
export async function transitionDataKeys(
  deps: DataKeysDeps,
  call: CallContext,
  ids: readonly string[],
  action: DataKeyAction,
  extra?: (before: DataKeyRecord, after: DataKeyRecord) => BatchOp[],
): Promise<DataKeyRecord[]> {
  const field = ids.length > 1 ? "DataKeyIds" : "DataKeyId";
  for (const id of ids) assertDataKeyId(id, field);
  const scope = scopeOf(call);
  const what = ids.length === 1 ? `data key ${ids[0]}` : "these data keys";
  return changeDataKeys(deps, what, ids.map((id) => dataKeyLock(scope, id)), async () => {
    const found = await deps.repo.getMany(scope, ids);
    const updated: DataKeyRecord[] = [];
    const changed: DataKeyRecord[] = [];
    const ops: BatchOp[] = [];
    const guards: Guard[] = [];
    found.forEach((record, i) => {
      if (!record) throw dataKeyNotFound(ids[i] as string);
      const after: DataKeyRecord = { ...record, state: assertDataKeyAction(record, action) };
      const more = extra?.(record, after) ?? [];
      if (changedFields(record, after) || more.length > 0) {
        ops.push(deps.repo.putRecord(after), ...more);
        changed.push(after);
        guards.push(deps.repo.guardOf(record));
      }
      updated.push(after);
    });
    await deps.repo.commit(ops, call.journal, { put: changed }, ids, guards);
    return updated;
  });
}

/** A data key about to be kept: its ciphertext under `keyId`, and what the caller named it. */
export interface NewDataKey {
  keyId: string;
  blob: Uint8Array;
  encryptionContext: string;
  numberOfBytes: number;
  origin: DataKeyOrigin;
  name: string;
  description: string;
  tags: DataKeyTag[];
}

/**
 * Keeps a new data key as the call's one change: the name must be free in the
 * account and region and the limit not reached (checked under the name's and
 * the scope's locks); the record and its name index go in one batch.
 */
export async function keepDataKey(deps: DataKeysDeps, call: CallContext, input: NewDataKey): Promise<DataKeyRecord> {
  const scope = scopeOf(call);
  const dataKeyId = newKeyId();
  const record: DataKeyRecord = {
    ...scope,
    dataKeyId,
    name: input.name,
    description: input.description,
    keyId: input.keyId,
    numberOfBytes: input.numberOfBytes,
    createTime: deps.clock.now(),
    state: INITIAL_STATE,
    origin: input.origin,
    creatorUin: call.principal.uin.toString(),
    owner: "user",
    tags: input.tags,
    sealedBlob: sealBlob(deps.rootKey, scope, dataKeyId, input.blob),
    encryptionContext: input.encryptionContext,
  };
  // Another replica may take the name meanwhile: then this batch is refused, re-run, and answers DataKeyNameAlreadyExists.
  await changeDataKeys(deps, `data key name "${record.name}"`, [nameLock(scope, record.name)], async () => {
    if ((await deps.repo.nameOwner(scope, record.name)) !== undefined)
      throw new KmsError("InvalidParameterValue.DataKeyNameAlreadyExists", `data key name "${record.name}" is already in use`);
    const release = COUNTED[record.state] ? await reservePlace(deps, scope) : () => undefined;
    try {
      const guards = [deps.repo.absentName(scope, record.name), deps.repo.absentRecord(scope, dataKeyId)];
      await deps.repo.commit([deps.repo.putRecord(record), deps.repo.putName(record)], call.journal, { put: [record] }, [dataKeyId], guards);
    } finally {
      release();
    }
  });
  return record;
}
