/**
 * Typed access to white-box records, aliases, sealed material and sealed
 * device fingerprints over the storage port. Reads return records and
 * unsealed bytes; writes come back as ops (sealing on the way), so an action
 * puts everything it changes into one batch and writes it once through the
 * call's journal.
 */
import type { RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import type { BatchOp, KvStore } from "../store/store.js";
import type { DeviceFingerprintEntry, MaterialPart, WhiteBoxKeyRecord, WhiteBoxScope } from "./key.js";
import { sealLabel, whiteBoxKeyspace as ks } from "./keyspace.js";
import { decodeRecord, encodeRecord } from "../store/record-codec.js";




export class WhiteBoxRepository {
  constructor(
    readonly store: KvStore,
    private readonly rootKey: RootKey,
  ) {}

  async get(scope: WhiteBoxScope, keyId: string): Promise<WhiteBoxKeyRecord | undefined> {
    const bytes = await this.store.get(ks.record(scope, keyId));
    return bytes && decodeRecord<WhiteBoxKeyRecord>(bytes, `white-box key ${keyId}`);
  }

  async getMany(scope: WhiteBoxScope, keyIds: readonly string[]): Promise<(WhiteBoxKeyRecord | undefined)[]> {
    const found = await this.store.getMany(keyIds.map((id) => ks.record(scope, id)));
    return found.map((bytes, i) => bytes && decodeRecord<WhiteBoxKeyRecord>(bytes, `white-box key ${keyIds[i]}`));
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
