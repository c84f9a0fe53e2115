/**
 * Purges keys whose deletion date has passed: the record, its alias, every
 * version and the schedule entry, in one batch per key. Reads only the due
 * part of the date-ordered schedule. Time comes from the injected clock.
 */
import type { KmsDeps } from "./deps.js";
import { keyLock } from "./locks.js";

/** One pass; returns the ids purged. */
export async function sweepDueKeys(deps: KmsDeps): Promise<string[]> {
  const now = deps.clock.now();
  const due: { storeKey: string; keyId: string }[] = [];
  for await (const entry of deps.repo.dueDeletions(now)) due.push(entry);
  const purged: string[] = [];
  for (const { storeKey, keyId } of due) {
    await deps.locks.run([keyLock(keyId)], async () => {
      const key = await deps.repo.getKey(keyId);
      const stillDue = key?.keyState === "PendingDelete" && key.deletionDate !== undefined && key.deletionDate <= now;
      if (!key || !stillDue) {
        // A stale entry (deletion cancelled, or rescheduled): drop it alone.
        if (!key || key.keyState !== "PendingDelete") await deps.repo.commit([deps.repo.delRaw(storeKey)]);
        return;
      }
      const versions = await deps.repo.versionKeys(keyId);
      await deps.repo.commit(
        [deps.repo.delRaw(storeKey), deps.repo.delAlias(key.alias), ...versions.map((k) => deps.repo.delRaw(k)), deps.repo.delKey(keyId)],
        -1,
      );
      deps.materials.evict(keyId);
      purged.push(keyId);
    });
  }
  return purged;
}

export interface Sweeper {
  /** Runs one pass now (tests, and at start). */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startSweeper(deps: KmsDeps, intervalMs: number, log: (msg: string) => void): Sweeper {
  let running: Promise<string[]> | undefined;
  const runOnce = () => {
    // Never two passes at once: a pass started while one runs waits for it and then runs.
    const pass: Promise<string[]> = (running ?? Promise.resolve([] as string[])).then(() => sweepDueKeys(deps));
    running = pass.catch(() => []);
    return pass;
  };
  const timer = setInterval(() => {
    runOnce().then(
      (ids) => ids.length > 0 && log(`sweeper: purged ${ids.length} key(s) past their deletion date`),
      (err: unknown) => log(`sweeper: pass failed: ${(err as Error).message}`),
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
