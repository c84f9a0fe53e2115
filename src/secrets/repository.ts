/**
 * Typed access to secret records, sealed values, the SSH key index, the
 * default-key pointers and the purge schedule over the storage port. Reads
 * return records; writes are returned as ops, so an action puts everything it
 * changes into one batch and writes it once through the call's journal.
 *
 * Replicas (several processes on one etcd): every record read here keeps the
 * stored bytes it came from (guardOf), and a change's batch is guarded by
 * them, or by absent() for a name it takes, so a concurrent change on
 * another replica makes it fail with StoreConflictError instead of being
 * lost (actions/common.ts re-runs it). Records are never cached: every read
 * goes to the store. On a store only this process writes (shared false:
 * LevelDB) the secret's in-process lock already serialises its changes, and
 * the guards are left out.
 */
import type { Journal } from "../call.js";
import { absent, GuardedReads } from "../store/guarded.js";
import type { BatchOp, Guard, KvStore } from "../store/store.js";
import { parseDeletionKey, parseRecordKey, secretsKeyspace as ks } from "./keyspace.js";
import type { SealedValue, SecretRecord, SecretScope } from "./secret.js";
import { decodeRecord, encodeRecord } from "../store/record-codec.js";

const scopeKey = (s: SecretScope) => `${s.account}/${s.region}`;

/** A due purge: the schedule entry and the secret it names. */
export interface DueDeletion {
  storeKey: string;
  dateMs: number;
  scope: SecretScope;
  name: string;
}

export class SecretRepository {
  /** Secrets per (account, region), every state: counted at open, kept by commit() (or, with replicas, by the store's watch). */
  private readonly counts = new Map<string, number>();
  /** Store keys of the stored secret records, once the store's watch feeds applyCommit (follow()). */
  private records: Set<string> | undefined;
  /** For the replica's store watch (src/replica/sync.ts Follower): what it keeps. */
  readonly name = "secret counts";
  readonly prefixes: readonly string[] = [ks.allRecordsPrefix];
  /** The stored bytes of each record read, for guardOf. */
  private readonly reads = new GuardedReads<SecretRecord>();
  /** Other processes write the store too (etcd replicas): changes carry their guards. */
  readonly shared: boolean;

  constructor(
    readonly store: KvStore,
    options: { shared?: boolean } = {},
  ) {
    this.shared = options.shared ?? true;
  }

  private decode(storeKey: string, bytes: Uint8Array, name: string): SecretRecord {
    return this.reads.remember(decodeRecord<SecretRecord>(bytes, `secret ${name}`), storeKey, bytes);
  }

  /** The guard of a change based on `secret` as read here: the store must still hold exactly those bytes. */
  guardOf(secret: SecretRecord): Guard {
    return this.reads.guardOf(secret, `secret ${secret.name}`);
  }

  /** The guard of a secret about to be created under `name`: nothing may be stored there yet. */
  absentRecord(scope: SecretScope, name: string): Guard {
    return absent(ks.record(scope, name));
  }

  /** The guard of an SSH key pair id about to be indexed: nobody may hold it yet. */
  absentSshKey(scope: SecretScope, sshKeyId: string): Guard {
    return absent(ks.sshKey(scope, sshKeyId));
  }

  /** The guard of the default-key pointer about to be set: none may be set yet. */
  absentDefaultKey(scope: SecretScope): Guard {
    return absent(ks.defaultKey(scope));
  }

  async open(): Promise<void> {
    this.counts.clear();
    this.records?.clear();
    for await (const k of this.store.scanKeys({ prefix: ks.allRecordsPrefix })) {
      const parsed = parseRecordKey(k);
      if (!parsed) continue;
      this.records?.add(k);
      this.counts.set(scopeKey(parsed.scope), (this.counts.get(scopeKey(parsed.scope)) ?? 0) + 1);
    }
  }

  /**
   * Replicas: from now on the counts follow the store's watch (every
   * replica's creates and purges), not this process's commits. Call before
   * open() so the records it counts are remembered.
   */
  follow(): void {
    this.records ??= new Set();
  }

  /** One commit from the store's watch: a record key seen for the first time counts one, a deleted one uncounts. Idempotent. */
  applyCommit(changes: readonly BatchOp[]): void {
    const records = this.records;
    if (!records) return;
    for (const op of changes) {
      const parsed = parseRecordKey(op.key);
      if (!parsed) continue;
      const scope = scopeKey(parsed.scope);
      if (op.type === "put" && !records.has(op.key)) {
        records.add(op.key);
        this.counts.set(scope, (this.counts.get(scope) ?? 0) + 1);
      } else if (op.type === "del" && records.delete(op.key)) {
        this.counts.set(scope, Math.max(0, (this.counts.get(scope) ?? 0) - 1));
      }
    }
  }

  /** The watch lost history: count again. */
  rebuild(): Promise<void> {
    return this.open();
  }

  /** Secrets the account keeps in the region. */
  count(scope: SecretScope): number {
    return this.counts.get(scopeKey(scope)) ?? 0;
  }

  async get(scope: SecretScope, name: string): Promise<SecretRecord | undefined> {
    const key = ks.record(scope, name);
    const bytes = await this.store.get(key);
    return bytes && this.decode(key, bytes, name);
  }

  /** A secret and one version's sealed value, read together (one store round trip: the hot path of GetSecretValue). */
  async getWithValue(scope: SecretScope, name: string, versionId: string): Promise<[SecretRecord | undefined, SealedValue | undefined]> {
    const key = ks.record(scope, name);
    const [record, value] = await this.store.getMany([key, ks.value(scope, name, versionId)]);
    return [record && this.decode(key, record, name), value && decodeRecord<SealedValue>(value, `version ${versionId} of secret ${name}`)];
  }

  /** Every secret of the account and region (ListSecrets filters and pages in memory). */
  async list(scope: SecretScope): Promise<SecretRecord[]> {
    const out: SecretRecord[] = [];
    const prefix = ks.recordsPrefix(scope);
    for await (const [k, bytes] of this.store.scan({ prefix })) out.push(this.decode(k, bytes, k.slice(prefix.length)));
    return out;
  }

  async getValue(scope: SecretScope, name: string, versionId: string): Promise<SealedValue | undefined> {
    const bytes = await this.store.get(ks.value(scope, name, versionId));
    return bytes && decodeRecord<SealedValue>(bytes, `version ${versionId} of secret ${name}`);
  }

  /** The secret holding an SSH key pair. */
  async sshKeyOwner(scope: SecretScope, sshKeyId: string): Promise<string | undefined> {
    const bytes = await this.store.get(ks.sshKey(scope, sshKeyId));
    return bytes && Buffer.from(bytes).toString("utf8");
  }

  async defaultKeyId(scope: SecretScope): Promise<string | undefined> {
    const bytes = await this.store.get(ks.defaultKey(scope));
    return bytes && Buffer.from(bytes).toString("utf8");
  }

  /** Purge entries due at or before `nowMs`, oldest first. */
  async *dueDeletions(nowMs: number): AsyncIterable<DueDeletion> {
    for await (const storeKey of this.store.scanKeys({ prefix: ks.deletionsPrefix })) {
      const parsed = parseDeletionKey(storeKey);
      if (!parsed) continue;
      if (parsed.dateMs > nowMs) return;
      yield { storeKey, ...parsed };
    }
  }

  putRecord(record: SecretRecord): BatchOp {
    return { type: "put", key: ks.record(record, record.name), value: encodeRecord(record) };
  }

  delRecord(scope: SecretScope, name: string): BatchOp {
    return { type: "del", key: ks.record(scope, name) };
  }

  putValue(scope: SecretScope, name: string, versionId: string, value: SealedValue): BatchOp {
    return { type: "put", key: ks.value(scope, name, versionId), value: encodeRecord(value) };
  }

  delValue(scope: SecretScope, name: string, versionId: string): BatchOp {
    return { type: "del", key: ks.value(scope, name, versionId) };
  }

  putSshKey(scope: SecretScope, sshKeyId: string, name: string): BatchOp {
    return { type: "put", key: ks.sshKey(scope, sshKeyId), value: Buffer.from(name, "utf8") };
  }

  delSshKey(scope: SecretScope, sshKeyId: string): BatchOp {
    return { type: "del", key: ks.sshKey(scope, sshKeyId) };
  }

  putDefaultKey(scope: SecretScope, keyId: string): BatchOp {
    return { type: "put", key: ks.defaultKey(scope), value: Buffer.from(keyId, "utf8") };
  }

  putDeletion(dateMs: number, scope: SecretScope, name: string): BatchOp {
    return { type: "put", key: ks.deletion(dateMs, scope, name), value: new Uint8Array(0) };
  }

  delDeletion(dateMs: number, scope: SecretScope, name: string): BatchOp {
    return { type: "del", key: ks.deletion(dateMs, scope, name) };
  }

  delRaw(storeKey: string): BatchOp {
    return { type: "del", key: storeKey };
  }

  /**
   * Every op that removes a secret for good: its record, values, SSH index
   * entry and purge entry. One batch, so a purge never leaves a part behind.
   */
  purgeOps(secret: SecretRecord): BatchOp[] {
    const ops: BatchOp[] = [this.delRecord(secret, secret.name), ...secret.versions.map((v) => this.delValue(secret, secret.name, v.versionId))];
    if (secret.ssh) ops.push(this.delSshKey(secret, secret.ssh.keyId));
    if (secret.deleteTime !== undefined) ops.push(this.delDeletion(secret.deleteTime, secret, secret.name));
    return ops;
  }

  /**
   * Writes one change as one batch: through the call's journal (its audit
   * event in the same batch), or straight to the store for the scheduler's own
   * work (null). `added` is how many secrets of `scope` the batch creates
   * (+1) or removes (-1), applied once the batch is durable. With `guards`
   * (what the change read: guardOf, absent*), it lands only if the store
   * still holds that, else it rejects with StoreConflictError and nothing is
   * written; on a store only this process writes they are left out.
   */
  async commit(ops: readonly BatchOp[], journal: Journal | null, subjects: readonly string[], added?: { scope: SecretScope; delta: number }, allGuards: readonly Guard[] = []): Promise<void> {
    const guards = this.shared ? allGuards : [];
    if (journal) await journal(ops, subjects, guards);
    else await this.store.batch(ops, guards.length > 0 ? { guards } : {});
    // Followed by the watch, the count moves when the watch delivers this commit (and every other replica's).
    if (!this.records && added && added.delta !== 0) this.counts.set(scopeKey(added.scope), Math.max(0, this.count(added.scope) + added.delta));
  }
}
