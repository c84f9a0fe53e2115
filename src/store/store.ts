/**
 * The storage port. Bytes in, bytes out, and atomic batches: every state change
 * of the service is exactly one batch(). No backend types cross this line;
 * the adapters are LevelDB (embedded, one process) and etcd (shared by replicas).
 */

export type BatchOp = { type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string };

export interface ScanOptions {
  /** Keys starting with this prefix, in byte order ("" = every key). */
  prefix: string;
  /** Start after this key (for paging). */
  after?: string;
  limit?: number;
  reverse?: boolean;
}

/**
 * What a key must hold for a guarded batch to apply: the exact bytes a caller
 * read earlier, or `undefined` for "absent". Compared inside the write itself
 * (an etcd transaction's compare; under the LevelDB adapter's per-key order),
 * so a read-modify-write cannot lose a concurrent writer's change.
 */
export interface Guard {
  key: string;
  value: Uint8Array | undefined;
}

export interface BatchOptions {
  /**
   * false: atomic and visible at once, but not forced to disk before the
   * promise resolves; it becomes durable with the next durable batch (the
   * write-ahead log is sequential). Default true (the store's sync setting).
   * etcd commits every batch through its raft log, so there it is always durable.
   */
  durable?: boolean;
  /** Every guard must hold or nothing is written and the batch rejects with StoreConflictError. */
  guards?: readonly Guard[];
}

/**
 * Position in a store's commit order, strictly increasing. etcd: the cluster's
 * revision (shared by every replica). LevelDB: a counter of this process's commits.
 */
export type Revision = bigint;

/**
 * One committed batch as a watcher sees it: the puts and deletes under the
 * watched prefix, in batch order, at most one per key (a batch that touches a
 * key twice is stored as its last op).
 */
export interface StoreCommit {
  type: "commit";
  revision: Revision;
  changes: readonly BatchOp[];
}

/**
 * The watch cannot prove it saw every commit since `afterRevision` (the
 * history it needed was compacted or dropped): rebuild whatever the listener
 * keeps from a scan. Commits after `revision` keep arriving.
 */
export interface StoreGap {
  type: "gap";
  revision: Revision;
  reason: string;
}

export type WatchEvent = StoreCommit | StoreGap;

/** Called in commit order, synchronously; it must not throw (a throw is rethrown as an uncaught error). */
export type WatchListener = (event: WatchEvent) => void;

export interface WatchOptions {
  /**
   * Deliver every commit with a revision above this one (history replayed).
   * Absent: from the watch's start. With revision() before a scan, a cache
   * loads a snapshot and then applies every later commit without a hole.
   */
  afterRevision?: Revision;
}

export type Unwatch = () => Promise<void>;

/** The largest batch the backend accepts; batch() refuses a bigger one with StoreLimitError, whole. */
export interface StoreLimits {
  /** Puts, deletes and guards of one batch (etcd: --max-txn-ops). */
  maxOps: number;
  /**
   * Bytes of one batch as the backend counts them (etcd: --max-request-bytes,
   * where each op and guard adds about 24 bytes and the key prefix to its key
   * and value). Sizing batches by batchBytes() with half of this is safe.
   */
  maxBytes: number;
}

export interface KvStore {
  readonly limits: StoreLimits;
  get(key: string): Promise<Uint8Array | undefined>;
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * Applies every op or none; with guards, only if every guard holds (else
   * StoreConflictError). Resolves with the commit's revision (a batch that
   * changes nothing: the store's revision when its guards were checked), so a
   * writer can wait until a watcher, or another replica, has seen it.
   */
  batch(ops: readonly BatchOp[], options?: BatchOptions): Promise<Revision>;
  /** One consistent snapshot, read a page at a time. */
  scan(opts: ScanOptions): AsyncIterable<[string, Uint8Array]>;
  /** Keys only: cheaper for counting and indexes. */
  scanKeys(opts: ScanOptions): AsyncIterable<string>;
  /** The revision of the latest commit (0n before any). */
  revision(): Promise<Revision>;
  /** Resolves once watching: every commit under `prefix` from then on (or after options.afterRevision) is delivered. */
  watch(prefix: string, listener: WatchListener, options?: WatchOptions): Promise<Unwatch>;
  close(): Promise<void>;
}

/** The store could not be opened (locked by another process, unreadable directory, unreachable cluster...). */
export class StoreOpenError extends Error {
  override readonly name = "StoreOpenError";
}

/**
 * A guard did not hold: nothing was written. Read again and retry. `keys`
 * names the guarded keys whose content differed when the batch was tried.
 */
export class StoreConflictError extends Error {
  override readonly name = "StoreConflictError";
  constructor(readonly keys: readonly string[]) {
    super(`the store changed under a guarded batch (${keys.length === 1 ? `key ${keys[0]}` : `${keys.length} keys`}); nothing was written`);
  }
}

/** A batch over the store's limits: refused whole, never split (splitting would break atomicity). */
export class StoreLimitError extends Error {
  override readonly name = "StoreLimitError";
}

/** Collapses a batch to its last op per key, in the order those last ops appear (what applying it in order leaves). */
export function lastOpPerKey(ops: readonly BatchOp[]): BatchOp[] {
  const last = new Map<string, number>();
  ops.forEach((op, i) => last.set(op.key, i));
  if (last.size === ops.length) return [...ops];
  return ops.filter((op, i) => last.get(op.key) === i);
}

/** Bytes a batch puts on the wire, counted as keys + values + guard values (framing aside). */
export function batchBytes(ops: readonly BatchOp[], guards: readonly Guard[] = []): number {
  let n = 0;
  for (const op of ops) n += Buffer.byteLength(op.key) + (op.type === "put" ? op.value.byteLength : 0);
  for (const g of guards) n += Buffer.byteLength(g.key) + (g.value?.byteLength ?? 0);
  return n;
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * The guards that fail against `current` (the guarded keys' values now, in
 * guard order). Two guards on one key that expect different content can
 * never both hold.
 */
export function failedGuards(guards: readonly Guard[], current: readonly (Uint8Array | undefined)[]): string[] {
  const failed: string[] = [];
  guards.forEach((g, i) => {
    if (!bytesEqual(g.value, current[i]) && !failed.includes(g.key)) failed.push(g.key);
  });
  return failed;
}
