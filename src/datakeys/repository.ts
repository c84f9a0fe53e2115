/**
 * Typed access to the hosted data keys over the storage port, and their
 * listing index. Reads return records; writes are returned as ops, so an
 * action puts everything it changes into one batch, and commit() writes that
 * batch and then brings the index up to date from the records it wrote.
 */
import type { Journal } from "../call.js";
import { KmsError } from "../errors.js";
import type { BatchOp, KvStore } from "../store/store.js";
import type { DataKeyRecord, DataKeyScope } from "./data-key.js";
import { dataKeysKeyspace, parseDeletionKey, scopeKey } from "./keyspace.js";
import { DataKeyIndex, summaryOf, type DataKeySummary } from "./listing-index.js";
import { decodeRecord, encodeRecord } from "../store/record-codec.js";




/** What a batch does to the index: the records it writes, the ones it deletes. */
export interface IndexChanges {
  put?: readonly DataKeyRecord[];
  remove?: readonly DataKeyRecord[];
}

/** One due entry of the deletion schedule. */
export interface DueDeletion {
  storeKey: string;
  dateMs: number;
  scope: DataKeyScope;
  dataKeyId: string;
}

export class DataKeyRepository {
  /** Scope key → its listing index; built by one scan of every record, on first use. */
  private built: Promise<Map<string, DataKeyIndex>> | undefined;
  /** Ids of records that could not be read when the index was built (left out of listings). */
  unreadable: readonly string[] = [];
  /** Per scope: places taken by changes still being written (see records.ts reservePlace). */
  private readonly reserved = new Map<string, number>();

  constructor(readonly store: KvStore) {}

  /**
   * The listing indexes of every scope. Built once, by one scan; every write
   * waits for the build (commit), so the scan and the writes never overlap
   * and no write can be missed by it.
   */
  indexes(): Promise<Map<string, DataKeyIndex>> {
    this.built ??= (async () => {
      const lists = new Map<string, DataKeySummary[]>();
      const unreadable: string[] = [];
      for await (const [k, bytes] of this.store.scan({ prefix: dataKeysKeyspace.allRecordsPrefix })) {
        try {
          const r = decodeRecord<DataKeyRecord>(bytes, k);
          const key = scopeKey(r);
          let list = lists.get(key);
          if (!list) lists.set(key, (list = []));
          list.push(summaryOf(r));
        } catch (err) {
          // One damaged record must not take listing down for every data key; DescribeDataKey names it.
          if (!(err instanceof KmsError)) throw err;
          unreadable.push(k.slice(dataKeysKeyspace.allRecordsPrefix.length));
        }
      }
      this.unreadable = unreadable;
      return new Map([...lists].map(([key, list]) => [key, DataKeyIndex.of(list)]));
    })();
    return this.built;
  }

  /** The listing index of one scope (empty if it has no data key yet). */
  async index(scope: DataKeyScope): Promise<DataKeyIndex> {
    const all = await this.indexes();
    const key = scopeKey(scope);
    let index = all.get(key);
    if (!index) all.set(key, (index = new DataKeyIndex()));
    return index;
  }

  /** How many data keys of a scope count against the limit, places reserved by writes in flight included. */
  async countedWithReservations(scope: DataKeyScope): Promise<number> {
    return (await this.index(scope)).countedSize + (this.reserved.get(scopeKey(scope)) ?? 0);
  }

  /** Holds one place of a scope until `release` (the write that needs it has landed in the index, or failed). */
  reserve(scope: DataKeyScope): () => void {
    const key = scopeKey(scope);
    this.reserved.set(key, (this.reserved.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.reserved.get(key) ?? 1) - 1;
      if (left === 0) this.reserved.delete(key);
      else this.reserved.set(key, left);
    };
  }

  async get(scope: DataKeyScope, dataKeyId: string): Promise<DataKeyRecord | undefined> {
    const bytes = await this.store.get(dataKeysKeyspace.record(scope, dataKeyId));
    return bytes && decodeRecord<DataKeyRecord>(bytes, `data key ${dataKeyId}`);
  }

  /** Several records of one scope at once, in order; undefined where there is none. */
  async getMany(scope: DataKeyScope, dataKeyIds: readonly string[]): Promise<(DataKeyRecord | undefined)[]> {
    const values = await this.store.getMany(dataKeyIds.map((id) => dataKeysKeyspace.record(scope, id)));
    return values.map((bytes, i) => bytes && decodeRecord<DataKeyRecord>(bytes, `data key ${dataKeyIds[i]}`));
  }

  /** The data key holding a name in a scope. */
  async nameOwner(scope: DataKeyScope, name: string): Promise<string | undefined> {
    const bytes = await this.store.get(dataKeysKeyspace.name(scope, name));
    return bytes && Buffer.from(bytes).toString("utf8");
  }

  /** Deletion entries due at or before `nowMs`, oldest first. */
  async *dueDeletions(nowMs: number): AsyncIterable<DueDeletion> {
    for await (const storeKey of this.store.scanKeys({ prefix: dataKeysKeyspace.deletionsPrefix })) {
      const parsed = parseDeletionKey(storeKey);
      if (parsed === undefined) {
        yield { storeKey, dateMs: 0, scope: { account: "", region: "" }, dataKeyId: "" };
        continue;
      }
      if (parsed.dateMs > nowMs) return;
      yield { storeKey, ...parsed };
    }
  }

  putRecord(record: DataKeyRecord): BatchOp {
    return { type: "put", key: dataKeysKeyspace.record(record, record.dataKeyId), value: encodeRecord(record) };
  }

  delRecord(record: DataKeyRecord): BatchOp {
    return { type: "del", key: dataKeysKeyspace.record(record, record.dataKeyId) };
  }

  putName(record: DataKeyRecord): BatchOp {
    return { type: "put", key: dataKeysKeyspace.name(record, record.name), value: Buffer.from(record.dataKeyId, "utf8") };
  }

  delName(scope: DataKeyScope, name: string): BatchOp {
    return { type: "del", key: dataKeysKeyspace.name(scope, name) };
  }

  putDeletion(record: DataKeyRecord, dateMs: number): BatchOp {
    return { type: "put", key: dataKeysKeyspace.deletion(dateMs, record, record.dataKeyId), value: new Uint8Array(0) };
  }

  delDeletion(record: DataKeyRecord, dateMs: number): BatchOp {
    return { type: "del", key: dataKeysKeyspace.deletion(dateMs, record, record.dataKeyId) };
  }

  delRaw(storeKey: string): BatchOp {
    return { type: "del", key: storeKey };
  }

  /**
   * Writes one change as one batch: through the call's journal (its audit
   * event in the same batch, naming `subjects`), or straight to the store for
   * the scheduler's own work (null). Then the index follows `changes`.
   */
  async commit(ops: readonly BatchOp[], journal: Journal | null, changes: IndexChanges, subjects?: readonly string[]): Promise<void> {
    const all = await this.indexes();
    if (ops.length > 0) {
      if (journal) await journal(ops, subjects);
      else await this.store.batch(ops);
    }
    for (const r of changes.remove ?? []) all.get(scopeKey(r))?.remove(r.dataKeyId);
    for (const r of changes.put ?? []) {
      const key = scopeKey(r);
      let index = all.get(key);
      if (!index) all.set(key, (index = new DataKeyIndex()));
      index.put(summaryOf(r));
    }
  }
}
