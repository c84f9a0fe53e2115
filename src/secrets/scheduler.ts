/**
 * Time-driven work of the secrets family: purge secrets whose recovery window
 * ended. Reads the date-ordered purge schedule (keyspace "deletions"); each
 * entry is re-checked under its secret's lock (it may be stale: restored,
 * deleted, replaced) and the purge is one batch: record, values, SSH index
 * and the entry itself. The lead's scheduler calls runSecretsDueWork on each
 * pass (and once at start, so a window that ended while the service was down
 * is honoured then).
 */
import type { SecretsDeps } from "./deps.js";
import { secretLock } from "./actions/common.js";
import { allows } from "./state.js";

/** One secret purged. */
export interface PurgedSecret {
  account: string;
  region: string;
  name: string;
}

/** Purges every secret due at or before `nowMs`; returns what it purged. */
export async function runSecretsDueWork(deps: SecretsDeps, nowMs: number): Promise<PurgedSecret[]> {
  const due = [];
  for await (const entry of deps.repo.dueDeletions(nowMs)) due.push(entry);
  const purged: PurgedSecret[] = [];
  for (const entry of due) {
    await deps.locks.run([secretLock(entry.scope, entry.name)], async () => {
      const secret = await deps.repo.get(entry.scope, entry.name);
      if (secret && allows(secret, "Purge") && secret.deleteTime === entry.dateMs) {
        await deps.repo.commit(deps.repo.purgeOps(secret), null, [], { scope: entry.scope, delta: -1 });
        purged.push({ ...entry.scope, name: entry.name });
      } else {
        // Stale: restored, purged already, or the name now belongs to another secret.
        await deps.repo.commit([deps.repo.delRaw(entry.storeKey)], null, []);
      }
    });
  }
  return purged;
}
