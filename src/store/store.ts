/**
 * The storage port. Bytes in, bytes out, and atomic batches: every state change
 * of the service is exactly one batch(). No LevelDB types cross this line, so
 * another backend (etcd, a later issue) implements these five methods.
 */

export type BatchOp = { type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string };

export interface ScanOptions {
  /** Keys starting with this prefix, in byte order. */
  prefix: string;
  /** Start after this key (for paging). */
  after?: string;
  limit?: number;
  reverse?: boolean;
}

export interface BatchOptions {
  /**
   * false: atomic and visible at once, but not forced to disk before the
   * promise resolves; it becomes durable with the next durable batch (the
   * write-ahead log is sequential). Default true (the store's sync setting).
   */
  durable?: boolean;
}

export interface KvStore {
  get(key: string): Promise<Uint8Array | undefined>;
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /** Applies every op or none. */
  batch(ops: readonly BatchOp[], options?: BatchOptions): Promise<void>;
  scan(opts: ScanOptions): AsyncIterable<[string, Uint8Array]>;
  /** Keys only: cheaper for counting and indexes. */
  scanKeys(opts: ScanOptions): AsyncIterable<string>;
  close(): Promise<void>;
}

/** The store could not be opened (locked by another process, unreadable directory...). */
export class StoreOpenError extends Error {
  override readonly name = "StoreOpenError";
}
