/** Applies one lifecycle action to one or many keys, atomically, under their locks. */
import type { BatchOp } from "../store/store.js";
import type { CallContext } from "../call.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord } from "./key.js";
import { changeKeys } from "./change.js";
import { findKeys, keyNotFound } from "./resolver.js";
import { assertTransition, type LifecycleAction } from "./state.js";
import { assertKeyId } from "./validate.js";

/**
 * Loads every key, checks the action is allowed for each (state.ts: states
 * and bindings), and writes every change in one batch. If any key is missing
 * or refuses, nothing is written. `extra` adds action-specific fields and ops
 * (deletion date, schedule entry).
 */
export async function transitionKeys(
  deps: KmsDeps,
  call: CallContext,
  keyIds: readonly string[],
  action: LifecycleAction,
  extra?: (before: KeyRecord, after: KeyRecord) => BatchOp[],
): Promise<KeyRecord[]> {
  for (const id of keyIds) assertKeyId(id, keyIds.length > 1 ? "KeyIds" : "KeyId");
  return changeKeys(deps, keyIds, async () => {
    const found = await findKeys(deps, call, keyIds);
    const updated: KeyRecord[] = [];
    const ops: BatchOp[] = [];
    found.forEach((key, i) => {
      if (!key) throw keyNotFound(keyIds[i] as string);
      const after: KeyRecord = { ...key, keyState: assertTransition(key, action) };
      const more = extra?.(key, after) ?? [];
      if (after.keyState !== key.keyState || more.length > 0) ops.push(deps.repo.putKey(after), ...more);
      updated.push(after);
    });
    await deps.repo.commit(ops, call.journal, found.map((key) => deps.repo.guardOf(key as KeyRecord)));
    return updated;
  });
}
