/** LevelDB adapter of the storage port (classic-level through `level`). */
import { Level } from "level";
import { StoreOpenError, type BatchOp, type KvStore, type ScanOptions } from "./store.js";

export interface LevelStoreOptions {
  /** fsync each batch before it is acknowledged. */
  sync: boolean;
}

function rangeOf(opts: ScanOptions) {
  // "\xff" sorts after every character used in our keys (ASCII ids and separators).
  const range: { gt?: string; gte?: string; lt: string; limit?: number; reverse?: boolean } = {
    lt: `${opts.prefix}\xff`,
    reverse: opts.reverse ?? false,
  };
  if (opts.after !== undefined) {
    if (opts.reverse) range.lt = opts.after;
    else range.gt = opts.after;
  }
  if (!range.gt) range.gte = opts.prefix;
  if (opts.limit !== undefined) range.limit = opts.limit;
  return range;
}

export async function openLevelStore(dir: string, options: LevelStoreOptions): Promise<KvStore> {
  const db = new Level<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new StoreOpenError(`cannot open the LevelDB store in ${dir}: ${cause}`);
  }
  const writeOptions = { sync: options.sync };
  return {
    async get(key) {
      return db.get(key);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      return db.getMany([...keys]);
    },
    async batch(ops: readonly BatchOp[]) {
      if (ops.length === 0) return;
      await db.batch(
        ops.map((op) => (op.type === "put" ? { type: "put" as const, key: op.key, value: op.value } : { type: "del" as const, key: op.key })),
        writeOptions,
      );
    },
    async *scan(opts) {
      for await (const entry of db.iterator(rangeOf(opts))) yield entry;
    },
    async *scanKeys(opts) {
      for await (const key of db.keys(rangeOf(opts))) yield key;
    },
    async close() {
      await db.close();
    },
  };
}
