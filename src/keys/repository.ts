/**
 * Typed access to keys, aliases, versions and the deletion schedule over the
 * storage port. Reads return records; writes are returned as ops so that an
 * action can put everything it changes into one batch.
 *
 * Every key record carries its scope (account and region). Records written
 * before accounts existed carry none: they belong to the legacy scope, pinned
 * in the store at the first start that knew scopes (the default account and
 * the first region then configured), so a later change of KMS_ACCOUNT_UIN or
 * KMS_REGIONS never moves them. The alias index is keyed by scope; that
 * start also moves the old unscoped alias entries under the legacy scope.
 *
 * Several replicas may share the store (etcd): what this repository keeps in
 * memory (the record cache, the listing index, the key count) is then kept
 * current from the store's watch (applyCommit), and a change guards what it
 * read (guardOf, absent) so that a concurrent change elsewhere makes it fail
 * with StoreConflictError instead of being lost (change.ts re-runs it).
 */
import { DEFAULT_ACCOUNT_UIN, DEFAULT_REGION } from "../config.js";
import { KmsError } from "../errors.js";
import { keyspace, legacyKeyspace, type ScheduleKind } from "../store/keyspace.js";
import type { BatchOp, Guard, KvStore } from "../store/store.js";
import type { Journal } from "../call.js";
import type { ImportTokenRecord, KeyRecord, KeyScope, KeyVersion } from "./key.js";
import { ScopedSummaries, summaryOf, type KeySummary } from "./summary-index.js";
import { decodeRecord, encodeRecord } from "../store/record-codec.js";

export interface ScheduleEntry {
  storeKey: string;
  /** A key id, or "<keyId>/<version>". */
  subject: string;
  dateMs: number;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** How many key records the read cache holds. */
const KEY_CACHE_MAX = 50_000;
/** Where the legacy scope is pinned. */
const LEGACY_SCOPE_KEY = keyspace.meta("legacy-key-scope");
/** Alias entries moved per batch at the first start with scopes (two ops each: within etcd's default 128 per transaction). */
const ALIAS_MOVES_PER_BATCH = 64;

function parseScope(bytes: Uint8Array): KeyScope | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<KeyScope>;
    return typeof v.account === "string" && typeof v.region === "string" ? { account: v.account, region: v.region } : undefined;
  } catch {
    return undefined;
  }
}

export class KeyRepository {
  /** Ids of the stored keys (the count): read at open, kept current by commits and the watch. */
  private readonly ids = new Set<string>();
  /** The stored bytes each record was decoded from: what a change guards (guardOf). */
  private readonly storedBytes = new WeakMap<KeyRecord, Uint8Array>();
  /** Set once the store's watch feeds applyCommit: then only the watch updates the index and the count. */
  private watched = false;
  /** Told when a key record is deleted (by this replica or another): its unsealed material can go. */
  onRemoved: ((keyId: string) => void) | undefined;
  /** For the replica's store watch (src/replica/sync.ts Follower): what it keeps. */
  readonly name = "key repository";
  readonly prefixes: readonly string[] = [keyspace.keysPrefix];
  /**
   * Key records read on the hot path (every Encrypt reads one), frozen so no
   * caller can change a cached record. commit() drops the keys it touched;
   * the epoch stops a read that raced a commit from caching what it read.
   */
  private readonly cache = new Map<string, KeyRecord>();
  private epoch = 0;
  /**
   * Summaries of every key, for ListKeys and ListKeyDetail (a scan of 100,000
   * records per call took 1.5 s). Built in the background after start;
   * commit() keeps it current from the records it writes.
   */
  private index: ScopedSummaries | undefined;
  /** Writes committed while the summaries are being built: replayed onto them when the scan ends. */
  private duringBuild: (readonly BatchOp[])[] = [];
  private indexReady: Promise<ScopedSummaries> | undefined;
  /** The scope of records written before scopes existed (open() reads the pinned one). */
  private legacy: KeyScope = { account: DEFAULT_ACCOUNT_UIN, region: DEFAULT_REGION };
  /** Key ids whose records could not be read when the listing index was built (left out of listings). */
  unreadableKeys: readonly string[] = [];
  /** Records behind putKey ops, so commit() can update the summaries without decoding. */
  private readonly written = new WeakMap<BatchOp, KeyRecord>();

  /**
   * Other processes write the store too (etcd replicas): changes read fresh
   * and carry their guards. On a store this process alone writes (LevelDB)
   * the in-process key locks already serialise every change of a key and the
   * cache is never behind, so both are skipped: the guard check would cost a
   * store read on every change (measured: CreateKey 10-40% slower).
   */
  readonly shared: boolean;

  constructor(
    readonly store: KvStore,
    options: { shared?: boolean } = {},
  ) {
    this.shared = options.shared ?? true;
  }

  /** The listing index (built on first use if start has not built it yet). */
  summaries(): Promise<ScopedSummaries> {
    this.indexReady ??= this.buildIndex();
    return this.index ? Promise.resolve(this.index) : this.indexReady;
  }

  private buildIndex(): Promise<ScopedSummaries> {
    return (async () => {
      const list: KeySummary[] = [];
      const unreadable: string[] = [];
      for await (const [k, bytes] of this.store.scan({ prefix: keyspace.keysPrefix })) {
        try {
          list.push(summaryOf(this.decodeKey(bytes, k)));
        } catch (err) {
          // One damaged record must not take listing down for every key; it is reported, and DescribeKey names it.
          if (!(err instanceof KmsError)) throw err;
          unreadable.push(k.slice(keyspace.keysPrefix.length));
        }
      }
      this.unreadableKeys = unreadable;
      this.index = ScopedSummaries.of(list);
      // The scan may or may not have seen writes made meanwhile; replaying them is right either way.
      for (const ops of this.duringBuild.splice(0)) this.applyToSummaries(ops);
      return this.index;
    })();
  }

  private applyToSummaries(ops: readonly BatchOp[]): void {
    const index = this.index;
    if (!index) {
      if (this.indexReady) this.duringBuild.push(ops);
      return;
    }
    for (const op of ops) {
      if (!op.key.startsWith(keyspace.keysPrefix)) continue;
      const keyId = op.key.slice(keyspace.keysPrefix.length);
      const record = op.type === "put" ? (this.written.get(op) ?? this.readable(keyId, op.value)) : undefined;
      if (record) index.put(summaryOf(record));
      else index.remove(keyId);
    }
  }

  /** A record from the watch, or undefined (and listed as unreadable) when it does not decode. */
  private readable(keyId: string, bytes: Uint8Array): KeyRecord | undefined {
    try {
      const record = this.decodeKey(bytes, `key ${keyId}`);
      if (this.unreadableKeys.includes(keyId)) this.unreadableKeys = this.unreadableKeys.filter((k) => k !== keyId);
      return record;
    } catch (err) {
      if (!(err instanceof KmsError)) throw err;
      if (!this.unreadableKeys.includes(keyId)) this.unreadableKeys = [...this.unreadableKeys, keyId];
      return undefined;
    }
  }

  /**
   * One commit as the store's watch delivers it (every replica's, this one's
   * included), in commit order. Idempotent: replaying commits the caches
   * already hold (after a scan taken since their revision) changes nothing.
   */
  applyCommit(changes: readonly BatchOp[]): void {
    const touched = changes.filter((op) => op.key.startsWith(keyspace.keysPrefix));
    if (touched.length === 0) return;
    this.epoch++;
    for (const op of touched) {
      const keyId = op.key.slice(keyspace.keysPrefix.length);
      this.cache.delete(keyId);
      if (op.type === "put") this.ids.add(keyId);
      else if (this.ids.delete(keyId)) this.onRemoved?.(keyId);
    }
    this.applyToSummaries(touched);
  }

  /** From now on the store's watch feeds applyCommit: commit() leaves the index and the count to it. */
  follow(): void {
    this.watched = true;
  }

  /**
   * The watch lost history (etcd compacted it): everything kept is rebuilt
   * from a scan. Reads meanwhile go to the store (the cache is empty).
   */
  async rebuild(): Promise<void> {
    this.epoch++;
    this.cache.clear();
    const fresh = new Set<string>();
    for await (const k of this.store.scanKeys({ prefix: keyspace.keysPrefix })) fresh.add(k.slice(keyspace.keysPrefix.length));
    for (const id of this.ids) if (!fresh.has(id)) this.onRemoved?.(id);
    this.ids.clear();
    for (const id of fresh) this.ids.add(id);
    if (this.indexReady) {
      this.index = undefined;
      this.duringBuild = [];
      this.indexReady = this.buildIndex();
      await this.indexReady;
    }
  }

  private remember(keyId: string, record: KeyRecord, epoch: number): KeyRecord {
    if (epoch !== this.epoch) return record;
    this.cache.set(keyId, deepFreeze(record));
    if (this.cache.size > KEY_CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    return record;
  }

  /**
   * Reads (or, at the first start with scopes, pins) the legacy scope, moves
   * unscoped alias entries under it, and counts the keys. `legacy`: the scope
   * to pin, the default account and first region of the configuration.
   */
  async open(legacy?: KeyScope): Promise<void> {
    const pinned = await this.store.get(LEGACY_SCOPE_KEY);
    const scope = pinned ? parseScope(pinned) : undefined;
    if (pinned && !scope) throw new Error(`${LEGACY_SCOPE_KEY} is unreadable: it names the account and region of the keys made before accounts existed`);
    this.legacy = scope ?? legacy ?? this.legacy;
    if (!scope) await this.store.batch([{ type: "put", key: LEGACY_SCOPE_KEY, value: Buffer.from(JSON.stringify(this.legacy), "utf8") }]);
    await this.moveLegacyAliases();
    this.ids.clear();
    for await (const k of this.store.scanKeys({ prefix: keyspace.keysPrefix })) this.ids.add(k.slice(keyspace.keysPrefix.length));
  }

  /**
   * v1/aliases/<alias> → v1/aliases/<account>/<region>/<alias> under the
   * legacy scope, a page per batch: each entry is at exactly one place at
   * every moment, and a start interrupted half-way finishes the move next time.
   */
  private async moveLegacyAliases(): Promise<void> {
    for (;;) {
      const ops: BatchOp[] = [];
      for await (const [k, v] of this.store.scan({ prefix: keyspace.aliasesPrefix })) {
        const alias = k.slice(keyspace.aliasesPrefix.length);
        if (alias.includes("/")) continue;
        ops.push({ type: "put", key: keyspace.alias(this.legacy.account, this.legacy.region, alias), value: v }, { type: "del", key: legacyKeyspace.alias(alias) });
        if (ops.length === 2 * ALIAS_MOVES_PER_BATCH) break;
      }
      if (ops.length === 0) return;
      await this.store.batch(ops);
    }
  }

  /** The pinned scope of records written before scopes existed. */
  get legacyScope(): KeyScope {
    return this.legacy;
  }

  /** A stored key record, with the legacy scope when it names none; its bytes remembered for guardOf. */
  private decodeKey(bytes: Uint8Array, what: string): KeyRecord {
    const record = decodeRecord<KeyRecord>(bytes, what);
    this.storedBytes.set(record, bytes);
    if (record.account === undefined) record.account = this.legacy.account;
    if (record.region === undefined) record.region = this.legacy.region;
    return record;
  }

  /** Keys stored, in every scope. */
  get count(): number {
    return this.ids.size;
  }

  /** Keys one account keeps in one region (every state but purged). */
  async countIn(scope: KeyScope): Promise<number> {
    return (await this.summaries()).in(scope).size;
  }

  async getKey(keyId: string): Promise<KeyRecord | undefined> {
    const hit = this.cache.get(keyId);
    if (hit) return hit;
    const epoch = this.epoch;
    const bytes = await this.store.get(keyspace.key(keyId));
    return bytes && this.remember(keyId, this.decodeKey(bytes, `key ${keyId}`), epoch);
  }

  /**
   * Drops these keys from the cache, so that the next read of each comes
   * from the store: a change reads what it decides on fresh (with replicas,
   * the cache may be a few milliseconds behind another replica's change, and
   * a refusal must not rest on that).
   */
  forget(keyIds: readonly string[]): void {
    if (keyIds.length === 0) return;
    this.epoch++;
    for (const id of keyIds) this.cache.delete(id);
  }

  /** The guard of a change based on `record` as read here: the store must still hold exactly those bytes. */
  guardOf(record: KeyRecord): Guard {
    const bytes = this.storedBytes.get(record);
    if (!bytes) throw new Error(`key ${record.keyId}: the record to guard was not read from the store`);
    return { key: keyspace.key(record.keyId), value: bytes };
  }

  /** The guard of a new key record or alias: nothing may be stored there yet. */
  absent(storeKey: string): Guard {
    return { key: storeKey, value: undefined };
  }

  /**
   * Several records at once (listings, batch state changes): cached ones from
   * the cache, the rest in one read. What is read here is not cached: a page
   * of a listing would push hot keys out, and freezing every record of it cost
   * about 0.5 ms per ListKeyDetail (measured).
   */
  async getKeys(keyIds: readonly string[]): Promise<(KeyRecord | undefined)[]> {
    const out: (KeyRecord | undefined)[] = keyIds.map((id) => this.cache.get(id));
    const missing: number[] = [];
    out.forEach((r, i) => r === undefined && missing.push(i));
    if (missing.length === 0) return out;
    const values = await this.store.getMany(missing.map((i) => keyspace.key(keyIds[i] as string)));
    values.forEach((bytes, j) => {
      const i = missing[j] as number;
      if (bytes) out[i] = this.decodeKey(bytes, `key ${keyIds[i]}`);
    });
    return out;
  }

  /**
   * The key holding an alias in a scope: from the listing index once it is
   * built (a store read here blocked the event loop on LevelDB's lock during
   * synced writes, a fifth of CreateKey's main-thread time), else from the store.
   */
  async aliasOwner(scope: KeyScope, alias: string): Promise<string | undefined> {
    // An unreadable key record hides its alias from the index: then only the store can say. The index can
    // also lag another replica's change: a taken alias is confirmed in the store before a refusal rests on
    // it; a free one is guarded by the change that takes it (absent()).
    // A store other processes write, without a watch to bring their changes here, is asked every time.
    const trusted = this.index && this.unreadableKeys.length === 0 && (this.watched || !this.shared);
    if (trusted && this.index?.in(scope).aliasOwner(alias) === undefined) return undefined;
    const bytes = await this.store.get(keyspace.alias(scope.account, scope.region, alias));
    return bytes && Buffer.from(bytes).toString("utf8");
  }

  async getVersion(keyId: string, version: number): Promise<KeyVersion | undefined> {
    const bytes = await this.store.get(keyspace.version(keyId, version));
    return bytes && decodeRecord<KeyVersion>(bytes, `version ${keyId}/${version}`);
  }

  async versionKeys(keyId: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.store.scanKeys({ prefix: keyspace.versionsPrefix(keyId) })) out.push(k);
    return out;
  }

  /** Schedule entries of one kind due at or before `nowMs`, oldest first. */
  async *dueEntries(kind: ScheduleKind, nowMs: number): AsyncIterable<ScheduleEntry> {
    const prefix = keyspace.schedulePrefix(kind);
    for await (const storeKey of this.store.scanKeys({ prefix })) {
      const rest = storeKey.slice(prefix.length);
      const slash = rest.indexOf("/");
      const dateMs = Number(rest.slice(0, slash));
      if (dateMs > nowMs) return;
      yield { storeKey, subject: rest.slice(slash + 1), dateMs };
    }
  }

  putKey(record: KeyRecord): BatchOp {
    const op: BatchOp = { type: "put", key: keyspace.key(record.keyId), value: encodeRecord(record) };
    this.written.set(op, record);
    return op;
  }

  delKey(keyId: string): BatchOp {
    return { type: "del", key: keyspace.key(keyId) };
  }

  putVersion(version: KeyVersion): BatchOp {
    return { type: "put", key: keyspace.version(version.keyId, version.version), value: encodeRecord(version) };
  }

  putAlias(scope: KeyScope, alias: string, keyId: string): BatchOp {
    return { type: "put", key: keyspace.alias(scope.account, scope.region, alias), value: Buffer.from(keyId, "utf8") };
  }

  delAlias(scope: KeyScope, alias: string): BatchOp {
    return { type: "del", key: keyspace.alias(scope.account, scope.region, alias) };
  }

  putSchedule(kind: ScheduleKind, dateMs: number, subject: string): BatchOp {
    return { type: "put", key: keyspace.schedule(kind, dateMs, subject), value: new Uint8Array(0) };
  }

  delSchedule(kind: ScheduleKind, dateMs: number, subject: string): BatchOp {
    return { type: "del", key: keyspace.schedule(kind, dateMs, subject) };
  }

  async getImportToken(token: string): Promise<ImportTokenRecord | undefined> {
    const bytes = await this.store.get(keyspace.importToken(token));
    return bytes && decodeRecord<ImportTokenRecord>(bytes, "import token");
  }

  putImportToken(record: ImportTokenRecord): BatchOp {
    return { type: "put", key: keyspace.importToken(record.token), value: encodeRecord(record) };
  }

  delImportToken(token: string): BatchOp {
    return { type: "del", key: keyspace.importToken(token) };
  }

  delVersion(keyId: string, version: number): BatchOp {
    return { type: "del", key: keyspace.version(keyId, version) };
  }

  delRaw(storeKey: string): BatchOp {
    return { type: "del", key: storeKey };
  }

  /**
   * Writes one change as one batch: through the call's journal (its audit
   * event in the same batch), or straight to the store for the scheduler's
   * own work (null). With `guards` (what the change read: guardOf, absent),
   * it lands only if the store still holds that; otherwise it rejects with
   * StoreConflictError and nothing is written.
   */
  async commit(ops: readonly BatchOp[], journal: Journal | null, allGuards: readonly Guard[] = []): Promise<void> {
    const keyIds = keyIdsOf(ops);
    const guards = this.shared ? allGuards : [];
    try {
      if (journal) await journal(ops, keyIds, guards);
      else await this.store.batch(ops, guards.length > 0 ? { guards } : {});
    } finally {
      // Whether or not the batch landed, what was cached for these keys may be stale now.
      this.forget(keyIds);
    }
    // Without a watch (a store no other process writes, tests), this replica applies its own change;
    // with one, the watch delivers it (before the batch resolves on LevelDB, moments later on etcd).
    if (!this.watched) this.applyLocally(ops);
  }

  private applyLocally(ops: readonly BatchOp[]): void {
    this.applyToSummaries(ops);
    for (const op of ops) {
      if (!op.key.startsWith(keyspace.keysPrefix)) continue;
      const keyId = op.key.slice(keyspace.keysPrefix.length);
      if (op.type === "put") this.ids.add(keyId);
      else if (this.ids.delete(keyId)) this.onRemoved?.(keyId);
    }
  }
}

/** Ids of the key records a batch writes or deletes. */
function keyIdsOf(ops: readonly BatchOp[]): string[] {
  return ops.flatMap((op) => (op.key.startsWith(keyspace.keysPrefix) ? [op.key.slice(keyspace.keysPrefix.length)] : []));
}
