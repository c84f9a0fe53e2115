/** Loading keys by id, and applying one lifecycle action to one or many keys atomically, under their locks. */
import type { Journal } from "../call.js";
import { KmsError } from "../errors.js";
import type { BatchOp } from "../store/store.js";
import { keyLock, type WhiteBoxDeps } from "./deps.js";
import type { WhiteBoxKeyRecord, WhiteBoxScope } from "./key.js";
import { assertWhiteBoxAction } from "./state.js";

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
  await deps.locks.run(
    keyIds.map((id) => keyLock(scope, id)),
    async () => {
      const found = await deps.repo.getMany(scope, keyIds);
      const ops: BatchOp[] = [];
      found.forEach((key, i) => {
        if (!key) throw keyNotFound(keyIds[i] as string);
        const next = assertWhiteBoxAction(key, action);
        if (next !== "Deleted" && next !== key.status) ops.push(deps.repo.putRecord({ ...key, status: next }));
      });
      if (ops.length > 0) await journal(ops);
    },
  );
}
