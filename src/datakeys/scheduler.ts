/**
 * The hosted data keys' time-driven work: purge data keys past their
 * deletion date. Read from the date-ordered schedule ("deletions"); each item
 * runs under its data key's lock, re-checks the record (the entry may be
 * stale: cancelled, or the data key gone) and commits one batch. The service
 * does this for every account and region; time is the caller's `nowMs`.
 */
import type { SystemJournals } from "../jobs.js";
import type { DataKeysDeps } from "./deps.js";
import type { DueDeletion } from "./repository.js";
import { changeDataKeys, dataKeyLock } from "./records.js";
import { dataKeyAllows } from "./state.js";

/** One piece of work done: a data key purged. */
export interface DataKeyWorkDone {
  kind: "datakey-deletion";
  /** "<account>/<region>/<dataKeyId>". */
  subject: string;
}

async function purge(deps: DataKeysDeps, entry: DueDeletion, journals: SystemJournals | undefined): Promise<boolean> {
  const record = entry.dataKeyId === "" ? undefined : await deps.repo.get(entry.scope, entry.dataKeyId);
  if (!record || !dataKeyAllows(record, "PurgeDataKey") || record.deletionDate !== entry.dateMs) {
    // Stale: cancelled, rescheduled, malformed, or its data key is gone.
    await deps.repo.commit([deps.repo.delRaw(entry.storeKey)], null, {});
    return false;
  }
  const ops = [deps.repo.delRaw(entry.storeKey), deps.repo.delRecord(record), deps.repo.delName(record, record.name)];
  // Guarded by the record as read: two replicas purging at once (two leaders around a failover) purge it once.
  const journal = journals ? journals("kms:PurgeDataKey", [record.dataKeyId], entry.scope.account) : null;
  await deps.repo.commit(ops, journal, { remove: [record] }, undefined, [deps.repo.guardOf(record)]);
  return true;
}

/** One pass: purges every data key due at `nowMs` (with `journals`, each with its system event); returns what was purged. */
export async function runDataKeysDueWork(deps: DataKeysDeps, nowMs: number, journals?: SystemJournals): Promise<DataKeyWorkDone[]> {
  const due: DueDeletion[] = [];
  for await (const entry of deps.repo.dueDeletions(nowMs)) due.push(entry);
  const done: DataKeyWorkDone[] = [];
  for (const entry of due) {
    const purged = await changeDataKeys(deps, `data key ${entry.dataKeyId}`, [dataKeyLock(entry.scope, entry.dataKeyId)], () => purge(deps, entry, journals));
    if (purged) done.push({ kind: "datakey-deletion", subject: `${entry.scope.account}/${entry.scope.region}/${entry.dataKeyId}` });
  }
  return done;
}
