/**
 * Typed access to keys, aliases, versions and the deletion schedule over the
 * storage port. Reads return records; writes are returned as ops so that an
 * action can put everything it changes into one batch.
 */
import { keyspace, type ScheduleKind } from "../store/keyspace.js";
import type { BatchOp, KvStore } from "../store/store.js";
import type { ImportTokenRecord, KeyRecord, KeyVersion } from "./key.js";

const RECORD_FORMAT = 1;

export interface ScheduleEntry {
  storeKey: string;
  /** A key id, or "<keyId>/<version>". */
  subject: string;
  dateMs: number;
}

function encode(value: object): Uint8Array {
  return Buffer.from(JSON.stringify({ f: RECORD_FORMAT, ...value }), "utf8");
}

function decode<T>(bytes: Uint8Array, what: string): T {
  const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as { f?: number } & T;
  if (parsed.f !== RECORD_FORMAT) throw new Error(`store: ${what} has unknown record format ${String(parsed.f)}`);
  delete parsed.f;
  return parsed;
}

export class KeyRepository {
  /** Number of stored keys; counted at open, kept current by commit(). */
  private keyCount = 0;

  constructor(readonly store: KvStore) {}

  async open(): Promise<void> {
    let n = 0;
    for await (const _ of this.store.scanKeys({ prefix: keyspace.keysPrefix })) n++;
    this.keyCount = n;
  }

  get count(): number {
    return this.keyCount;
  }

  async getKey(keyId: string): Promise<KeyRecord | undefined> {
    const bytes = await this.store.get(keyspace.key(keyId));
    return bytes && decode<KeyRecord>(bytes, `key ${keyId}`);
  }

  async getKeys(keyIds: readonly string[]): Promise<(KeyRecord | undefined)[]> {
    const values = await this.store.getMany(keyIds.map(keyspace.key));
    return values.map((bytes, i) => bytes && decode<KeyRecord>(bytes, `key ${keyIds[i]}`));
  }

  async *allKeys(): AsyncIterable<KeyRecord> {
    for await (const [k, bytes] of this.store.scan({ prefix: keyspace.keysPrefix })) yield decode<KeyRecord>(bytes, k);
  }

  async aliasOwner(alias: string): Promise<string | undefined> {
    const bytes = await this.store.get(keyspace.alias(alias));
    return bytes && Buffer.from(bytes).toString("utf8");
  }

  async getVersion(keyId: string, version: number): Promise<KeyVersion | undefined> {
    const bytes = await this.store.get(keyspace.version(keyId, version));
    return bytes && decode<KeyVersion>(bytes, `version ${keyId}/${version}`);
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
    return { type: "put", key: keyspace.key(record.keyId), value: encode(record) };
  }

  delKey(keyId: string): BatchOp {
    return { type: "del", key: keyspace.key(keyId) };
  }

  putVersion(version: KeyVersion): BatchOp {
    return { type: "put", key: keyspace.version(version.keyId, version.version), value: encode(version) };
  }

  putAlias(alias: string, keyId: string): BatchOp {
    return { type: "put", key: keyspace.alias(alias), value: Buffer.from(keyId, "utf8") };
  }

  delAlias(alias: string): BatchOp {
    return { type: "del", key: keyspace.alias(alias) };
  }

  putSchedule(kind: ScheduleKind, dateMs: number, subject: string): BatchOp {
    return { type: "put", key: keyspace.schedule(kind, dateMs, subject), value: new Uint8Array(0) };
  }

  delSchedule(kind: ScheduleKind, dateMs: number, subject: string): BatchOp {
    return { type: "del", key: keyspace.schedule(kind, dateMs, subject) };
  }

  async getImportToken(token: string): Promise<ImportTokenRecord | undefined> {
    const bytes = await this.store.get(keyspace.importToken(token));
    return bytes && decode<ImportTokenRecord>(bytes, "import token");
  }

  putImportToken(record: ImportTokenRecord): BatchOp {
    return { type: "put", key: keyspace.importToken(record.token), value: encode(record) };
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
   * Writes one batch. `keysDelta` is how many keys the batch adds (+1) or
   * purges (-n), applied to the count only once the batch is durable.
   */
  async commit(ops: readonly BatchOp[], keysDelta = 0): Promise<void> {
    await this.store.batch(ops);
    this.keyCount += keysDelta;
  }
}
