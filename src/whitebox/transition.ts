/**
 * Loading keys by id, running a change of keys (under their in-process locks,
 * again when another replica's change made its guarded batch fail), and
 * applying one lifecycle action to one or many keys atomically.
 */
import type { Journal } from "../call.js";
import { KmsError } from "../errors.js";
import { retryOnConflict } from "../store/guarded.js";
import type { BatchOp, Guard } from "../store/store.js";
import { keyLock, type WhiteBoxDeps } from "./deps.js";
import type { WhiteBoxKeyRecord, WhiteBoxScope } from "./key.js";
import { assertWhiteBoxAction } from "./state.js";

/** Runs one change under `locks`; re-run from its reads when its guarded batch was refused (another replica's change landed first). */
export function changeWhiteBox<T>(deps: WhiteBoxDeps, what: string, locks: readonly string[], fn: () => Promise<T>): Promise<T> {
  return retryOnConflict(what, () => deps.locks.run(locks, fn));
}

export function keyNotFound(keyId: string): KmsError {
  return new KmsError("ResourceNotFound", `white-box key ${keyId} does not exist`);
}

/** The key, or ResourceNotFound (also for a key of another account or region: it is not in this scope). */
export async function loadKey(deps: WhiteBoxDeps, scope: WhiteBoxScope, keyId: string): Promise<WhiteBoxKeyRecord> {
  const key = await deps.repo.get(scope, keyId);
  if (!key) throw keyNotFound(keyId);
  return key;
}

/**
 * Loads every key, checks the action is allowed for each, and writes every
 * change in one batch. If any key is missing or refuses, nothing is written;
 * keys already in the target state write nothing.
 */
export async function transitionKeys(deps: WhiteBoxDeps, journal: Journal, scope: WhiteBoxScope, keyIds: readonly string[], action: "EnableWhiteBoxKey" | "DisableWhiteBoxKey"): Promise<void> {
  const what = keyIds.length === 1 ? `white-box key ${keyIds[0]}` : "these white-box keys";
  await changeWhiteBox(
    deps,
    what,
    keyIds.map((id) => keyLock(scope, id)),
    async () => {
      const found = await deps.repo.getMany(scope, keyIds);
      const ops: BatchOp[] = [];
      const guards: Guard[] = [];
      found.forEach((key, i) => {
        if (!key) throw keyNotFound(keyIds[i] as string);
        const next = assertWhiteBoxAction(key, action);
        if (next !== "Deleted" && next !== key.status) {
          ops.push(deps.repo.putRecord({ ...key, status: next }));
          guards.push(deps.repo.guardOf(key));
        }
      });
      if (ops.length > 0) await deps.repo.commit(journal, ops, undefined, guards);
    },
  );
}
