/**
 * Access keys, held in memory (the gateway verifies a signature per request
 * and must not unseal per request) and persisted sealed, one batch per change.
 */
import { KmsError } from "../errors.js";
import { randomAlphanumeric } from "../crypto/random.js";
import type { RootKey } from "../crypto/seal.js";
import { keyspace } from "../store/keyspace.js";
import type { KvStore } from "../store/store.js";
import type { AccessKeyRecord, AccessKeyStatus } from "./access-key.js";
import { SECRET_ID_RE } from "./access-key.js";

const RECORD_FORMAT = 1;
const label = (secretId: string) => `kms/v1/access-key/${secretId}`;

interface Entry {
  record: AccessKeyRecord;
  secretKey: string;
}

/** What the gateway learns about a caller from a verified signature. */
export interface AccessKeyOwner {
  secretId: string;
  uin: bigint;
}

export class AccessKeyRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Changes run one at a time, so the map and the store never disagree. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: KvStore,
    private readonly rootKey: RootKey,
  ) {}

  /** Loads and unseals every access key. */
  async open(): Promise<void> {
    for await (const [k, bytes] of this.store.scan({ prefix: keyspace.accessKeysPrefix })) {
      const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as AccessKeyRecord & { f?: number };
      if (parsed.f !== RECORD_FORMAT) throw new Error(`store: ${k} has unknown record format`);
      delete parsed.f;
      const secretKey = Buffer.from(this.rootKey.unseal(Buffer.from(parsed.sealedSecretKey, "base64"), label(parsed.secretId))).toString("utf8");
      this.entries.set(parsed.secretId, { record: parsed, secretKey });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The secret of an enabled key, for signature verification; undefined for unknown or disabled keys. */
  secretKeyOf(secretId: string): string | undefined {
    const e = this.entries.get(secretId);
    return e && e.record.status === "Enabled" ? e.secretKey : undefined;
  }

  ownerOf(secretId: string): AccessKeyOwner | undefined {
    const e = this.entries.get(secretId);
    return e && { secretId, uin: BigInt(e.record.uin) };
  }

  list(): AccessKeyRecord[] {
    return [...this.entries.values()].map((e) => e.record).sort((a, b) => a.createTime - b.createTime || (a.secretId < b.secretId ? -1 : 1));
  }

  get(secretId: string): AccessKeyRecord | undefined {
    return this.entries.get(secretId)?.record;
  }

  /** Creates a key; with `secretId`/`secretKey` given (operator-supplied root pair), stores that pair. */
  create(uin: bigint, description: string, nowMs: number, supplied?: { secretId: string; secretKey: string }): Promise<{ record: AccessKeyRecord; secretKey: string }> {
    return this.exclusive(async () => {
    const secretId = supplied?.secretId ?? `AKID${randomAlphanumeric(32)}`;
    const secretKey = supplied?.secretKey ?? randomAlphanumeric(32);
    const record: AccessKeyRecord = {
      secretId,
      sealedSecretKey: Buffer.from(this.rootKey.seal(Buffer.from(secretKey, "utf8"), label(secretId))).toString("base64"),
      status: "Enabled",
      createTime: nowMs,
      description,
      uin: uin.toString(),
    };
    await this.write(record);
    this.entries.set(secretId, { record, secretKey });
    return { record, secretKey };
    });
  }

  setStatus(secretId: string, status: AccessKeyStatus): Promise<void> {
    return this.exclusive(async () => {
    const e = this.require(secretId);
    if (e.record.status === status) return;
    const record = { ...e.record, status };
    await this.write(record);
    this.entries.set(secretId, { record, secretKey: e.secretKey });
    });
  }

  delete(secretId: string): Promise<void> {
    return this.exclusive(async () => {
      this.require(secretId);
      await this.store.batch([{ type: "del", key: keyspace.accessKey(secretId) }]);
      this.entries.delete(secretId);
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private require(secretId: string): Entry {
    if (!SECRET_ID_RE.test(secretId)) throw new KmsError("InvalidParameterValue", "SecretId must be AKID followed by 32 letters and digits");
    const e = this.entries.get(secretId);
    if (!e) throw new KmsError("ResourceNotFound", `access key ${secretId} does not exist`);
    return e;
  }

  private async write(record: AccessKeyRecord): Promise<void> {
    await this.store.batch([{ type: "put", key: keyspace.accessKey(record.secretId), value: Buffer.from(JSON.stringify({ f: RECORD_FORMAT, ...record }), "utf8") }]);
  }
}
