/**
 * Typed access to the hosted data keys over the storage port, and their
 * listing index. Reads return records; writes are returned as ops, so an
 * action puts everything it changes into one batch, and commit() writes that
 * batch; the index then follows what was written.
 *
 * Replicas (several processes on one etcd): the listing index and the
 * per-scope counts are kept from the store's watch (applyCommit: every
 * replica's commits, this one's included), so a data key made on another
 * replica is listed and counted here once the watch delivers it; a change
 * waits until its own commit is applied here before it returns (settle).
 * Every record read keeps the stored bytes it came from (guardOf), and a
 * change's batch is guarded by them, or by absent() for a name or id it
 * takes, so a concurrent change elsewhere makes it fail with
 * StoreConflictError instead of being lost (records.ts re-runs it). On a
 * store only this process writes (shared false: LevelDB) the in-process
 * locks serialise every change and the guards are left out.
 */
import { journaledRevision, type Journal } from "../call.js";
import { KmsError } from "../errors.js";
import { absent, GuardedReads } from "../store/guarded.js";
import type { BatchOp, Guard, KvStore, Revision } from "../store/store.js";
import type { DataKeyRecord, DataKeyScope } from "./data-key.js";
import { dataKeysKeyspace, parseDeletionKey, parseRecordKey, scopeKey } from "./keyspace.js";
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
  /** The index once built (undefined while the scan runs). */
  private index_: Map<string, DataKeyIndex> | undefined;
  /** Commits the watch delivered while the scan ran: replayed onto the index when it ends. */
  private duringBuild: (readonly BatchOp[])[] = [];
  /** Ids of records that could not be read when the index was built (left out of listings). */
  unreadable: readonly string[] = [];
  /** Per scope: places taken by changes still being written (see records.ts reservePlace). */
  private readonly reserved = new Map<string, number>();
  /** The stored bytes of each record read, for guardOf. */
  private readonly reads = new GuardedReads<DataKeyRecord>();
  /** Records behind putRecord ops, so the index follows this process's own writes without decoding them. */
  private readonly written = new WeakMap<BatchOp, DataKeyRecord>();
  /** Set once the store's watch feeds applyCommit: commit() then leaves the index to it and waits for its own commit (settle). */
  private watched: { settle: (revision: Revision) => Promise<void> } | undefined;
  /** For the replica's store watch (src/replica/sync.ts Follower): what it keeps. */
  readonly name = "data key index";
  readonly prefixes: readonly string[] = [dataKeysKeyspace.allRecordsPrefix];
  /** Other processes write the store too (etcd replicas): changes carry their guards. */
  readonly shared: boolean;

  constructor(
    readonly store: KvStore,
    options: { shared?: boolean } = {},
  ) {
    this.shared = options.shared ?? true;
  }

  /**
   * The listing indexes of every scope. Built once, by one scan. Without a
   * watch every write waits for the build (commit), so the scan and the
   * writes never overlap; with one, commits delivered during the scan are
   * replayed onto its result (right whether or not the scan saw them).
   */
  indexes(): Promise<Map<string, DataKeyIndex>> {
    if (this.index_) return Promise.resolve(this.index_);
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
      const index = new Map([...lists].map(([key, list]) => [key, DataKeyIndex.of(list)]));
      this.index_ = index;
      for (const ops of this.duringBuild.splice(0)) this.applyToIndex(ops);
      return index;
    })();
    return this.built;
  }

  /**
   * One commit as the store's watch delivers it (every replica's, this one's
   * included), in commit order. Idempotent: a put replaces a data key's
   * summary, a delete removes it.
   */
  applyCommit(changes: readonly BatchOp[]): void {
    if (this.index_) this.applyToIndex(changes);
    else if (this.built) this.duringBuild.push(changes);
    // Not built yet: the scan, when it runs, reads what the store holds then.
  }

  /** The watch lost history (etcd compacted it): the index is built again from a scan. */
  async rebuild(): Promise<void> {
    const wasBuilt = this.built !== undefined;
    this.built = undefined;
    this.index_ = undefined;
    this.duringBuild = [];
    if (wasBuilt) await this.indexes();
  }

  /**
   * From now on the store's watch feeds applyCommit (app.ts followStore):
   * commit() leaves the index to it, and waits (`settle`) until its own
   * commit is applied here, so a change is listed and counted when it returns.
   */
  follow(settle: (revision: Revision) => Promise<void>): void {
    this.watched = { settle };
  }

  private applyToIndex(changes: readonly BatchOp[]): void {
    const all = this.index_;
    if (!all) return;
    for (const op of changes) {
      const place = parseRecordKey(op.key);
      if (!place) continue;
      const key = scopeKey(place.scope);
      if (op.type === "del") {
        all.get(key)?.remove(place.dataKeyId);
        continue;
      }
      const record = this.written.get(op) ?? this.readable(place.dataKeyId, op.key, op.value);
      if (!record) {
        all.get(key)?.remove(place.dataKeyId);
        continue;
      }
      let index = all.get(key);
      if (!index) all.set(key, (index = new DataKeyIndex()));
      index.put(summaryOf(record));
    }
  }

  /** A record from the watch, or undefined (and listed as unreadable) when it does not decode. */
  private readable(dataKeyId: string, storeKey: string, bytes: Uint8Array): DataKeyRecord | undefined {
    const id = storeKey.slice(dataKeysKeyspace.allRecordsPrefix.length);
    try {
      const record = decodeRecord<DataKeyRecord>(bytes, `data key ${dataKeyId}`);
      if (this.unreadable.includes(id)) this.unreadable = this.unreadable.filter((k) => k !== id);
      return record;
    } catch (err) {
      if (!(err instanceof KmsError)) throw err;
      if (!this.unreadable.includes(id)) this.unreadable = [...this.unreadable, id];
      return undefined;
    }
  }

  /** The guard of a change based on `record` as read here: the store must still hold exactly those bytes. */
  guardOf(record: DataKeyRecord): Guard {
    return this.reads.guardOf(record, `data key ${record.dataKeyId}`);
  }

  /** The guard of a name about to be taken in a scope: nobody may hold it yet. */
  absentName(scope: DataKeyScope, name: string): Guard {
    return absent(dataKeysKeyspace.name(scope, name));
  }

  /** The guard of a new record: nothing may be stored under its id yet. */
  absentRecord(scope: DataKeyScope, dataKeyId: string): Guard {
    return absent(dataKeysKeyspace.record(scope, dataKeyId));
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
    const key = dataKeysKeyspace.record(scope, dataKeyId);
    const bytes = await this.store.get(key);
    return bytes && this.reads.remember(decodeRecord<DataKeyRecord>(bytes, `data key ${dataKeyId}`), key, bytes);
  }

  /** Several records of one scope at once, in order; undefined where there is none. */
  async getMany(scope: DataKeyScope, dataKeyIds: readonly string[]): Promise<(DataKeyRecord | undefined)[]> {
    const keys = dataKeyIds.map((id) => dataKeysKeyspace.record(scope, id));
    const values = await this.store.getMany(keys);
    return values.map((bytes, i) => bytes && this.reads.remember(decodeRecord<DataKeyRecord>(bytes, `data key ${dataKeyIds[i]}`), keys[i] as string, bytes));
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
    const op: BatchOp = { type: "put", key: dataKeysKeyspace.record(record, record.dataKeyId), value: encodeRecord(record) };
    this.written.set(op, record);
    return op;
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
   * the scheduler's own work (null). With `guards` (guardOf, absent*), it
   * lands only if the store still holds what the change read, else it rejects
   * with StoreConflictError and nothing is written. Then the index follows:
   * from the store's watch once followed (waiting until this commit is
   * applied), else from `changes`.
   */
  async commit(ops: readonly BatchOp[], journal: Journal | null, changes: IndexChanges, subjects?: readonly string[], allGuards: readonly Guard[] = []): Promise<void> {
    const all = await this.indexes();
    if (ops.length === 0) return;
    const guards = this.shared ? allGuards : [];
    const written = journal ? journaledRevision(await journal(ops, subjects, guards)) : await this.store.batch(ops, guards.length > 0 ? { guards } : {});
    if (this.watched) {
      if (written !== undefined) await this.watched.settle(written);
      return;
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
