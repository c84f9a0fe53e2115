/**
 * The audit log: an append-only, MAC-chained record of every call.
 *
 * append() is on every RPC's path, so writes are group-committed: while one
 * batch is being written, new events queue and go into the next single
 * batch, together with the head record. The in-memory chain state moves
 * only once a batch is durable, so a failed write leaves neither a gap nor a
 * fork: its seqs are handed out again.
 *
 * A batch is forced to disk only when one of its events asks to be durable
 * (the event of a state change, whose answer waits for it). Events of
 * read-only calls ride along unsynced: they reach the disk with the next
 * durable batch or the OS flush, so under a read-heavy load the audit costs
 * writes, not an fsync per group. Such events also wait a few milliseconds
 * for more to join them (LINGER_MS), since a batch costs about the same
 * whatever its size. A crash can lose only such a tail, never a link in the
 * middle (batches are atomic and the log is sequential).
 *
 * One AuditLog per chain. The store's one chain (LevelDB: one process) is
 * written by one AuditLog; with replicas (options.chain) each writes its own
 * chain, registers it, guards its head record by the bytes it last wrote (a
 * second process started with the same replica id gets a conflict, reloads
 * the head and goes on after the other's events: the chain never forks), and
 * regularly records the other chains' heads in a witness event (replicas.ts).
 */
import type { KeyObject } from "node:crypto";
import { randomBytes } from "../crypto/random.js";
import type { RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import { batchBytes, StoreConflictError, type BatchOp, type Guard, type KvStore, type Revision } from "../store/store.js";
import {
  auditMacKey,
  blockKey,
  decodeHead,
  LEGACY_CHAIN,
  LEGACY_LAYOUT,
  replicaLayout,
  type ChainLayout,
  encodeHead,
  lineAfterSeq,
  sealGroup,
  GENESIS_MAC,
  loadOrCreateAuditKey,
  storedLines,
  type VerifyReport,
} from "./chain.js";
import { verifyDeployment, type DeploymentReport } from "./deployment.js";
import { chainLayouts, CHAIN_REGISTRY_PREFIX, encodeRegistration, otherHeads, witnessEvent } from "./replicas.js";
import { archiveChain, type ArchivedSegment, type RetentionPolicy } from "./retention.js";
import { normalizeEvent, parseStoredEvent, type AuditEvent, type ChainedRecord, type StoredAuditEvent } from "./event.js";
import type { AuditCheckpointConfig } from "../config.js";
import type { Logger } from "../log.js";
import { Checkpointer, loadOrCreateCheckpointSigner, readCheckpointFile, type CheckpointSigner } from "./checkpoint.js";

export interface AuditLogOptions {
  /** Signed checkpoints of the head, outside the data directory (KMS_AUDIT_CHECKPOINT_*). */
  checkpoints?: { config: AuditCheckpointConfig; log: Logger; now: () => number };
  /** This replica's id: write its own chain (absent: the store's one chain, as one process does). */
  chain?: string;
  /** With a chain: how often it records the other chains' heads (default 10 s). */
  witnessMs?: number;
  /** Wall clock of witness events (default Date.now). */
  now?: () => number;
  /** Told when another process writes this replica's chain (two replicas started with one id). */
  log?: Logger;
  /**
   * Retention (KMS_AUDIT_ARCHIVE_DIR, KMS_AUDIT_RETENTION_*): where archived
   * events go, which verify() proves them through, and when archive() moves
   * events there (no limit set: never).
   */
  retention?: RetentionPolicy;
}

/** How often a replica's chain records the other chains' heads, by default. */
const WITNESS_MS = 10_000;

/** Events per store batch: bounds one write's size and the latency of the events behind it. */
const MAX_BATCH_EVENTS = 512;
/**
 * A group of events nobody waits for (record) waits up to LINGER_MS for more
 * until it holds this many: each store batch costs about the same whatever
 * its size (an HMAC, a buffer, a hand-off to the store's thread and back), so
 * under a read-heavy load fewer, larger batches cost less per call. An event
 * someone waits for (a state change, append) ends the wait at once.
 */
const LINGER_UNTIL_EVENTS = 256;
const LINGER_MS = 5;
/** Bytes an event's line may take beyond its tail: the seq prefix and the newline. */
const LINE_PREFIX_BYTES = 32;
/** Records one query reads at most, matching or not, so a query never runs unbounded. */
export const MAX_QUERY_SCAN = 100_000;
/** Events one query returns at most. */
export const MAX_QUERY_LIMIT = 10_000;

/** All optional and AND-ed. */
export interface AuditFilter {
  /** inclusive */
  fromMs?: number;
  /** exclusive */
  toMs?: number;
  principalUin?: string;
  /** exact match */
  action?: string;
  /** matches when among the event's keyIds */
  keyId?: string;
  /** exact match */
  result?: string;
  /**
   * One account's trail: events of its callers, and of calls that acted on
   * it as a member account. `unattributed` also takes the events written
   * before accounts existed (they are the default account's).
   */
  account?: { uin: string; unattributed: boolean };
}

export interface AuditQueryOptions {
  /** Start after this seq (0 or absent: from the first event). */
  afterSeq?: number;
  limit: number;
}

export interface AuditPage {
  events: StoredAuditEvent[];
  /** Set when more may follow: pass it as afterSeq to continue. */
  nextAfterSeq?: number;
}

interface Pending {
  /** The event's canonical line after its seq (chain.ts lineAfterSeq): all a group commit needs of it. */
  tail: string;
  /** The normalized event, kept only for an appender who waits for it (numbered when the batch is built). */
  record?: ChainedRecord;
  durable: boolean;
  /** A state change written in the same batch as its event (commitWith). */
  change?: readonly BatchOp[];
  /** What the change relies on: if any guard fails, this change (alone) is refused with StoreConflictError. */
  guards?: readonly Guard[];
  /** Absent for record(): nobody waits for the stored event. */
  resolve?: (stored: StoredAuditEvent, revision: Revision) => void;
  reject: (err: unknown) => void;
}

/** A state change's event once stored, with the store revision of the batch that holds both. */
export type CommittedEvent = StoredAuditEvent & { readonly revision: Revision };

/** Whether an event passes a filter (query, and export of archived events). */
export function matches(e: StoredAuditEvent, f: AuditFilter): boolean {
  return (
    (f.fromMs === undefined || e.time >= f.fromMs) &&
    (f.toMs === undefined || e.time < f.toMs) &&
    (f.principalUin === undefined || e.principalUin === f.principalUin) &&
    (f.action === undefined || e.action === f.action) &&
    (f.result === undefined || e.result === f.result) &&
    (f.keyId === undefined || e.keyIds.includes(f.keyId)) &&
    (f.account === undefined || inTrail(e, f.account))
  );
}

function inTrail(e: StoredAuditEvent, account: { uin: string; unattributed: boolean }): boolean {
  if (e.account === undefined) return account.unattributed;
  return e.account === account.uin || (e.memberAccounts?.includes(account.uin) ?? false);
}

function invalidParameter(message: string): KmsError {
  return new KmsError("InvalidParameterValue", message);
}

function checkFilter(f: AuditFilter): void {
  for (const k of ["fromMs", "toMs"] as const) {
    const v = f[k];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v))) throw invalidParameter(`${k} must be a number of milliseconds`);
  }
  for (const k of ["principalUin", "action", "keyId", "result"] as const) {
    const v = f[k];
    if (v !== undefined && typeof v !== "string") throw invalidParameter(`${k} must be a string`);
  }
  if (f.account !== undefined && (typeof f.account.uin !== "string" || typeof f.account.unattributed !== "boolean")) throw invalidParameter("account must name a uin");
}

export class AuditLog {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** Ends the current linger (drain), when one is on. */
  private endLinger: (() => void) | undefined;
  /** Events queued so far, and how many of them are written or failed (flush waits for the count it saw). */
  private queuedCount = 0;
  private settledCount = 0;
  private readonly settleWaiters: { count: number; resolve: () => void }[] = [];
  private closed = false;
  private checkpointer: Checkpointer | undefined;
  private checkpointFile: string | undefined;
  private checkpointSigner: CheckpointSigner | undefined;

  private witnessTimer: NodeJS.Timeout | undefined;
  private witnessing: Promise<void> | undefined;
  private sharedChainWarned = false;
  private now: () => number = () => Date.now();
  private log: Logger | undefined;
  private retention: RetentionPolicy | undefined;

  private constructor(
    private readonly store: KvStore,
    private readonly key: KeyObject,
    /** Where this log's chain lives. */
    private readonly layout: ChainLayout,
    /** Guard the head by its bytes (replica chains: the store is shared). */
    private readonly guardHead: boolean,
    /** Seq of the last durable event (0 before the first). */
    private headSeq: number,
    /** MAC of the last durable event. */
    private headMac: Buffer,
    /** The head record as stored (what the next batch guards). */
    private headBytes: Uint8Array | undefined,
  ) {}

  /** The chain this log writes (LEGACY_CHAIN for the store's one chain). */
  get chain(): string {
    return this.layout.id;
  }

  /**
   * Loads (or on first use creates) the audit key and resumes the chain from
   * the head record. With checkpoints, also loads (or creates) their signing
   * key and says at once, in the log, when the stored chain is behind the
   * newest checkpoint.
   */
  static async open(store: KvStore, rootKey: RootKey, options: AuditLogOptions = {}): Promise<AuditLog> {
    const auditKey = await loadOrCreateAuditKey(store, rootKey, () => randomBytes(32));
    const key = auditMacKey(auditKey);
    const layout = options.chain === undefined ? LEGACY_LAYOUT : replicaLayout(options.chain);
    if (options.chain !== undefined) await registerChain(store, key, options.chain, (options.now ?? Date.now)());
    const headBytes = await store.get(layout.headKey);
    const head = decodeHead(headBytes);
    const log = new AuditLog(store, key, layout, options.chain !== undefined, head?.seq ?? 0, head ? Buffer.from(head.mac, "hex") : GENESIS_MAC, headBytes);
    if (options.now) log.now = options.now;
    log.retention = options.retention;
    log.log = options.log ?? options.checkpoints?.log;
    const cp = options.checkpoints;
    if (cp) {
      const signer = await loadOrCreateCheckpointSigner(store, rootKey);
      log.checkpointSigner = signer;
      log.checkpointFile = cp.config.file;
      if (cp.config.file) {
        const set = await readCheckpointFile(cp.config.file);
        const own = set.valid.filter((c) => c.key === signer.publicKey);
        const newest = own[own.length - 1];
        if (newest && newest.seq > (head?.seq ?? 0))
          cp.log.error(`kms: the audit log ends at event ${head?.seq ?? 0} but ${cp.config.file} has a checkpoint at event ${newest.seq}: the log was cut short or restored from an older copy`);
        if (own.length !== set.valid.length) cp.log.error(`kms: ${cp.config.file} holds checkpoints signed by another key than this store's: the audit log was wiped and started again, or the file belongs to another deployment`);
      }
      log.checkpointer = new Checkpointer(
        signer,
        { ...(options.chain !== undefined ? { chain: options.chain } : {}), file: cp.config.file, logLines: cp.config.log, everyEvents: cp.config.everyEvents, intervalMs: cp.config.intervalMs, now: cp.now, log: cp.log },
        head,
      );
    }
    if (options.chain !== undefined) {
      log.witnessTimer = setInterval(() => void log.witness(), options.witnessMs ?? WITNESS_MS);
      log.witnessTimer.unref();
      void log.witness();
    }
    return log;
  }

  /**
   * Records the other chains' heads as the store holds them now, in this
   * chain (replicas only; written with the next group commit, unsynced).
   */
  witness(): Promise<void> {
    if (!this.guardHead || this.closed) return Promise.resolve();
    this.witnessing ??= (async () => {
      try {
        const heads = await otherHeads(this.store, this.key, this.layout.id);
        if (heads.length > 0 && !this.closed) await this.append(witnessEvent(heads, this.now()), { durable: false });
      } catch (err) {
        this.log?.error(`kms: audit chain ${this.layout.id}: cannot record the other chains' heads`, err);
      }
    })().finally(() => (this.witnessing = undefined));
    return this.witnessing;
  }

  /** Writes a checkpoint of the current head now (when checkpoints are configured and the head moved). */
  async checkpoint(): Promise<void> {
    await this.flush();
    await this.checkpointer?.checkpoint();
  }

  /**
   * Resolves once the event is written (on disk when `durable`), with its seq
   * and MAC. Events chain in call order.
   */
  append(event: AuditEvent, options: { durable: boolean } = { durable: true }): Promise<StoredAuditEvent> {
    return new Promise<StoredAuditEvent>((resolve, reject) => this.queued(event, { durable: options.durable, resolve, reject }));
  }

  /**
   * Writes a state change and its event in one batch: the change lands if and
   * only if its event does, and the answer waits for the disk. Used by the
   * gate for every call that changes state. With `guards`, the change lands
   * only if they hold; otherwise it (and its event) is refused with
   * StoreConflictError while the other changes of the group commit still land.
   */
  commitWith(change: readonly BatchOp[], event: AuditEvent, guards?: readonly Guard[]): Promise<CommittedEvent> {
    return new Promise<CommittedEvent>((resolve, reject) =>
      this.queued(event, { durable: true, change, ...(guards && guards.length > 0 ? { guards } : {}), resolve: (stored, revision) => resolve({ ...stored, revision }), reject }),
    );
  }

  /**
   * Queues an event nobody waits for (a call that changed nothing): written
   * with the next group commit, not forced to disk; `onError` hears of a
   * failed write. No promise per event on the path every read-only call takes.
   */
  record(event: AuditEvent, onError: (err: unknown) => void): void {
    this.queued(event, { durable: false, reject: onError });
  }

  /** Normalizes the event and queues it for the next group commit; a closed log or a malformed event goes to `reject`. */
  private queued(event: AuditEvent, pending: Omit<Pending, "record" | "tail">): void {
    if (this.closed) return pending.reject(new KmsError("InternalError", "the audit log is closed"));
    let record: ChainedRecord;
    let tail: string;
    try {
      record = normalizeEvent(event);
      tail = lineAfterSeq(record);
    } catch (err) {
      return pending.reject(err);
    }
    this.queue.push(pending.resolve ? { tail, record, ...pending } : { tail, ...pending });
    this.queuedCount++;
    // Someone waits for this event (every durable one has its appender waiting): no more lingering.
    if (this.endLinger && (pending.resolve !== undefined || this.queue.length >= LINGER_UNTIL_EVENTS)) this.endLinger();
    this.draining ??= this.drain();
  }

  /**
   * Waits until every event queued so far is written (or has failed); events
   * queued meanwhile do not hold it up. Queries start with it, so they see
   * the events of every call answered before them.
   */
  flush(): Promise<void> {
    const count = this.queuedCount;
    if (this.settledCount >= count) return Promise.resolve();
    this.endLinger?.();
    return new Promise((resolve) => this.settleWaiters.push({ count, resolve }));
  }

  /** Counts a written (or failed) group and wakes the flushes it completes (in queue order, so the earliest first). */
  private settled(n: number): void {
    this.settledCount += n;
    while (this.settleWaiters.length > 0 && (this.settleWaiters[0] as { count: number }).count <= this.settledCount) this.settleWaiters.shift()?.resolve();
  }

  /** Resolves after LINGER_MS, or sooner when endLinger is called. */
  private linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.endLinger = undefined;
        resolve();
      };
      const timer = setTimeout(end, LINGER_MS);
      this.endLinger = end;
    });
  }

  /** Writes what is queued (and, for a replica, a last witness) and a last checkpoint, then refuses further appends. The store stays open: it is the caller's. */
  async close(): Promise<void> {
    clearInterval(this.witnessTimer);
    await this.witnessing;
    await this.witness();
    this.closed = true;
    await this.flush();
    await this.checkpointer?.close();
  }

  /**
   * Matching events of one chain (default: the one this log writes; with
   * replicas, any other by its replica id, or LEGACY_CHAIN) in seq order
   * after opts.afterSeq, at most opts.limit of them. This log's own chain is
   * read once the events queued before the query are written.
   */
  async query(filter: AuditFilter, opts: AuditQueryOptions, chain?: string): Promise<AuditPage> {
    const layout = chain === undefined || chain === "" || chain === this.layout.id ? this.layout : chain === LEGACY_CHAIN ? LEGACY_LAYOUT : replicaLayout(chain);
    if (layout !== this.layout && layout !== LEGACY_LAYOUT && (await this.store.get(`${CHAIN_REGISTRY_PREFIX}${chain}`)) === undefined)
      throw new KmsError("ResourceNotFound", `no audit chain ${String(chain).slice(0, 64)}`);
    const afterSeq = opts.afterSeq ?? 0;
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw invalidParameter("afterSeq must be a non-negative integer");
    if (!Number.isSafeInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_QUERY_LIMIT)
      throw invalidParameter(`limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`);
    checkFilter(filter);
    // Events of calls answered before this query may still be queued (record does not hold the answer).
    if (layout === this.layout) await this.flush();

    const events: StoredAuditEvent[] = [];
    let scanned = 0;
    let lastSeq = afterSeq;
    for await (const item of storedLines(this.store, afterSeq + 1, layout)) {
      // One event past a full page: more may follow, and lastSeq is still the page's last event.
      if (events.length === opts.limit) return { events, nextAfterSeq: lastSeq };
      if (scanned === MAX_QUERY_SCAN) break;
      scanned++;
      if ("badKey" in item) throw new KmsError("InternalError", `unexpected key "${item.badKey}" in the audit log`);
      let event: StoredAuditEvent;
      try {
        event = parseStoredEvent(item.line, item.blockMac);
      } catch (err) {
        throw new KmsError("InternalError", `audit event ${item.position} is unreadable; run a verification`, err);
      }
      lastSeq = item.position;
      if (matches(event, filter)) events.push(event);
    }
    return scanned === MAX_QUERY_SCAN ? { events, nextAfterSeq: lastSeq } : { events };
  }

  /**
   * Recomputes every chain of the deployment (deployment.ts), and checks each
   * chain's witnesses of the others. Events committed while it runs are left
   * for the next run; this log's own head serves as an anchor, so a rollback
   * of its events together with its head record is caught too.
   */
  async verify(): Promise<DeploymentReport> {
    // The checkpoints are read before the heads: every one of them is then at or below the head the scan reads.
    const checkpoints =
      this.checkpointFile && this.checkpointSigner ? { checkpoints: { set: await readCheckpointFile(this.checkpointFile), storeKey: this.checkpointSigner.publicKey } } : {};
    const anchor = this.headSeq > 0 ? { seq: this.headSeq, mac: this.headMac.toString("hex") } : undefined;
    const archive = this.retention ? { archive: this.retention.dir } : {};
    return verifyDeployment(this.store, this.key, { stopAtHead: true, own: { chain: this.layout.id, anchor }, ...checkpoints, ...archive });
  }

  /**
   * Moves the events the policy (default: the log's own) says are due out of
   * the store into archive segments, for every chain of the deployment
   * (retention.ts): the elected leader's job. A chain that cannot be archived (it does not verify) keeps
   * its events; the others are still archived, then the first error is thrown.
   */
  async archive(nowMs: number, policy = this.retention): Promise<ArchivedSegment[]> {
    const done: ArchivedSegment[] = [];
    if (!policy) return done;
    let failed: unknown;
    for (const { layout, registered } of await chainLayouts(this.store, this.key)) {
      if (registered && !registered.authentic) continue;
      try {
        done.push(...(await archiveChain(this.store, this.key, layout, policy, nowMs)));
      } catch (err) {
        this.log?.error(`kms: audit chain ${layout.id}: archiving stopped`, err);
        failed ??= err;
      }
    }
    if (failed !== undefined) throw failed;
    return done;
  }

  private async drain(): Promise<void> {
    // Let appends made in the same tick join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      // Nobody waits for these events, not even a flush: a larger group is worth a few milliseconds.
      if (this.queue.length < LINGER_UNTIL_EVENTS && this.settleWaiters.length === 0 && this.queue.every((p) => p.resolve === undefined)) await this.linger();
      const n = this.groupSize();
      let items: Pending[];
      if (n === this.queue.length) {
        items = this.queue;
        this.queue = [];
      } else {
        items = this.queue.splice(0, n);
      }
      await this.commit(items);
      this.settled(items.length);
    }
    // Same tick as the empty check above: an append either saw draining set or starts a new drain.
    this.draining = undefined;
  }

  /**
   * How many queued events the next batch takes: at most MAX_BATCH_EVENTS, and
   * no more than fit the store's batch limits (etcd's transaction size) with
   * their changes, the block and the head. At least one: a change too large on
   * its own goes alone, and the store refuses it to its caller only.
   */
  private groupSize(): number {
    const { maxOps, maxBytes } = this.store.limits;
    let ops = 2;
    let bytes = 0;
    let n = 0;
    const touched = new Set<string>();
    for (const p of this.queue) {
      if (n === MAX_BATCH_EVENTS) break;
      const more = (p.change?.length ?? 0) + (p.guards?.length ?? 0);
      // At most 3 UTF-8 bytes per UTF-16 unit of the line.
      const size = (p.change ? batchBytes(p.change, p.guards) : 0) + LINE_PREFIX_BYTES + 3 * p.tail.length;
      if (n > 0 && (ops + more > maxOps || bytes + size > maxBytes / 2)) break;
      // A guard is checked before any op of the batch applies: one on a key an earlier change of the
      // group writes (or guards) would not see that change, so such a change waits for the next batch.
      if (n > 0 && p.guards?.some((g) => touched.has(g.key))) break;
      for (const op of p.change ?? []) touched.add(op.key);
      for (const g of p.guards ?? []) touched.add(g.key);
      ops += more;
      bytes += size;
      n++;
    }
    return n;
  }

  /**
   * Writes one batch; never throws (failures go to the batch's appenders).
   * When guards fail, the changes that relied on them are refused and the
   * rest of the group is written again without them (renumbered: nothing of
   * the failed batch was stored).
   */
  private async commit(items: Pending[]): Promise<void> {
    for (;;) {
      const conflict = await this.tryCommit(items);
      if (!conflict) return;
      if (conflict.keys.includes(this.layout.headKey)) {
        // Another process appended to this chain (started with the same replica id): chain after its events.
        await this.reloadHead().catch((err: unknown) => {
          for (const p of items) p.reject(err);
          items = [];
        });
        if (items.length === 0) return;
        continue;
      }
      const failed = new Set(conflict.keys);
      const kept: Pending[] = [];
      for (const p of items) {
        if (p.guards?.some((g) => failed.has(g.key))) p.reject(conflict);
        else kept.push(p);
      }
      // A guard that failed yet names no change's key: refuse everything rather than loop.
      if (kept.length === items.length) {
        for (const p of items) p.reject(conflict);
        return;
      }
      if (kept.length === 0) return;
      items = kept;
    }
  }

  private async reloadHead(): Promise<void> {
    const bytes = await this.store.get(this.layout.headKey);
    const head = decodeHead(bytes);
    if (!this.sharedChainWarned) {
      this.sharedChainWarned = true;
      this.log?.error(`kms: audit chain ${this.layout.id} is being written by another process too (two replicas with KMS_REPLICA_ID=${this.layout.id}?); its events are chained after the other's, but give every replica its own id`);
    }
    this.headBytes = bytes;
    this.headSeq = head?.seq ?? 0;
    this.headMac = head ? Buffer.from(head.mac, "hex") : GENESIS_MAC;
  }

  /** One attempt: undefined when written (or failed for good), the conflict when guards failed. */
  private async tryCommit(items: Pending[]): Promise<StoreConflictError | undefined> {
    let seq = this.headSeq;
    let mac = this.headMac;
    // The MAC is attached to the records only once the batch is stored: an attempt refused by a guard
    // is chained again from the records as they were.
    const done: [(stored: StoredAuditEvent, revision: Revision) => void, ChainedRecord][] = [];
    let revision: Revision;
    let headBytes: Uint8Array;
    try {
      const ops: BatchOp[] = [];
      const guards: Guard[] = [];
      const tails: string[] = [];
      const first = seq + 1;
      for (const p of items) {
        if (p.change) ops.push(...p.change);
        if (p.guards) guards.push(...p.guards);
        seq++;
        tails.push(p.tail);
        if (p.resolve && p.record) {
          p.record.seq = seq;
          done.push([p.resolve, p.record]);
        }
      }
      // The whole group is one record with one MAC (chain.ts, format 2): one store operation and one HMAC per batch, not per event.
      const sealed = sealGroup(this.key, mac, first, tails);
      mac = sealed.mac;
      ops.push({ type: "put", key: blockKey(this.layout, first), value: sealed.block });
      headBytes = encodeHead({ seq, mac: mac.toString("hex") });
      ops.push({ type: "put", key: this.layout.headKey, value: headBytes });
      if (this.guardHead) guards.push({ key: this.layout.headKey, value: this.headBytes });
      revision = await this.store.batch(ops, { durable: items.some((p) => p.durable), ...(guards.length > 0 ? { guards } : {}) });
    } catch (err) {
      if (err instanceof StoreConflictError) return err;
      for (const p of items) p.reject(err);
      return undefined;
    }
    this.headSeq = seq;
    this.headMac = mac;
    this.headBytes = headBytes;
    this.checkpointer?.advance({ seq, mac: mac.toString("hex") });
    const macHex = mac.toString("hex");
    for (const [resolve, record] of done) resolve(Object.assign(record, { mac: macHex }), revision);
    return undefined;
  }
}

/** Registers a replica's chain (once: a restarted replica finds its record and goes on with its chain). */
async function registerChain(store: KvStore, key: KeyObject, chain: string, now: number): Promise<void> {
  const storeKey = `${CHAIN_REGISTRY_PREFIX}${chain}`;
  if ((await store.get(storeKey)) !== undefined) return;
  try {
    await store.batch([{ type: "put", key: storeKey, value: encodeRegistration(key, chain, now) }], { guards: [{ key: storeKey, value: undefined }] });
  } catch (err) {
    // Registered meanwhile by another process with the same id: the record stands.
    if (!(err instanceof StoreConflictError)) throw err;
  }
}
