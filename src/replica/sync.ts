/**
 * What keeps a replica's memory (key cache, listing index, key count,
 * directory) current with the store, and says how current it is.
 *
 * - One watch over the service's keyspace (`v1/`), from a revision taken
 *   before the followers loaded their snapshots: every later commit reaches
 *   each follower whose prefixes it touches, in commit order (its own and
 *   every other replica's). Followers apply commits idempotently, so a commit
 *   already in a snapshot changes nothing when replayed.
 * - A gap (etcd compacted the history the watch needed) rebuilds every
 *   follower from a scan; commits arriving meanwhile are held and replayed.
 * - Freshness, on a shared store: every `probeMs` the replica reads the
 *   store's revision R (a linearizable read); when the watch has delivered R
 *   the replica is current as of the moment it asked. Revisions the watch
 *   never sees (audit chains live outside `v1/`, other deployments share the
 *   cluster) are covered by a heartbeat write under `v1/` whose revision is
 *   past R. A replica that cannot show it is current as of `staleMs` ago
 *   refuses calls (assertFresh) and restarts its watch: a change acknowledged
 *   anywhere is in force on every serving replica within `staleMs`, whatever
 *   fails. In practice it is in force within the watch's latency.
 * - waitApplied(r): resolves once the watch has delivered revision r, so an
 *   answer can wait for its own change (read-your-writes on this replica) and
 *   a caller naming a revision another replica gave it can be served here.
 *
 * On LevelDB (one process) the watch is synchronous (delivered before the
 * batch resolves) and the replica is always current: no probe, no heartbeat.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { KmsError } from "../errors.js";
import type { Logger } from "../log.js";
import { SCHEMA } from "../store/keyspace.js";
import type { BatchOp, KvStore, Revision, Unwatch, WatchEvent } from "../store/store.js";

/** Something a replica keeps in memory from the store. */
export interface Follower {
  /** Name in log lines. */
  readonly name: string;
  /** Store key prefixes it keeps (a commit touching none of them is not handed over). */
  readonly prefixes: readonly string[];
  /** One commit's changes under those prefixes, in commit order. Must be idempotent. */
  applyCommit(changes: readonly BatchOp[], revision: Revision): void;
  /** Reload everything from the store (after a gap, or after applyCommit threw). */
  rebuild(): Promise<void>;
}

export interface StoreSyncOptions {
  /** Names this replica's heartbeat record. */
  replicaId: string;
  /** Several processes write the store (etcd): prove freshness. False: one process, always current. */
  shared: boolean;
  /** How often freshness is proven (shared stores). */
  probeMs: number;
  /** A replica that cannot prove it is current as of this long ago refuses calls and restarts its watch. */
  staleMs: number;
  log: Logger;
  /** Monotonic milliseconds (performance.now by default). */
  now?: () => number;
}

/** Where each replica's heartbeat lives (plain JSON {"t": wall-clock ms}): written only when a probe needs it. */
export const REPLICA_BEATS_PREFIX = `${SCHEMA}/replica-beats/`;
export const replicaBeatKey = (replicaId: string) => `${REPLICA_BEATS_PREFIX}${replicaId}`;

/** Probes in flight at most (each bounded by the store's attempt timeouts and the bound). */
const MAX_PROBES_IN_FLIGHT = 4;

/** The keyspace the watch covers: everything of the service but the per-replica audit chains. */
export const SYNC_PREFIX = `${SCHEMA}/`;

interface Waiter {
  revision: Revision;
  resolve: () => void;
}

export class StoreSync {
  /** Highest revision delivered by the watch (every commit under v1/ at or below it has been applied). */
  private delivered: Revision;
  private freshAsOf = Number.NEGATIVE_INFINITY;
  private readonly waiters: Waiter[] = [];
  private unwatch: Unwatch | undefined;
  private watchStartedAt = 0;
  private rebuilding: Promise<void> | undefined;
  private held: { changes: readonly BatchOp[]; revision: Revision }[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  /** Probes in flight: each is independent, so one stuck on a frozen member does not hold the others. */
  private readonly probing = new Set<Promise<void>>();
  /** When a probe first found the store ahead of what the watch delivered (undefined: not behind). */
  private behindSince: number | undefined;
  private lastRestart = Number.NEGATIVE_INFINITY;
  private restarting = false;
  private closed = false;
  private readonly now: () => number;
  /** Figures for the logs and tests: watch restarts, gaps, heartbeats written. */
  readonly stats = { restarts: 0, gaps: 0, beats: 0, probes: 0 };

  private constructor(
    private readonly store: KvStore,
    private readonly followers: readonly Follower[],
    private readonly options: StoreSyncOptions,
    from: Revision,
  ) {
    this.delivered = from;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Starts following from `from` (a revision taken before the followers
   * loaded) and, on a shared store, waits until the replica is current.
   */
  static async start(store: KvStore, from: Revision, followers: readonly Follower[], options: StoreSyncOptions): Promise<StoreSync> {
    const sync = new StoreSync(store, followers, options, from);
    await sync.watch();
    if (!options.shared) return sync;
    sync.probeTimer = setInterval(() => void sync.probe(), options.probeMs);
    sync.probeTimer.unref();
    await sync.probe();
    const deadline = sync.now() + 10 * options.staleMs;
    while (!sync.isFresh() && sync.now() < deadline) await sleep(options.probeMs / 4);
    if (!sync.isFresh()) {
      await sync.close();
      throw new KmsError("InternalError", `the store's watch did not catch up within ${10 * options.staleMs} ms`);
    }
    return sync;
  }

  /** The revision up to which this replica has applied every commit. */
  get appliedRevision(): Revision {
    return this.delivered;
  }

  /** How far behind this replica may be, in ms (0 on a store only this process writes). */
  get lagMs(): number {
    return this.options.shared ? Math.max(0, this.now() - this.freshAsOf) : 0;
  }

  isFresh(): boolean {
    return !this.options.shared || (this.rebuilding === undefined && this.now() - this.freshAsOf <= this.options.staleMs);
  }

  /** Refuses a call this replica cannot serve current (its watch is behind or cut off). */
  assertFresh(): void {
    if (this.isFresh()) return;
    const lag = this.lagMs;
    throw new KmsError(
      "UnsupportedOperation.ServiceTemporaryUnavailable",
      `this replica cannot confirm it holds the store's latest changes (${Number.isFinite(lag) ? `${Math.round(lag)} ms behind` : "not caught up yet"}; the bound is ${this.options.staleMs} ms): try again or another replica`,
    );
  }

  /** Resolves once every commit up to `revision` is applied here; false if that took longer than `timeoutMs`. */
  waitApplied(revision: Revision, timeoutMs: number): Promise<boolean> {
    if (revision <= this.delivered) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { revision, resolve: () => resolve(true) };
      this.waiters.push(waiter);
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const done = waiter.resolve;
      waiter.resolve = () => {
        clearTimeout(timer);
        done();
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probeTimer);
    await Promise.all([...this.probing].map((p) => p.catch(() => undefined)));
    await this.unwatch?.();
    this.unwatch = undefined;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  // --- the watch ------------------------------------------------------------

  private async watch(): Promise<void> {
    this.watchStartedAt = this.now();
    this.unwatch = await this.store.watch(SYNC_PREFIX, (event) => this.onEvent(event), { afterRevision: this.delivered });
  }

  /** Replaces a watch that stopped delivering (a frozen or cut-off member) with one that resumes after what was delivered. */
  private async restartWatch(): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    try {
      await this.replaceWatch();
    } finally {
      this.restarting = false;
    }
  }

  private async replaceWatch(): Promise<void> {
    const old = this.unwatch;
    this.unwatch = undefined;
    await old?.().catch(() => undefined);
    if (this.closed) return;
    this.stats.restarts++;
    this.options.log.warn(`kms: replica ${this.options.replicaId}: the store watch is ${Math.round(this.lagMs)} ms behind; restarting it after revision ${this.delivered}`);
    await this.watch();
  }

  private onEvent(event: WatchEvent): void {
    if (this.closed) return;
    if (event.type === "gap") {
      this.stats.gaps++;
      this.options.log.warn(`kms: replica ${this.options.replicaId}: ${event.reason}; rebuilding what it keeps from the store`);
      this.rebuildAll(this.followers);
      this.advance(event.revision);
      return;
    }
    // A commit delivered already (a restarted watch resumes after what was delivered; this is a safeguard).
    if (event.revision <= this.delivered) return;
    if (this.rebuilding) this.held.push({ changes: event.changes, revision: event.revision });
    else this.dispatch(event.changes, event.revision);
    this.advance(event.revision);
  }

  private dispatch(changes: readonly BatchOp[], revision: Revision): void {
    for (const f of this.followers) {
      const mine = changes.filter((op) => f.prefixes.some((p) => op.key.startsWith(p)));
      if (mine.length === 0) continue;
      try {
        f.applyCommit(mine, revision);
      } catch (err) {
        // A follower that cannot apply a commit no longer matches the store: reload it rather than serve from it.
        this.options.log.error(`kms: replica ${this.options.replicaId}: ${f.name} could not apply revision ${revision}; rebuilding it`, err);
        this.rebuildAll([f]);
      }
    }
  }

  private rebuildAll(which: readonly Follower[]): void {
    const previous = this.rebuilding ?? Promise.resolve();
    const run = previous.then(async () => {
      for (const f of which) {
        try {
          await f.rebuild();
        } catch (err) {
          this.options.log.error(`kms: replica ${this.options.replicaId}: cannot rebuild ${f.name}`, err);
        }
      }
    });
    this.rebuilding = run;
    void run.then(() => {
      if (this.rebuilding !== run) return;
      this.rebuilding = undefined;
      for (const h of this.held.splice(0)) this.dispatch(h.changes, h.revision);
    });
  }

  private advance(revision: Revision): void {
    if (revision <= this.delivered) return;
    this.delivered = revision;
    if (this.waiters.length === 0) return;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i] as Waiter;
      if (w.revision <= revision) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  // --- freshness ------------------------------------------------------------

  /**
   * One proof of freshness. Probes run every probeMs whether or not earlier
   * ones have answered (a few at most), each over whichever member the
   * client picks, so one stuck on a frozen member does not hold freshness.
   */
  private probe(): Promise<void> {
    if (this.probing.size >= MAX_PROBES_IN_FLIGHT) return Promise.resolve();
    const p = this.proveFresh().finally(() => this.probing.delete(p));
    this.probing.add(p);
    return p;
  }

  private async proveFresh(): Promise<void> {
    if (this.closed) return;
    const asked = this.now();
    this.stats.probes++;
    try {
      const latest = await this.store.revision();
      let target = latest;
      if (this.delivered < latest) {
        this.behindSince ??= asked;
        // Commits the watch never sees moved the revision: a heartbeat under v1/ lands past them.
        target = await this.store.batch([{ type: "put", key: replicaBeatKey(this.options.replicaId), value: Buffer.from(JSON.stringify({ t: Date.now() }), "utf8") }], { durable: false });
        this.stats.beats++;
      }
      if (await this.waitApplied(target, this.options.staleMs / 2)) {
        this.freshAsOf = Math.max(this.freshAsOf, asked);
        if (this.behindSince !== undefined && this.behindSince <= asked) this.behindSince = undefined;
        return;
      }
      // The store answers but the watch has not brought what it holds: the watch is stuck (a frozen or
      // cut-off member still holds its stream). Resume it elsewhere, at most every half bound.
      const now = this.now();
      if (!this.closed && this.rebuilding === undefined && now - (this.behindSince ?? now) > this.options.staleMs / 2 && now - this.lastRestart > this.options.staleMs / 2) {
        this.lastRestart = now;
        await this.restartWatch().catch((err: unknown) => this.options.log.error(`kms: replica ${this.options.replicaId}: cannot restart the store watch`, err));
      }
    } catch {
      // The store is unreachable from here: freshness cannot be shown, and calls are refused once the bound passes.
    }
  }
}
