/**
 * etcd adapter of the storage port (the `etcd3` client over etcd's v3 gRPC API),
 * for several replicas sharing one store.
 *
 * - A batch is ONE etcd transaction: its guards are the compares, its puts and
 *   deletes the success branch, so conflicting changes from two replicas can
 *   never both apply. A batch over the cluster's limits (--max-txn-ops,
 *   --max-request-bytes) is refused whole with StoreLimitError.
 * - Reads are linearizable (served through the leader): a read after a write
 *   acknowledged on any replica sees it.
 * - A scan reads a page at a time, every page at the first page's revision: one
 *   snapshot, as a LevelDB iterator is, without one huge response.
 * - A watch is one etcd watch stream; after a reconnect it resumes from the
 *   revision after the last one it delivered, so nothing is skipped; if etcd
 *   compacted that history away the listener is told (a gap).
 * - Every key lives under `prefix`, so several deployments can share a cluster.
 *   Values are the service's bytes, unchanged (secrets arrive already sealed).
 *
 * Retries: a read is retried on another member until the time budget runs out.
 * A write is retried only when it surely never reached etcd; when the outcome
 * is unknown (the connection broke mid-call) the adapter reads the batch's puts
 * back: all there at one revision means it committed, none there means it did
 * not (and it is sent again, its guards still protecting it), anything else is
 * reported as an unknown outcome rather than guessed.
 */
import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from "cockatiel";
import { CompareResult, CompareTarget, Etcd3, isRecoverableError, SortOrder, SortTarget } from "etcd3";
import type { IDuplexStream, IKeyValue, IRangeRequest, IRangeResponse, IRequestOp, ITxnRequest, ITxnResponse, IWatchRequest, IWatchResponse } from "etcd3";
import { KmsError } from "../errors.js";
import type { Campaign, Coordination } from "./coordination.js";
import {
  batchBytes,
  bytesEqual,
  failedGuards,
  lastOpPerKey,
  StoreConflictError,
  StoreLimitError,
  StoreOpenError,
  type BatchOp,
  type BatchOptions,
  type Guard,
  type KvStore,
  type Revision,
  type ScanOptions,
  type StoreLimits,
  type Unwatch,
  type WatchListener,
} from "./store.js";

export interface EtcdTls {
  /** PEM of the CA that signed the members' certificates (absent: the system's roots). */
  ca?: Buffer;
  /** Client certificate and key (PEM), when the cluster requires client certificates. */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdStoreOptions {
  /** Client URLs of the members, e.g. ["http://10.0.0.1:2379"]; https:// with tls. */
  endpoints: readonly string[];
  /** Prefix of every key this store reads or writes (e.g. "kms/prod/"), so deployments can share a cluster. */
  prefix?: string;
  tls?: EtcdTls;
  /** The cluster's --max-txn-ops and --max-request-bytes (default: etcd's defaults, 128 and 1.5 MiB). */
  maxTxnOps?: number;
  maxRequestBytes?: number;
  /** Keys read per scan page (default 1000). */
  pageSize?: number;
  /** Time one operation may take, retries included (default 10 s). */
  timeoutMs?: number;
  /**
   * Time one attempt may take before it counts as failed and the next goes
   * to another member (default 1 s). A frozen or cut-off member answers
   * nothing: this bounds how long one call waits on it (measured in the
   * reliability suite's SIGSTOP fault).
   */
  attemptTimeoutMs?: number;
}

export const ETCD_DEFAULT_MAX_TXN_OPS = 128;
export const ETCD_DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/** Upper bound of the protobuf framing per compare, op or range of a txn (tags, lengths, nested messages). */
const FRAMING_PER_ITEM = 24;
const FRAMING_PER_TXN = 64;

const EMPTY = new Uint8Array(0);
const ZERO = Buffer.from([0]);

type TxnOutcome = { succeeded: true; revision: Revision } | { succeeded: false; current: (Uint8Array | undefined)[] };

function view(buf: Buffer | undefined): Uint8Array {
  return buf ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : EMPTY;
}

/** The first key after every key that starts with `prefix` ("\0" = to the end of the keyspace). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return ZERO;
}

/** gRPC's message without addresses: callers see it, the cluster's layout is not theirs to know. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\b\d{1,3}(?:\.\d{1,3}){3}:\d+\b/g, "<member>").replace(/^\w*Error:\s*/, "");
}

/** The call surely never reached a member: safe to send again, even a write. */
function neverSent(err: unknown): boolean {
  if ((err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError) return true;
  const m = err instanceof Error ? err.message : "";
  return /No connection established|ECONNREFUSED|etcdserver: no leader/.test(m);
}

function retriable(err: unknown): boolean {
  return err instanceof Error && (isRecoverableError(err) || neverSent(err) || /etcdserver: (leader changed|request timed out|no leader)/.test(err.message));
}

function limitError(err: unknown, opts: { maxTxnOps: number; maxRequestBytes: number }): StoreLimitError | undefined {
  const m = err instanceof Error ? err.message : "";
  if (/too many operations in txn request/.test(m))
    return new StoreLimitError(`etcd refused the batch: more operations than its --max-txn-ops (this store was told ${opts.maxTxnOps}; set KMS_ETCD_MAX_TXN_OPS to the cluster's value)`);
  if (/request is too large|message larger than max/.test(m))
    return new StoreLimitError(`etcd refused the batch: larger than its --max-request-bytes (this store was told ${opts.maxRequestBytes}; set KMS_ETCD_MAX_REQUEST_BYTES to the cluster's value)`);
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The coordination of each open etcd store (etcdCoordination), on the store's own client. */
const coordinations = new WeakMap<KvStore, Coordination>();

/** Leader election over the store's connection (coordination.ts), or undefined when `store` is not an etcd store. */
export function etcdCoordination(store: KvStore): Coordination | undefined {
  return coordinations.get(store);
}

export async function openEtcdStore(options: EtcdStoreOptions): Promise<KvStore> {
  const store = new EtcdStore(options);
  coordinations.set(store, store.coordination);
  try {
    await store.revision();
  } catch (err) {
    await store.close();
    throw new StoreOpenError(`cannot reach etcd at ${options.endpoints.join(",")}: ${reasonOf(err)}`);
  }
  return store;
}

class EtcdStore implements KvStore {
  readonly limits: StoreLimits;
  private readonly client: Etcd3;
  private readonly ns: Buffer;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly maxTxnOps: number;
  private readonly maxRequestBytes: number;
  private readonly watches = new Set<EtcdWatch>();
  private readonly campaigns = new Set<EtcdCampaign>();
  private closed = false;
  /** Leader election on this client, with keys under `<prefix>coord/leader/` (outside the service's `v1/`). */
  readonly coordination: Coordination = {
    campaign: (role, candidate, ttlS, onLead) => {
      this.checkOpen();
      const c = new EtcdCampaign(this.client, this.enc(`coord/leader/${role}`), candidate, ttlS, onLead, () => this.campaigns.delete(c));
      this.campaigns.add(c);
      return c;
    },
    leader: async (role) => {
      const res = await this.range({ key: this.enc(`coord/leader/${role}`) });
      const kv = res.kvs[0];
      return kv ? kv.value.toString("utf8") : undefined;
    },
  };

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new StoreOpenError("etcd needs at least one endpoint");
    this.ns = Buffer.from(options.prefix ?? "", "utf8");
    this.pageSize = options.pageSize ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 1_000;
    this.maxTxnOps = options.maxTxnOps ?? ETCD_DEFAULT_MAX_TXN_OPS;
    this.maxRequestBytes = options.maxRequestBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES;
    this.limits = { maxOps: this.maxTxnOps, maxBytes: this.maxRequestBytes };
    this.client = new Etcd3({
      hosts: [...options.endpoints],
      // rootCertificate null = the system's roots (gRPC accepts null; etcd3's type says Buffer).
      ...(options.tls ? { credentials: { rootCertificate: (options.tls.ca ?? null) as Buffer, ...(options.tls.key ? { privateKey: options.tls.key } : {}), ...(options.tls.cert ? { certChain: options.tls.cert } : {}) } } : {}),
      grpcOptions: {
        // Scan pages and watch batches can be large; the page size, not gRPC, bounds them.
        "grpc.max_receive_message_length": -1,
        "grpc.max_send_message_length": -1,
      },
      // Retries are this adapter's (a write may be resent only when it never arrived); a failing member is skipped for a while.
      faultHandling: {
        global: noop,
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 2_000, breaker: new ConsecutiveBreaker(3) }),
      },
      dialTimeout: this.attemptTimeoutMs,
    });
  }

  // --- keys -----------------------------------------------------------------

  private enc(key: string): Buffer {
    return Buffer.concat([this.ns, Buffer.from(key, "utf8")]);
  }

  private dec(key: Buffer): string {
    return key.subarray(this.ns.length).toString("utf8");
  }

  /** [start, end) of every key under `prefix`. */
  private rangeOf(prefix: string): { start: Buffer; end: Buffer } {
    const start = this.enc(prefix);
    return { start: start.length === 0 ? ZERO : start, end: prefixEnd(start) };
  }

  // --- calls ----------------------------------------------------------------

  private deadline(until: number): { deadline: number } {
    return { deadline: Math.min(until, Date.now() + this.attemptTimeoutMs) };
  }

  private checkOpen(): void {
    if (this.closed) throw new KmsError("InternalError", "the key store is closed");
  }

  /** A read, retried on any member until the budget runs out. */
  private async read<T>(call: (opts: { deadline: number }) => Promise<T>): Promise<T> {
    this.checkOpen();
    const until = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call(this.deadline(until));
      } catch (err) {
        if (!retriable(err) || Date.now() + 50 >= until || this.closed) throw unavailable("read", err);
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  private range(req: IRangeRequest): Promise<IRangeResponse> {
    return this.read((o) => this.client.kv.range(req, o));
  }

  // --- the port ---------------------------------------------------------------

  async get(key: string): Promise<Uint8Array | undefined> {
    const res = await this.range({ key: this.enc(key) });
    const kv = res.kvs[0];
    return kv ? view(kv.value) : undefined;
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = [];
    // One read-only txn per maxTxnOps keys: one round trip for any page the service reads.
    for (let i = 0; i < keys.length; i += this.maxTxnOps) {
      const chunk = keys.slice(i, i + this.maxTxnOps);
      const res = await this.read((o) => this.client.kv.txn({ success: chunk.map((k) => ({ request_range: { key: this.enc(k) } })) }, o));
      for (const r of res.responses) {
        const kv = r.response_range?.kvs[0];
        out.push(kv ? view(kv.value) : undefined);
      }
    }
    return out;
  }

  async revision(): Promise<Revision> {
    const res = await this.range({ key: ZERO, count_only: true, limit: 1 });
    return BigInt(res.header.revision);
  }

  async batch(ops: readonly BatchOp[], options?: BatchOptions): Promise<Revision> {
    const changes = lastOpPerKey(ops);
    const guards = distinctGuards(options?.guards ?? []);
    if (changes.length === 0 && guards.length === 0) return this.revision();
    this.checkLimits(changes, guards);
    const txn: ITxnRequest = {
      compare: guards.map((g) =>
        g.value === undefined
          ? { key: this.enc(g.key), target: CompareTarget.Version, result: CompareResult.Equal, version: 0 }
          : { key: this.enc(g.key), target: CompareTarget.Value, result: CompareResult.Equal, value: Buffer.from(g.value.buffer, g.value.byteOffset, g.value.byteLength) },
      ),
      success: changes.map((op): IRequestOp =>
        op.type === "put"
          ? { request_put: { key: this.enc(op.key), value: Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength) } }
          : { request_delete_range: { key: this.enc(op.key) } },
      ),
      // On a failed guard, read the guarded keys in the same round trip to say which ones moved.
      failure: guards.map((g) => ({ request_range: { key: this.enc(g.key) } })),
    };
    const outcome = await this.commit(txn, changes);
    if (!outcome.succeeded) throw new StoreConflictError(failedGuards(guards, outcome.current));
    return outcome.revision;
  }

  private checkLimits(changes: readonly BatchOp[], guards: readonly Guard[]): void {
    const items = Math.max(changes.length, guards.length);
    if (items > this.maxTxnOps)
      throw new StoreLimitError(`a batch of ${changes.length} operations and ${guards.length} guards exceeds etcd's --max-txn-ops of ${this.maxTxnOps} (KMS_ETCD_MAX_TXN_OPS); nothing was written`);
    const bytes = FRAMING_PER_TXN + batchBytes(changes, guards) + guards.reduce((n, g) => n + Buffer.byteLength(g.key), 0) + (changes.length + 2 * guards.length) * (FRAMING_PER_ITEM + this.ns.length);
    if (bytes > this.maxRequestBytes)
      throw new StoreLimitError(`a batch of ${bytes} bytes exceeds etcd's --max-request-bytes of ${this.maxRequestBytes} (KMS_ETCD_MAX_REQUEST_BYTES); nothing was written`);
  }

  /** Sends a write transaction; resends it only when it cannot have applied (see the header). */
  private async commit(txn: ITxnRequest, changes: readonly BatchOp[]): Promise<TxnOutcome> {
    this.checkOpen();
    const until = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let res: ITxnResponse;
      try {
        res = await this.client.kv.txn(txn, this.deadline(until));
      } catch (err) {
        const limit = limitError(err, { maxTxnOps: this.maxTxnOps, maxRequestBytes: this.maxRequestBytes });
        if (limit) throw limit;
        // Refused by etcd (not a lost answer): nothing was applied.
        if (!retriable(err)) throw unavailable("write", err, false);
        if (this.closed) throw unavailable("write", err, !neverSent(err));
        if (!neverSent(err)) {
          const landed = await this.landed(changes).catch(() => "unknown" as const);
          if (typeof landed === "bigint") return { succeeded: true, revision: landed };
          if (landed === "unknown") throw unavailable("write", err, true);
        }
        if (Date.now() + 50 >= until) throw unavailable("write", err, false);
        await sleep(Math.min(50 * 2 ** attempt, 500));
        continue;
      }
      if (res.succeeded) return { succeeded: true, revision: BigInt(res.header.revision) };
      return { succeeded: false, current: res.responses.map((r) => (r.response_range?.kvs[0] ? view(r.response_range.kvs[0].value) : undefined)) };
    }
  }

  /**
   * After a write whose answer was lost: its revision if every put is stored
   * with our bytes at one revision (it committed), "absent" if none is (it did
   * not), "unknown" otherwise (a delete-only batch, or a mixed picture).
   */
  private async landed(changes: readonly BatchOp[]): Promise<Revision | "absent" | "unknown"> {
    const puts = changes.filter((op): op is Extract<BatchOp, { type: "put" }> => op.type === "put");
    if (puts.length === 0) return changes.length > 0 ? "unknown" : "absent";
    const found: (IKeyValue | undefined)[] = [];
    for (let i = 0; i < puts.length; i += this.maxTxnOps) {
      const chunk = puts.slice(i, i + this.maxTxnOps);
      const res = await this.read((o) => this.client.kv.txn({ success: chunk.map((p) => ({ request_range: { key: this.enc(p.key) } })) }, o));
      for (const r of res.responses) found.push(r.response_range?.kvs[0]);
    }
    const ours = puts.map((p, i) => {
      const kv = found[i];
      return kv !== undefined && bytesEqual(view(kv.value), p.value) ? kv.mod_revision : undefined;
    });
    if (ours.every((r) => r === undefined)) return "absent";
    if (ours.every((r) => r !== undefined && r === ours[0])) return BigInt(ours[0] as string);
    return "unknown";
  }

  scan(opts: ScanOptions): AsyncIterable<[string, Uint8Array]> {
    return this.pages(opts, false, (kv) => [this.dec(kv.key), view(kv.value)] as [string, Uint8Array]);
  }

  scanKeys(opts: ScanOptions): AsyncIterable<string> {
    return this.pages(opts, true, (kv) => this.dec(kv.key));
  }

  private async *pages<T>(opts: ScanOptions, keysOnly: boolean, item: (kv: IKeyValue) => T): AsyncGenerator<T> {
    const { start: prefixStart, end: prefixEndKey } = this.rangeOf(opts.prefix);
    const reverse = opts.reverse ?? false;
    let start = prefixStart;
    let end = prefixEndKey;
    if (opts.after !== undefined) {
      const after = this.enc(opts.after);
      if (!reverse && after.compare(start) >= 0) start = Buffer.concat([after, ZERO]);
      if (reverse && (end.equals(ZERO) || after.compare(end) < 0)) end = after;
    }
    let remaining = opts.limit ?? Number.POSITIVE_INFINITY;
    let revision: string | undefined;
    while (remaining > 0) {
      if (!end.equals(ZERO) && start.compare(end) >= 0) return;
      const limit = Math.min(this.pageSize, remaining);
      const res = await this.range({
        key: start,
        range_end: end,
        limit,
        keys_only: keysOnly,
        sort_target: SortTarget.Key,
        sort_order: reverse ? SortOrder.Descend : SortOrder.Ascend,
        // Every page at the first page's revision: the scan is one snapshot.
        ...(revision ? { revision } : {}),
      }).catch((err: unknown) => {
        if (err instanceof KmsError && /compacted/.test(err.message))
          throw new KmsError("InternalError", `a scan of ${opts.prefix || "the store"} outlived etcd's compaction of its snapshot; run it again`, err);
        throw err;
      });
      revision ??= res.header.revision;
      for (const kv of res.kvs) yield item(kv);
      remaining -= res.kvs.length;
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) return;
      if (reverse) end = last.key;
      else start = Buffer.concat([last.key, ZERO]);
    }
  }

  async watch(prefix: string, listener: WatchListener, options?: { afterRevision?: Revision }): Promise<Unwatch> {
    this.checkOpen();
    const { start, end } = this.rangeOf(prefix);
    const w = new EtcdWatch(this.client, { start, end }, (key) => this.dec(key), listener, options?.afterRevision, this.timeoutMs, this.attemptTimeoutMs);
    this.watches.add(w);
    try {
      await w.started;
    } catch (err) {
      this.watches.delete(w);
      w.cancel();
      throw unavailable("watch", err);
    }
    return async () => {
      this.watches.delete(w);
      w.cancel();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.campaigns].map((c) => c.resign().catch(() => undefined)));
    this.closed = true;
    for (const w of this.watches) w.cancel();
    this.watches.clear();
    this.client.close();
  }
}

/** One guard per key; two guards on a key expecting different content make the batch fail as a conflict. */
function distinctGuards(guards: readonly Guard[]): Guard[] {
  const seen = new Map<string, Guard>();
  for (const g of guards) {
    const prev = seen.get(g.key);
    if (prev && !bytesEqual(prev.value, g.value)) throw new StoreConflictError([g.key]);
    seen.set(g.key, g);
  }
  return [...seen.values()];
}

function unavailable(what: "read" | "write" | "watch", err: unknown, maybeApplied = false): Error {
  if (err instanceof KmsError || err instanceof StoreLimitError || err instanceof StoreConflictError) return err;
  const outcome = what !== "write" ? "" : maybeApplied ? "; the change may or may not have been applied" : "; nothing was changed";
  return new KmsError("InternalError", `the key store (etcd) could not ${what}: ${reasonOf(err)}${outcome}`, err);
}

/**
 * One watch over [start, end) on its own stream, resumed after the last
 * revision it delivered whenever the stream breaks. Events arrive grouped by
 * revision (etcd never splits a revision across responses), so each revision
 * is handed over as one commit.
 */
class EtcdWatch {
  readonly started: Promise<void>;
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  /** Highest revision delivered (or known to hold nothing for us); the next stream starts after it. */
  private last: Revision | undefined;
  private cancelled = false;
  private failures = 0;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly range: { start: Buffer; end: Buffer },
    private readonly decode: (key: Buffer) => string,
    private readonly listener: WatchListener,
    afterRevision: Revision | undefined,
    startTimeoutMs: number,
    /** A member that does not confirm the watch within this long is left for another (a frozen one never will). */
    private readonly attemptTimeoutMs: number,
  ) {
    this.last = afterRevision;
    this.started = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      setTimeout(() => this.fail(new Error(`no etcd member accepted the watch within ${startTimeoutMs} ms`)), startTimeoutMs).unref();
    });
    void this.connect();
  }

  cancel(): void {
    this.cancelled = true;
    this.stream?.cancel();
    this.stream = undefined;
    this.fail(new Error("the watch was cancelled"));
  }

  private fail(err: unknown): void {
    this.settle?.reject(err);
    this.settle = undefined;
  }

  private async connect(): Promise<void> {
    if (this.cancelled) return;
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.client.watchClient.watch();
    } catch {
      return this.retry();
    }
    if (this.cancelled) return void stream.cancel();
    this.stream = stream;
    let ended = false;
    const onBreak = () => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) this.stream = undefined;
      stream.cancel();
      this.retry();
    };
    const unconfirmed = setTimeout(onBreak, this.attemptTimeoutMs);
    unconfirmed.unref();
    stream.on("data", (res: IWatchResponse) => {
      if (res.created) clearTimeout(unconfirmed);
      if (this.handle(res) === "restart") onBreak();
    });
    stream.on("error", onBreak);
    stream.on("end", onBreak);
    stream.write({
      create_request: {
        key: this.range.start,
        range_end: this.range.end,
        ...(this.last !== undefined ? { start_revision: (this.last + 1n).toString() } : {}),
      },
    });
  }

  private retry(): void {
    if (this.cancelled) return;
    const delay = Math.min(100 * 2 ** this.failures++, 2_000);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private handle(res: IWatchResponse): "ok" | "restart" {
    if (this.cancelled) return "ok";
    if (res.created) {
      this.failures = 0;
      // Started "now": everything after the creation's revision is ours to deliver.
      this.last ??= BigInt(res.header.revision);
      this.settle?.resolve();
      this.settle = undefined;
    }
    if (res.canceled) {
      const compacted = BigInt(res.compact_revision || "0");
      if (compacted > 0n) {
        // The history after `last` is gone: say so, then go on from the oldest revision etcd still has.
        this.deliver({ type: "gap", revision: compacted - 1n, reason: `etcd compacted its history up to revision ${compacted - 1n}, past revision ${this.last ?? 0n}` });
        this.last = compacted - 1n;
      }
      return "restart";
    }
    let group: BatchOp[] = [];
    let groupRev: Revision | undefined;
    const flush = () => {
      if (groupRev === undefined) return;
      this.deliver({ type: "commit", revision: groupRev, changes: group });
      this.last = groupRev;
      group = [];
      groupRev = undefined;
    };
    for (const ev of res.events) {
      const rev = BigInt(ev.kv.mod_revision);
      if (this.last !== undefined && rev <= this.last) continue;
      if (groupRev !== undefined && rev !== groupRev) flush();
      groupRev = rev;
      const key = this.decode(ev.kv.key);
      group.push(String(ev.type).toUpperCase() === "DELETE" ? { type: "del", key } : { type: "put", key, value: view(ev.kv.value) });
    }
    flush();
    return "ok";
  }

  private deliver(event: Parameters<WatchListener>[0]): void {
    try {
      this.listener(event);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

/** A promise that rejects after `ms` (a call to a frozen member must not hold a leader past its lease). */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One candidacy: a lease of `ttlS`, and the role's key created under it only
 * if absent. The holder renews the lease every third of its life and counts
 * it valid until (time the last renewal was asked) + ttl - margin: past that,
 * etcd may already have expired it and another candidate may lead, so it
 * gives the role up first. The others look for the key every 200 ms and try
 * again when it is gone (the leader resigned, or its lease expired).
 */
class EtcdCampaign implements Campaign {
  private resigned = false;
  private isLeading = false;
  private leaseId: string | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly key: Buffer,
    private readonly candidate: string,
    private readonly ttlS: number,
    private readonly onLead: (leading: boolean) => void,
    private readonly forget: () => void,
  ) {
    void this.run().finally(forget);
  }

  get leading(): boolean {
    return this.isLeading;
  }

  async resign(): Promise<void> {
    if (this.resigned) return;
    this.resigned = true;
    this.setLeading(false);
    // Revoking the lease deletes the role's key: another candidate may lead at once.
    const id = this.leaseId;
    if (id !== undefined) await within(2_000, this.client.leaseClient.leaseRevoke({ ID: id })).catch(() => undefined);
  }

  private setLeading(leading: boolean): void {
    if (this.isLeading === leading) return;
    this.isLeading = leading;
    this.onLead(leading);
  }

  private get ttlMs(): number {
    return this.ttlS * 1000;
  }

  /** Margin kept between the end of the lease as this process counts it and as etcd may. */
  private get marginMs(): number {
    return Math.min(1000, this.ttlMs / 5);
  }

  private async run(): Promise<void> {
    while (!this.resigned) {
      try {
        await this.term();
      } catch {
        // etcd unreachable or a member frozen: campaign again shortly.
      }
      this.setLeading(false);
      const id = this.leaseId;
      this.leaseId = undefined;
      if (id !== undefined) void within(2_000, this.client.leaseClient.leaseRevoke({ ID: id })).catch(() => undefined);
      if (!this.resigned) await sleep(200);
    }
  }

  /** One attempt: lead until the lease cannot be shown alive, or wait until the role is free. */
  private async term(): Promise<void> {
    const asked = Date.now();
    const grant = await within(this.ttlMs / 2, this.client.leaseClient.leaseGrant({ TTL: this.ttlS }));
    this.leaseId = grant.ID;
    if (this.resigned) return;
    const res = await within(this.ttlMs / 2, this.client.kv.txn({
      compare: [{ key: this.key, target: CompareTarget.Version, result: CompareResult.Equal, version: 0 }],
      success: [{ request_put: { key: this.key, value: Buffer.from(this.candidate, "utf8"), lease: grant.ID } }],
      failure: [{ request_range: { key: this.key } }],
    }));
    if (!res.succeeded) {
      // Someone leads: drop the unused lease and wait for the key to go.
      const id = this.leaseId;
      this.leaseId = undefined;
      void within(2_000, this.client.leaseClient.leaseRevoke({ ID: id })).catch(() => undefined);
      while (!this.resigned) {
        await sleep(200);
        const now = await within(this.ttlMs / 2, this.client.kv.range({ key: this.key, count_only: true }));
        if (Number(now.count) === 0) return;
      }
      return;
    }
    let validUntil = asked + this.ttlMs - this.marginMs;
    if (this.resigned || Date.now() >= validUntil) return;
    this.setLeading(true);
    const renewEvery = this.ttlMs / 3;
    let nextRenewal = Date.now() + renewEvery;
    while (!this.resigned && Date.now() < validUntil) {
      await sleep(Math.max(0, Math.min(100, validUntil - Date.now(), nextRenewal - Date.now())));
      if (this.resigned || Date.now() >= validUntil) break;
      if (Date.now() < nextRenewal) continue;
      const sent = Date.now();
      nextRenewal = sent + renewEvery;
      const renewed = await within(Math.max(50, validUntil - sent), this.keepAliveOnce(grant.ID)).catch(() => 0);
      // TTL 0: etcd says the lease is gone.
      if (renewed <= 0) break;
      validUntil = Math.max(validUntil, sent + renewed * 1000 - this.marginMs);
    }
  }

  /** One lease renewal; resolves with the TTL etcd granted (0: the lease no longer exists). */
  private async keepAliveOnce(id: string): Promise<number> {
    const stream = await this.client.leaseClient.leaseKeepAlive();
    try {
      return await new Promise<number>((resolve, reject) => {
        stream.on("data", (r: { TTL: string }) => resolve(Number(r.TTL)));
        stream.on("error", reject);
        stream.on("end", () => reject(new Error("the keepalive stream ended")));
        stream.write({ ID: id });
      });
    } finally {
      stream.end();
    }
  }
}
