/**
 * Time-driven work of the secrets family: purge secrets whose recovery window
 * ended. Reads the date-ordered purge schedule (keyspace "deletions"); each
 * entry is re-checked under its secret's lock (it may be stale: restored,
 * deleted, replaced) and the purge is one batch: record, values, SSH index,
 * a product secret's binding, flows and history, and the entry itself.
 *
 * A product secret deleted with DeleteMode 1 has its database accounts
 * dropped first; while its database refuses or cannot be reached the purge is
 * postponed (the secret stays PendingDelete) and tried again on the next pass.
 * The service's job runner (src/jobs.ts) calls runSecretsDueWork on each pass,
 * and once at start, so a window that ended while the service was down is
 * honoured then.
 */
import { KmsError } from "../errors.js";
import type { SystemJournals } from "../jobs.js";
import type { Guard } from "../store/store.js";
import type { SecretsDeps } from "./deps.js";
import { refOf, underSecretLocks } from "./actions/common.js";
import { allows } from "./state.js";

/** One secret purged, or (postponed) why its purge waits. */
export interface PurgedSecret {
  account: string;
  region: string;
  name: string;
  postponed?: string;
}

/** Purges every secret due at or before `nowMs` (with `journals`, each with its system event); returns what it purged or postponed. */
export async function runSecretsDueWork(deps: SecretsDeps, nowMs: number, journals?: SystemJournals): Promise<PurgedSecret[]> {
  const due = [];
  for await (const entry of deps.repo.dueDeletions(nowMs)) due.push(entry);
  const purged: PurgedSecret[] = [];
  for (const entry of due) {
    // Guarded by the secret as read: run by two replicas at once (two leaders around a failover), one purges and the other finds the entry stale.
    await underSecretLocks(deps, entry.scope, entry.name, async () => {
      const secret = await deps.repo.get(entry.scope, entry.name);
      if (!secret || !allows(secret, "Purge") || secret.deleteTime !== entry.dateMs) {
        // Stale: restored, purged already, or the name now belongs to another secret.
        await deps.repo.commit([deps.repo.delRaw(entry.storeKey)], null, []);
        return;
      }
      const ops = deps.repo.purgeOps(secret);
      const guards: Guard[] = [deps.repo.guardOf(secret)];
      if (secret.secretType === 1) {
        const ref = refOf(entry.scope, secret.name);
        if (secret.product?.dropAccounts) {
          try {
            await deps.products.dropAccounts(ref);
          } catch (err) {
            if (!(err instanceof KmsError)) throw err;
            purged.push({ ...entry.scope, name: entry.name, postponed: err.message });
            return;
          }
        }
        const purge = await deps.products.purgeOps(ref);
        ops.push(...purge.ops);
        guards.push(...purge.guards);
      }
      const journal = journals ? journals("ssm:PurgeSecret", [entry.name], entry.scope.account) : null;
      await deps.repo.commit(ops, journal, [], { scope: entry.scope, delta: -1 }, guards);
      purged.push({ ...entry.scope, name: entry.name });
    });
  }
  return purged;
}
