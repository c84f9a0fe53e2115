/**
 * Time-driven work, read from the date-ordered schedule (keyspace "schedule"):
 * purge keys past their deletion date, rotate keys whose rotation is due,
 * delete imported material at its ValidTo, purge versions past their deletion
 * date. Each item runs under its key's lock, re-checks the record (the entry
 * may be stale: cancelled, rescheduled) and commits one batch. Time comes
 * from the injected clock; a pass runs at start, so work that fell due while
 * the service was down happens then.
 *
 * Every item is idempotent: its batch is guarded by the key record it read
 * (change.ts), and the record it writes no longer matches the entry. Run
 * twice, even at once by two replicas that both believe they lead, the second
 * run is refused by the store, re-reads the record, and finds the entry
 * stale: a key is never rotated or purged twice for one entry.
 */
import type { Journal } from "../call.js";
import type { SystemJournals } from "../jobs.js";
import type { ScheduleKind } from "../store/keyspace.js";
import type { BatchOp } from "../store/store.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord } from "./key.js";
import { changeKeys } from "./change.js";
import { forgetMaterial } from "./version-material.js";
import type { ScheduleEntry } from "./repository.js";
import { rotateNow } from "./rotation.js";
import { allows, assertTransition } from "./state.js";
import { versionAllows } from "./version-state.js";

/** One piece of work done. */
export interface Done {
  kind: ScheduleKind;
  subject: string;
}

/** done: work committed (entry removed with it); stale: the entry no longer applies, drop it; keep: not now, leave it. */
type Outcome = "done" | "stale" | "keep";
/** `rest` is what follows the key id in the subject: a version number or an import token. `journal` writes the work with its system event (null: a plain batch). */
type Handler = (deps: KmsDeps, key: KeyRecord, entry: ScheduleEntry, rest: string | undefined, journal: Journal | null) => Promise<Outcome>;

/** The system event each kind of work records in the audit trail (src/audit/system.ts). */
const ACTIONS: Record<ScheduleKind, string> = {
  "key-deletion": "kms:PurgeKey",
  rotation: "kms:RotateKey",
  "material-expiry": "kms:ExpireKeyMaterial",
  "version-deletion": "kms:PurgeKeyVersion",
  "import-token-expiry": "kms:ExpireImportToken",
};

/** Every schedule entry a key still owns, so a purge leaves none behind. */
function scheduleOpsOf(deps: KmsDeps, key: KeyRecord): BatchOp[] {
  const ops: BatchOp[] = [];
  if (key.deletionDate !== undefined) ops.push(deps.repo.delSchedule("key-deletion", key.deletionDate, key.keyId));
  if (key.rotation.nextRotateTime !== undefined) ops.push(deps.repo.delSchedule("rotation", key.rotation.nextRotateTime, key.keyId));
  if (key.validTo !== undefined) ops.push(deps.repo.delSchedule("material-expiry", key.validTo, key.keyId));
  // Import tokens of a purged key are left to their own expiry entries, which drop them.
  for (const v of key.versions)
    if (v.deletionDate !== undefined) ops.push(deps.repo.delSchedule("version-deletion", v.deletionDate, `${key.keyId}/${v.version}`));
  return ops;
}

const HANDLERS: Record<ScheduleKind, Handler> = {
  async "key-deletion"(deps, key, entry, _rest, journal) {
    if (!allows(key, "PurgeKey") || key.deletionDate !== entry.dateMs) return "stale";
    const versions = await deps.repo.versionKeys(key.keyId);
    await deps.repo.commit([...scheduleOpsOf(deps, key), deps.repo.delAlias(key, key.alias), ...versions.map((k) => deps.repo.delRaw(k)), deps.repo.delKey(key.keyId)], journal, [deps.repo.guardOf(key)]);
    return "done";
  },

  async rotation(deps, key, entry, _rest, journal) {
    if (!key.rotation.enabled || key.rotation.nextRotateTime !== entry.dateMs) return "stale";
    // Only usable keys rotate; a disabled or archived key keeps its entry and rotates once it is enabled again.
    if (!allows(key, "RotateKey")) return "keep";
    await deps.repo.commit(rotateNow(deps, key, deps.clock.now(), false).ops, journal, [deps.repo.guardOf(key)]);
    return "done";
  },

  async "material-expiry"(deps, key, entry, _rest, journal) {
    if (key.origin !== "EXTERNAL" || key.validTo !== entry.dateMs) return "stale";
    const after: KeyRecord = { ...key, versions: [], keyState: assertTransition(key, "ExpireKeyMaterial") };
    delete after.validTo;
    await deps.repo.commit([entryDel(deps, entry), ...key.versions.map((v) => deps.repo.delVersion(key.keyId, v.version)), deps.repo.putKey(after)], journal, [deps.repo.guardOf(key)]);
    return "done";
  },

  async "version-deletion"(deps, key, entry, rest, journal) {
    const version = Number(rest);
    const info = key.versions.find((v) => v.version === version);
    if (!info || !versionAllows(info, "PurgeVersion") || info.deletionDate !== entry.dateMs) return "stale";
    const after: KeyRecord = { ...key, versions: key.versions.filter((v) => v.version !== version) };
    await deps.repo.commit([entryDel(deps, entry), deps.repo.delVersion(key.keyId, version), deps.repo.putKey(after)], journal, [deps.repo.guardOf(key)]);
    return "done";
  },

  async "import-token-expiry"(deps, _key, entry, token, journal) {
    // An import token nobody used: drop it with its sealed wrapping key.
    await deps.repo.commit([entryDel(deps, entry), deps.repo.delImportToken(token ?? "")], journal);
    return "done";
  },
};

function entryDel(deps: KmsDeps, entry: ScheduleEntry): BatchOp {
  return deps.repo.delRaw(entry.storeKey);
}

const KINDS: readonly ScheduleKind[] = ["key-deletion", "material-expiry", "version-deletion", "rotation", "import-token-expiry"];

/**
 * One pass over every kind; returns what was done. With `journals`, each
 * piece of work is written with its system event (the key's account, the
 * key id, and for a version its number; an import token is not named).
 */
export async function runDueWork(deps: KmsDeps, journals?: SystemJournals): Promise<Done[]> {
  const now = deps.clock.now();
  const done: Done[] = [];
  for (const kind of KINDS) {
    const due: ScheduleEntry[] = [];
    for await (const entry of deps.repo.dueEntries(kind, now)) due.push(entry);
    for (const entry of due) {
      const slash = entry.subject.indexOf("/");
      const keyId = slash < 0 ? entry.subject : entry.subject.slice(0, slash);
      const rest = slash < 0 ? undefined : entry.subject.slice(slash + 1);
      await changeKeys(deps, [keyId], async () => {
        // The service's own work, for every account: not a call, so not through the resolver.
        const key = await deps.repo.getKey(keyId);
        const subject = kind === "import-token-expiry" ? keyId : entry.subject;
        const journal = key && journals ? journals(ACTIONS[kind], [subject], key.account) : null;
        const outcome: Outcome = key ? await HANDLERS[kind](deps, key, entry, rest, journal) : "stale";
        if (outcome === "done") {
          forgetMaterial(deps, keyId);
          done.push({ kind, subject: entry.subject });
        } else if (outcome === "stale") {
          await deps.repo.commit([entryDel(deps, entry)], null); // stale: cancelled, rescheduled, or its key is gone
        }
      });
    }
  }
  return done;
}

export interface Scheduler {
  /** Runs one pass now (tests, and at start). */
  runOnce(): Promise<Done[]>;
  stop(): Promise<void>;
}

export function startScheduler(deps: KmsDeps, intervalMs: number, log: (msg: string) => void): Scheduler {
  let running: Promise<unknown> = Promise.resolve();
  const runOnce = () => {
    // Never two passes at once: a pass asked for while one runs waits for it.
    const pass = running.then(() => runDueWork(deps));
    running = pass.catch(() => undefined);
    return pass;
  };
  const timer = setInterval(() => {
    runOnce().then(
      (done) => done.length > 0 && log(`scheduler: ${done.map((d) => `${d.kind} ${d.subject}`).join(", ")}`),
      (err: unknown) => log(`scheduler: pass failed: ${(err as Error).message}`),
    );
  }, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
