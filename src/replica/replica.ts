/**
 * A replica's link to the store it shares: the StoreSync that keeps its
 * followers current, and the Consistency the call pipeline asks (freshness,
 * read-your-writes). Wired by app.ts around the families it keeps.
 */
import { KmsError } from "../errors.js";
import type { ReplicaConfig } from "../config.js";
import type { Logger } from "../log.js";
import type { Consistency } from "../pipeline/pipeline.js";
import type { KvStore, Revision } from "../store/store.js";
import { StoreSync, type Follower } from "./sync.js";

export interface Replica {
  sync: StoreSync;
  /** For the pipeline; undefined on a store only this process writes. */
  consistency: Consistency | undefined;
  /** Waits (bounded by the freshness bound) until this replica has applied `revision`. */
  settle(revision: Revision): Promise<void>;
  close(): Promise<void>;
}

/** The pipeline's view of a StoreSync: refuse when stale, wait (bounded) for a named revision. */
export function consistencyOf(sync: StoreSync, staleMs: number): Consistency {
  return {
    assertFresh: () => sync.assertFresh(),
    async waitFor(revision) {
      if (await sync.waitApplied(revision, staleMs)) return;
      throw new KmsError("UnsupportedOperation.ServiceTemporaryUnavailable", `this replica has not applied revision ${revision} within ${staleMs} ms: try again`);
    },
    async settle(revision) {
      // The change is committed whatever happens here; a replica that cannot apply it soon goes stale and refuses calls.
      await sync.waitApplied(revision, staleMs);
    },
  };
}

/**
 * Starts following the store from `from` (taken before the followers
 * loaded). `shared`: other processes write the store too (etcd).
 */
export async function startReplica(store: KvStore, from: Revision, followers: readonly Follower[], config: ReplicaConfig, shared: boolean, log: Logger): Promise<Replica> {
  const sync = await StoreSync.start(store, from, followers, { replicaId: config.id, shared, probeMs: config.probeMs, staleMs: config.staleMs, log });
  return {
    sync,
    consistency: shared ? consistencyOf(sync, config.staleMs) : undefined,
    async settle(revision) {
      await sync.waitApplied(revision, config.staleMs);
    },
    close: () => sync.close(),
  };
}
