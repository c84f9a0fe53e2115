/**
 * Typed access to white-box records, aliases, sealed material and sealed
 * device fingerprints over the storage port. Reads return records and
 * unsealed bytes; writes come back as ops (sealing on the way), so an action
 * puts everything it changes into one batch and writes it once through the
 * call's journal.
 *
 * Nothing is kept in memory: listings, counts and alias owners are read from
 * the store, so every replica sees every other's keys at once. Replicas
 * (several processes on one etcd): every record read keeps the stored bytes
 * it came from (guardOf), and a change's batch is guarded by them (a state
 * change, a device list overwrite, a deletion), or by absent() for an alias
 * or id it takes; creations in one account and region also guard and bump
 * the scope's creation counter, so two replicas creating at once are
 * serialised by the store and the key limit holds exactly. Such a batch fails
 * with StoreConflictError and the change runs again (changeWhiteBox). On a
 * store only this process writes (shared false: LevelDB) the in-process locks
 * serialise every change and no guard or counter is written.
 */
import type { Journal } from "../call.js";
import type { RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import { absent, GuardedReads } from "../store/guarded.js";
import type { BatchOp, Guard, KvStore } from "../store/store.js";
import type { DeviceFingerprintEntry, MaterialPart, WhiteBoxKeyRecord, WhiteBoxScope } from "./key.js";
import { sealLabel, whiteBoxKeyspace as ks } from "./keyspace.js";
import { decodeRecord, encodeRecord } from "../store/record-codec.js";

/** What a creation in a scope rests on: the scope's creation counter as read, and the op that bumps it. */
export interface ScopeCreation {
  guard: Guard;
  bump: BatchOp;
}

export class WhiteBoxRepository {
  /** The stored bytes of each record read, for guardOf. */
  private readonly reads = new GuardedReads<WhiteBoxKeyRecord>();
  /** Other processes write the store too (etcd replicas): changes carry their guards. */
  readonly shared: boolean;

  constructor(
    readonly store: KvStore,
    private readonly rootKey: RootKey,
    options: { shared?: boolean } = {},
  ) {
    this.shared = options.shared ?? true;
  }

  async get(scope: WhiteBoxScope, keyId: string): Promise<WhiteBoxKeyRecord | undefined> {
    const key = ks.record(scope, keyId);
    const bytes = await this.store.get(key);
    return bytes && this.reads.remember(decodeRecord<WhiteBoxKeyRecord>(bytes, `white-box key ${keyId}`), key, bytes);
  }

  async getMany(scope: WhiteBoxScope, keyIds: readonly string[]): Promise<(WhiteBoxKeyRecord | undefined)[]> {
    const keys = keyIds.map((id) => ks.record(scope, id));
    const found = await this.store.getMany(keys);
    return found.map((bytes, i) => bytes && this.reads.remember(decodeRecord<WhiteBoxKeyRecord>(bytes, `white-box key ${keyIds[i]}`), keys[i] as string, bytes));
  }

  /** The guard of a change based on `key` as read here: the store must still hold exactly those bytes. */
  guardOf(key: WhiteBoxKeyRecord): Guard {
    return this.reads.guardOf(key, `white-box key ${key.keyId}`);
  }

  /** The guards of a new key: its alias and id free in the scope. */
  absentKey(record: WhiteBoxKeyRecord): Guard[] {
    return [absent(ks.alias(record, record.alias)), absent(ks.record(record, record.keyId))];
  }

  /**
   * The scope's creation counter, read now, as a guard and the op that bumps
   * it: a creation guarded by it lands only if no other creation in the scope
   * landed since it counted the keys. Undefined on a store only this process
   * writes (the scope's in-process lock serialises creations there).
   */
  async creation(scope: WhiteBoxScope): Promise<ScopeCreation | undefined> {
    if (!this.shared) return undefined;
    const key = ks.creates(scope);
    const bytes = await this.store.get(key);
    const n = bytes === undefined ? 0 : Number(Buffer.from(bytes).toString("utf8"));
    return { guard: { key, value: bytes }, bump: { type: "put", key, value: Buffer.from(String((Number.isSafeInteger(n) ? n : 0) + 1), "utf8") } };
  }

  /** Writes one change through the call's journal, guarded on a shared store (StoreConflictError when a guard fails). */
  async commit(journal: Journal, ops: readonly BatchOp[], subjects: readonly string[] | undefined, guards: readonly Guard[]): Promise<void> {
    await journal(ops, subjects, this.shared ? guards : []);
  }

  /** Every key of the account and region (at most the configured limit, 50 by default). */
  async list(scope: WhiteBoxScope): Promise<WhiteBoxKeyRecord[]> {
    const out: WhiteBoxKeyRecord[] = [];
    const prefix = ks.recordsPrefix(scope);
    for await (const [k, bytes] of this.store.scan({ prefix })) out.push(decodeRecord<WhiteBoxKeyRecord>(bytes, `white-box key ${k.slice(prefix.length)}`));
    return out;
  }

  /** Keys the account keeps in the region. */
  async count(scope: WhiteBoxScope): Promise<number> {
    let n = 0;
    for await (const _ of this.store.scanKeys({ prefix: ks.recordsPrefix(scope) })) n++;
    return n;
  }

  async aliasOwner(scope: WhiteBoxScope, alias: string): Promise<string | undefined> {
    const bytes = await this.store.get(ks.alias(scope, alias));
    return bytes && Buffer.from(bytes).toString("utf8");
  }

  /**
   * One sealed part of a key, unsealed. A part gone because the key was
   * deleted since its record was read answers ResourceNotFound; missing under
   * a live record, or failing its seal, is storage damage (or a wrong root
   * key): InternalError.
   */
  async material(key: WhiteBoxKeyRecord, part: MaterialPart): Promise<Uint8Array> {
    const sealed = await this.store.get(ks.material(key, key.keyId, part));
    if (!sealed) {
      if (!(await this.get(key, key.keyId))) throw new KmsError("ResourceNotFound", `white-box key ${key.keyId} does not exist`);
      throw new KmsError("InternalError", `white-box key ${key.keyId}: its ${part} is missing from storage`);
    }
    return this.unseal(sealed, key, part);
  }

  /**
   * The key's device fingerprints (empty when none). A list the record counts
   * but storage lacks fails closed (InternalError: tables are never delivered
   * unbound by mistake), unless the record, read again, says the list was
   * emptied or the key deleted meanwhile.
   */
  async fingerprints(key: WhiteBoxKeyRecord): Promise<DeviceFingerprintEntry[]> {
    if (key.fingerprintCount === 0) return [];
    const sealed = await this.store.get(ks.fingerprints(key, key.keyId));
    if (!sealed) {
      const now = await this.get(key, key.keyId);
      if (!now) throw new KmsError("ResourceNotFound", `white-box key ${key.keyId} does not exist`);
      if (now.fingerprintCount === 0) return [];
      throw new KmsError("InternalError", `white-box key ${key.keyId}: its device fingerprints are missing from storage`);
    }
    return decodeRecord<{ list: DeviceFingerprintEntry[] }>(this.unseal(sealed, key, "fingerprints"), `the fingerprints of white-box key ${key.keyId}`).list;
  }

  private unseal(sealed: Uint8Array, key: WhiteBoxKeyRecord, part: MaterialPart | "fingerprints"): Uint8Array {
    try {
      return this.rootKey.unseal(sealed, sealLabel(key, key.keyId, part));
    } catch (err) {
      throw new KmsError("InternalError", `white-box key ${key.keyId}: its ${part} did not unseal`, err);
    }
  }

  putRecord(record: WhiteBoxKeyRecord): BatchOp {
    return { type: "put", key: ks.record(record, record.keyId), value: encodeRecord(record) };
  }

  putAlias(scope: WhiteBoxScope, alias: string, keyId: string): BatchOp {
    return { type: "put", key: ks.alias(scope, alias), value: Buffer.from(keyId, "utf8") };
  }

  /** The part sealed under the root key with a label naming its place. */
  putMaterial(scope: WhiteBoxScope, keyId: string, part: MaterialPart, plaintext: Uint8Array): BatchOp {
    return { type: "put", key: ks.material(scope, keyId, part), value: this.rootKey.seal(plaintext, sealLabel(scope, keyId, part)) };
  }

  /** The new device list, sealed; an empty list removes it. */
  putFingerprints(scope: WhiteBoxScope, keyId: string, list: readonly DeviceFingerprintEntry[]): BatchOp {
    const key = ks.fingerprints(scope, keyId);
    if (list.length === 0) return { type: "del", key };
    return { type: "put", key, value: this.rootKey.seal(encodeRecord({ list }), sealLabel(scope, keyId, "fingerprints")) };
  }

  /** Every op that removes a key for good: record, alias, the three sealed parts, fingerprints. */
  deleteOps(key: WhiteBoxKeyRecord): BatchOp[] {
    const parts: MaterialPart[] = ["key", "encrypt-tables", "decrypt-tables"];
    return [
      { type: "del", key: ks.record(key, key.keyId) },
      { type: "del", key: ks.alias(key, key.alias) },
      ...parts.map((part): BatchOp => ({ type: "del", key: ks.material(key, key.keyId, part) })),
      { type: "del", key: ks.fingerprints(key, key.keyId) },
    ];
  }
}
