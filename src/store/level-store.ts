/**
 * LevelDB adapter of the storage port (classic-level through `level`).
 *
 * One process owns the database (LevelDB's lock), so the adapter orders
 * writes itself: batches that share a key (written or guarded) run one after
 * the other, in call order, while batches on disjoint keys still reach
 * LevelDB together and share its group commit. A guarded batch checks its
 * guards inside that order, so no write of this process lands between the
 * check and the batch; and watchers see commits in the order they applied.
 *
 * After a failed write (disk full, I/O error) LevelDB's log may end in a torn
 * record, and anything appended after it would be dropped when the log is
 * replayed: acknowledged writes lost (found by the reliability suite). So a
 * failed write marks the store broken; further writes are refused until the
 * database has been reopened, which replays the log up to its last good
 * record and starts a fresh log file. The reopen is tried only once the
 * filesystem has room again, so reads keep working meanwhile.
 */
import { statfs } from "node:fs/promises";
import { Level } from "level";
import { KmsError } from "../errors.js";
import { KeyOrder } from "./key-order.js";
import {
  failedGuards,
  lastOpPerKey,
  StoreConflictError,
  StoreOpenError,
  type BatchOp,
  type BatchOptions,
  type KvStore,
  type Revision,
  type ScanOptions,
} from "./store.js";
import { CommitLog } from "./commit-log.js";

export interface LevelStoreOptions {
  /** fsync each batch before it is acknowledged. */
  sync: boolean;
}

/** Free space needed before a broken store tries to reopen (recovery writes a table). */
const REOPEN_MIN_FREE_BYTES = 1024 * 1024;

function rangeOf(opts: ScanOptions) {
  // "\xff" sorts after every character used in our keys (ASCII ids and separators); "" is every key.
  const range: { gt?: string; gte?: string; lt?: string; limit?: number; reverse?: boolean } = {
    reverse: opts.reverse ?? false,
  };
  if (opts.prefix !== "") range.lt = `${opts.prefix}\xff`;
  if (opts.after !== undefined) {
    if (opts.reverse) range.lt = opts.after;
    else range.gt = opts.after;
  }
  if (!range.gt) range.gte = opts.prefix;
  if (opts.limit !== undefined) range.limit = opts.limit;
  return range;
}

type Db = Level<string, Uint8Array>;
type LevelOp = { type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string };

/**
 * The batch with its largest value moved last. LevelDB's WriteBatch is one
 * string grown as ops are added, so a large value followed by others is
 * copied again into a buffer twice its size, on the main thread (measured
 * with the audit block before its head record). The ops of one batch touch
 * distinct keys (lastOpPerKey), so their order in it changes nothing.
 */
function largestLast(ops: LevelOp[]): LevelOp[] {
  let largest = -1;
  let size = 0;
  ops.forEach((op, i) => {
    if (op.type === "put" && op.value.byteLength > size) {
      size = op.value.byteLength;
      largest = i;
    }
  });
  if (largest >= 0 && largest < ops.length - 1) ops.push(...ops.splice(largest, 1));
  return ops;
}

async function openDb(dir: string): Promise<Db> {
  const db: Db = new Level<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new StoreOpenError(`cannot open the LevelDB store in ${dir}: ${cause}`);
  }
  return db;
}

/** The error's reason without file paths: callers see it, and the data directory is not theirs to know. */
function causeOf(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return (e.cause?.message ?? e.message ?? String(err)).replace(/(?:\/[^\s:]+)+:\s*/g, "");
}

function writeRefused(reason: string, cause?: unknown): KmsError {
  return new KmsError("InternalError", `the key store cannot write (${reason}); nothing was changed`, cause);
}

async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

export async function openLevelStore(dir: string, options: LevelStoreOptions): Promise<KvStore> {
  let db = await openDb(dir);
  let broken: string | undefined;
  let reopening: Promise<void> | undefined;
  const durableWrite = { sync: options.sync };
  const lazyWrite = { sync: false };
  const order = new KeyOrder();
  const commits = new CommitLog();

  /** Reopens a broken store when there is room; otherwise refuses the write. */
  async function writable(): Promise<void> {
    if (broken === undefined) return;
    if (!reopening) {
      reopening = (async () => {
        if ((await freeBytes(dir)) < REOPEN_MIN_FREE_BYTES) throw writeRefused(`${broken}; still no space`);
        await db.close();
        db = await openDb(dir);
        broken = undefined;
      })().finally(() => (reopening = undefined));
    }
    await reopening;
  }

  return {
    // One process and no transaction size limit of its own.
    limits: { maxOps: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY },
    async get(key) {
      await reopening?.catch(() => undefined);
      return db.get(key);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      await reopening?.catch(() => undefined);
      return db.getMany([...keys]);
    },
    async batch(ops: readonly BatchOp[], batchOptions?: BatchOptions) {
      const guards = batchOptions?.guards ?? [];
      if (ops.length === 0 && guards.length === 0) return commits.revision;
      const changes = lastOpPerKey(ops);
      const keys = changes.map((op) => op.key).concat(guards.map((g) => g.key));
      return order.run(keys, async () => {
        await writable();
        if (guards.length > 0) {
          const failed = failedGuards(guards, await db.getMany(guards.map((g) => g.key)));
          if (failed.length > 0) throw new StoreConflictError(failed);
        }
        if (changes.length === 0) return commits.revision;
        try {
          await db.batch(
            largestLast(changes.map((op) => (op.type === "put" ? { type: "put" as const, key: op.key, value: op.value } : { type: "del" as const, key: op.key }))),
            batchOptions?.durable === false ? lazyWrite : durableWrite,
          );
        } catch (err) {
          broken = causeOf(err);
          throw writeRefused(broken, err);
        }
        // Inside the key order: watchers of a key see its commits in the order they applied.
        return commits.append(changes);
      });
    },
    async *scan(opts) {
      await reopening?.catch(() => undefined);
      for await (const entry of db.iterator(rangeOf(opts))) yield entry;
    },
    async *scanKeys(opts) {
      await reopening?.catch(() => undefined);
      for await (const key of db.keys(rangeOf(opts))) yield key;
    },
    async revision(): Promise<Revision> {
      return commits.revision;
    },
    async watch(prefix, listener, watchOptions) {
      return commits.watch(prefix, listener, watchOptions?.afterRevision);
    },
    async close() {
      await reopening?.catch(() => undefined);
      commits.close();
      await db.close();
    },
  };
}
