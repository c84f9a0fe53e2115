/**
 * How every change to keys runs: under the in-process locks of what it
 * touches (the fast path: calls on one replica wait for each other instead of
 * colliding), reading those keys fresh from the store, and guarded by what it
 * read (repo.guardOf / repo.absent). When another replica changed them in
 * between, the store refuses the batch (StoreConflictError, nothing written)
 * and the change runs again from the start, on what the store now holds; so
 * of two conflicting changes exactly one wins, and the other answers as if it
 * had come second.
 *
 * On a store only this process writes (repo.shared false: LevelDB) the locks
 * alone serialise every change of a key and the cache is never behind, so
 * the fresh reads and the guards are skipped.
 */
import { retryOnConflict } from "../store/guarded.js";
import type { KmsDeps } from "./deps.js";
import { keyLock } from "./locks.js";

/**
 * Runs `fn` as one change of `keyIds` (and of the extra lock names, e.g. an
 * alias), re-running it on a store conflict. `fn` must read what it decides
 * on inside (through the repository) and guard its commit with it.
 */
export async function changeKeys<T>(deps: KmsDeps, keyIds: readonly string[], fn: () => Promise<T>, extraLocks: readonly string[] = []): Promise<T> {
  const names = [...keyIds.map(keyLock), ...extraLocks];
  const what = keyIds.length === 1 ? `key ${keyIds[0]}` : "these keys";
  return retryOnConflict(what, () =>
    deps.locks.run(names, () => {
      if (deps.repo.shared) deps.repo.forget(keyIds);
      return fn();
    }),
  );
}
