/**
 * How a family re-runs a guarded change. A change reads what it decides on,
 * checks it, and writes one batch guarded by what it read (store.ts Guard).
 * When another writer (a replica on the same etcd) changed any of it in
 * between, the store refuses the batch whole (StoreConflictError) and the
 * change runs again from the start, on what the store now holds: of two
 * conflicting changes exactly one wins, and the other answers as if it had
 * come second. A change that keeps losing gives up after a bounded number of
 * attempts with UnsupportedOperation.ServiceTemporaryUnavailable, having
 * written nothing.
 *
 * Families remember the stored bytes of each record they decode (GuardedReads)
 * so the guard is exactly "the bytes this decision rests on".
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KmsError } from "../errors.js";
import { StoreConflictError, type Guard } from "./store.js";

/** Attempts before a change that keeps colliding gives up (each collision means another change won). */
export const MAX_CHANGE_ATTEMPTS = 8;

/** Backoff before attempt n+1: 1, 2, 4... ms with jitter, so two colliding replicas drift apart. */
export function conflictBackoffMs(attempt: number): number {
  const base = Math.min(2 ** (attempt - 1), 64);
  return base / 2 + Math.random() * base;
}

/**
 * Runs `change` until it is not refused by a guard, at most `attempts` times.
 * `what` names the thing changed ("secret db-password") for the refusal.
 */
export async function retryOnConflict<T>(what: string, change: () => Promise<T>, attempts = MAX_CHANGE_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await change();
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      if (attempt >= attempts)
        throw new KmsError(
          "UnsupportedOperation.ServiceTemporaryUnavailable",
          `${what} changed under this request ${attempt} times in a row (other requests won); nothing was changed: try again`,
          err,
        );
      await sleep(conflictBackoffMs(attempt));
    }
  }
}

/**
 * The stored bytes behind each record a repository decoded, so a change can
 * guard its batch with them. Records are keys of a WeakMap: nothing is kept
 * once the record is dropped.
 */
export class GuardedReads<R extends object> {
  private readonly read = new WeakMap<R, Guard>();

  /** Remembers where `record` was read and the exact bytes; returns the record. */
  remember<T extends R>(record: T, storeKey: string, bytes: Uint8Array): T {
    this.read.set(record, { key: storeKey, value: bytes });
    return record;
  }

  /** The guard "the store still holds exactly what `record` was decoded from"; throws if it was not read here. */
  guardOf(record: R, what: string): Guard {
    const g = this.read.get(record);
    if (!g) throw new Error(`${what}: the record to guard was not read from the store`);
    return g;
  }
}

/** The guard of a record about to be created: nothing may be stored there yet. */
export function absent(storeKey: string): Guard {
  return { key: storeKey, value: undefined };
}
