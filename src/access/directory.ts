/**
 * The directory: principals, their access keys and bearer tokens, and
 * policies. Everything is held in memory (every request authenticates and
 * authorises against it, and must not touch the store for that) and persisted
 * one batch per change, so the map and the store never disagree.
 */
import { hash, randomInt, timingSafeEqual } from "node:crypto";
import { KmsError } from "../errors.js";
import { randomAlphanumeric } from "../crypto/random.js";
import type { RootKey } from "../crypto/seal.js";
import { keyspace } from "../store/keyspace.js";
import type { BatchOp, KvStore } from "../store/store.js";
import type { Identity, Journal } from "../call.js";
import type { AccessKeyRecord, AccessKeyStatus } from "./access-key.js";
import { SECRET_ID_RE } from "../credential-formats.js";
import { parsePolicy, type CompiledPolicy } from "./policy/index.js";
import { POLICY_NAME_RE, PRINCIPAL_NAME_RE, TOKEN_ID_RE, type PolicyRecord, type PrincipalRecord, type TokenRecord } from "./principal.js";

const RECORD_FORMAT = 1;
const secretLabel = (secretId: string) => `kms/v1/access-key/${secretId}`;
const ROOT_NAME = "root";

interface AccessKeyEntry {
  record: AccessKeyRecord;
  secretKey: string;
}

interface PolicyEntry {
  record: PolicyRecord;
  /** Undefined when a stored document no longer parses: it then grants nothing. */
  compiled: CompiledPolicy | undefined;
}

function encode(record: object): Uint8Array {
  return Buffer.from(JSON.stringify({ f: RECORD_FORMAT, ...record }), "utf8");
}

function decode<T>(key: string, bytes: Uint8Array): T {
  const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as T & { f?: number };
  if (parsed.f !== RECORD_FORMAT) throw new Error(`store: ${key} has unknown record format`);
  delete parsed.f;
  return parsed;
}

/** One-shot hashing: a Hash object per call cost a few µs on every authenticated request. */
function sha256(text: string): Buffer {
  return hash("sha256", text, "buffer");
}

function sha256Hex(text: string): string {
  return sha256(text).toString("hex");
}

/** A stored document that no longer parses (a stricter engine) grants nothing rather than failing the start. */
function tryParsePolicy(document: string): CompiledPolicy | undefined {
  try {
    return parsePolicy(document);
  } catch {
    return undefined;
  }
}

export class Directory {
  private readonly principals = new Map<string, PrincipalRecord>();
  private readonly principalByName = new Map<string, string>();
  private readonly accessKeys = new Map<string, AccessKeyEntry>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly tokenByHash = new Map<string, string>();
  private readonly policies = new Map<string, PolicyEntry>();
  /** Compiled policies per principal uin; cleared on any change. */
  private readonly grants = new Map<string, readonly CompiledPolicy[]>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: KvStore,
    private readonly rootKey: RootKey,
    readonly accountUin: bigint,
  ) {}

  /** Loads every record, unseals access-key secrets, and creates the root principal on first start. */
  async open(nowMs: number): Promise<void> {
    for await (const [k, v] of this.store.scan({ prefix: keyspace.principalsPrefix })) this.putPrincipal(decode<PrincipalRecord>(k, v));
    for await (const [k, v] of this.store.scan({ prefix: keyspace.policiesPrefix })) {
      const record = decode<PolicyRecord>(k, v);
      this.policies.set(record.name, { record, compiled: tryParsePolicy(record.document) });
    }
    for await (const [k, v] of this.store.scan({ prefix: keyspace.accessKeysPrefix })) {
      const record = decode<AccessKeyRecord>(k, v);
      const secretKey = Buffer.from(this.rootKey.unseal(Buffer.from(record.sealedSecretKey, "base64"), secretLabel(record.secretId))).toString("utf8");
      this.accessKeys.set(record.secretId, { record, secretKey });
    }
    for await (const [k, v] of this.store.scan({ prefix: keyspace.tokensPrefix })) {
      const record = decode<TokenRecord>(k, v);
      this.tokens.set(record.tokenId, record);
      this.tokenByHash.set(record.hash, record.tokenId);
    }
    const rootUin = this.accountUin.toString();
    if (this.principals.has(rootUin)) return;
    const root: PrincipalRecord = { uin: rootUin, name: ROOT_NAME, description: "the account root", createTime: nowMs, root: true, policies: [] };
    await this.store.batch([{ type: "put", key: keyspace.principal(rootUin), value: encode(root) }]);
    this.putPrincipal(root);
  }

  // ---- lookups on the request path (synchronous, no store access) ----

  /** The secret and identity of an enabled access key. */
  accessKey(secretId: string): { secretKey: string; identity: Identity } | undefined {
    const e = this.accessKeys.get(secretId);
    if (!e || e.record.status !== "Enabled") return undefined;
    const p = this.principals.get(e.record.principalUin ?? e.record.uin);
    return p && { secretKey: e.secretKey, identity: this.identity(p, secretId) };
  }

  /** The identity a bearer token proves, if it is one of ours. */
  identityOfToken(token: string): Identity | undefined {
    const digest = sha256(token);
    const tokenId = this.tokenByHash.get(digest.toString("hex"));
    const record = tokenId === undefined ? undefined : this.tokens.get(tokenId);
    // The map lookup is by hash; compare again in constant time so equality is never decided by a short-circuit.
    if (!record || !timingSafeEqual(Buffer.from(record.hash, "hex"), digest)) return undefined;
    const p = this.principals.get(record.principalUin);
    return p && this.identity(p, record.tokenId);
  }

  /**
   * The sub-user named by a verified client certificate. Never the root: a
   * certificate any holder of the CA can mint must not carry unrestricted power.
   */
  identityOfCertificate(name: string, credential: string): Identity | undefined {
    const uin = this.principalByName.get(name);
    const p = uin === undefined ? undefined : this.principals.get(uin);
    return p && !p.root ? this.identity(p, credential) : undefined;
  }

  /** The compiled policies attached to a principal (empty for unknown ones). */
  policiesOf(uin: bigint): readonly CompiledPolicy[] {
    const key = uin.toString();
    let cached = this.grants.get(key);
    if (!cached) {
      const names = this.principals.get(key)?.policies ?? [];
      cached = names.flatMap((n) => {
        const c = this.policies.get(n)?.compiled;
        return c ? [c] : [];
      });
      this.grants.set(key, cached);
    }
    return cached;
  }

  principal(uin: bigint): PrincipalRecord | undefined {
    return this.principals.get(uin.toString());
  }

  listPrincipals(): PrincipalRecord[] {
    return [...this.principals.values()].sort((a, b) => Number(b.root) - Number(a.root) || a.createTime - b.createTime || (a.name < b.name ? -1 : 1));
  }

  listAccessKeys(principalUin?: bigint): AccessKeyRecord[] {
    const want = principalUin?.toString();
    return [...this.accessKeys.values()]
      .map((e) => e.record)
      .filter((r) => want === undefined || (r.principalUin ?? r.uin) === want)
      .sort((a, b) => a.createTime - b.createTime || (a.secretId < b.secretId ? -1 : 1));
  }

  getAccessKey(secretId: string): AccessKeyRecord | undefined {
    return this.accessKeys.get(secretId)?.record;
  }

  listTokens(principalUin?: bigint): TokenRecord[] {
    const want = principalUin?.toString();
    return [...this.tokens.values()].filter((t) => want === undefined || t.principalUin === want).sort((a, b) => a.createTime - b.createTime || (a.tokenId < b.tokenId ? -1 : 1));
  }

  getToken(tokenId: string): TokenRecord | undefined {
    return this.tokens.get(tokenId);
  }

  hasTokenHash(token: string): boolean {
    return this.tokenByHash.has(sha256Hex(token));
  }

  listPolicies(): { record: PolicyRecord; attachments: number }[] {
    const counts = new Map<string, number>();
    for (const p of this.principals.values()) for (const n of p.policies) counts.set(n, (counts.get(n) ?? 0) + 1);
    return [...this.policies.values()].map((e) => ({ record: e.record, attachments: counts.get(e.record.name) ?? 0 })).sort((a, b) => (a.record.name < b.record.name ? -1 : 1));
  }

  policy(name: string): { record: PolicyRecord; attachments: number } | undefined {
    return this.listPolicies().find((p) => p.record.name === name);
  }

  // ---- changes: one at a time, one batch each ----

  createPrincipal(name: string, description: string, nowMs: number, journal?: Journal): Promise<PrincipalRecord> {
    return this.exclusive(async () => {
      if (!PRINCIPAL_NAME_RE.test(name)) throw new KmsError("InvalidParameterValue", "Name must be 1 to 64 of A-Z a-z 0-9 and _+=,.@-");
      if (this.principalByName.has(name)) throw new KmsError("ResourceInUse", `a principal named ${name} already exists`);
      const record: PrincipalRecord = { uin: this.newSubUin(), name, description, createTime: nowMs, root: false, policies: [] };
      await this.write(journal, [{ type: "put", key: keyspace.principal(record.uin), value: encode(record) }]);
      this.putPrincipal(record);
      return record;
    });
  }

  /** Deletes a sub-user with its access keys and tokens in one batch. */
  deletePrincipal(uin: bigint, journal?: Journal): Promise<void> {
    return this.exclusive(async () => {
      const p = this.requirePrincipal(uin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root cannot be deleted");
      const keys = this.listAccessKeys(uin);
      const tokens = this.listTokens(uin);
      const ops: BatchOp[] = [
        { type: "del", key: keyspace.principal(p.uin) },
        ...keys.map((k): BatchOp => ({ type: "del", key: keyspace.accessKey(k.secretId) })),
        ...tokens.map((t): BatchOp => ({ type: "del", key: keyspace.token(t.tokenId) })),
      ];
      await this.write(journal, ops);
      this.principals.delete(p.uin);
      this.principalByName.delete(p.name);
      for (const k of keys) this.accessKeys.delete(k.secretId);
      for (const t of tokens) {
        this.tokens.delete(t.tokenId);
        this.tokenByHash.delete(t.hash);
      }
      this.grants.clear();
    });
  }

  /** Creates an access key; with `supplied` (operator-given root pair) stores that pair. */
  createAccessKey(principalUin: bigint, description: string, nowMs: number, supplied?: { secretId: string; secretKey: string }, journal?: Journal): Promise<{ record: AccessKeyRecord; secretKey: string }> {
    return this.exclusive(async () => {
      const p = this.requirePrincipal(principalUin);
      const secretId = supplied?.secretId ?? `AKID${randomAlphanumeric(32)}`;
      const secretKey = supplied?.secretKey ?? randomAlphanumeric(32);
      const record: AccessKeyRecord = {
        secretId,
        sealedSecretKey: Buffer.from(this.rootKey.seal(Buffer.from(secretKey, "utf8"), secretLabel(secretId))).toString("base64"),
        status: "Enabled",
        createTime: nowMs,
        description,
        uin: this.accountUin.toString(),
        principalUin: p.uin,
      };
      await this.write(journal, [{ type: "put", key: keyspace.accessKey(secretId), value: encode(record) }]);
      this.accessKeys.set(secretId, { record, secretKey });
      return { record, secretKey };
    });
  }

  setAccessKeyStatus(secretId: string, status: AccessKeyStatus, journal?: Journal): Promise<void> {
    return this.exclusive(async () => {
      const e = this.requireAccessKey(secretId);
      if (e.record.status === status) return;
      const record = { ...e.record, status };
      await this.write(journal, [{ type: "put", key: keyspace.accessKey(secretId), value: encode(record) }]);
      this.accessKeys.set(secretId, { record, secretKey: e.secretKey });
    });
  }

  deleteAccessKey(secretId: string, journal?: Journal): Promise<void> {
    return this.exclusive(async () => {
      this.requireAccessKey(secretId);
      await this.write(journal, [{ type: "del", key: keyspace.accessKey(secretId) }]);
      this.accessKeys.delete(secretId);
    });
  }

  /** Creates a bearer token "<tokenId>.<secret>" (or stores an operator-supplied one); only its hash is kept. */
  createToken(principalUin: bigint, description: string, nowMs: number, supplied?: string, journal?: Journal): Promise<{ record: TokenRecord; token: string }> {
    return this.exclusive(async () => {
      const p = this.requirePrincipal(principalUin);
      const tokenId = `kmst${randomAlphanumeric(16)}`;
      const token = supplied ?? `${tokenId}.${randomAlphanumeric(40)}`;
      const record: TokenRecord = { tokenId, principalUin: p.uin, hash: sha256Hex(token), description, createTime: nowMs };
      if (this.tokenByHash.has(record.hash)) throw new KmsError("ResourceInUse", "this token is already registered");
      await this.write(journal, [{ type: "put", key: keyspace.token(tokenId), value: encode(record) }]);
      this.tokens.set(tokenId, record);
      this.tokenByHash.set(record.hash, tokenId);
      return { record, token };
    });
  }

  deleteToken(tokenId: string, journal?: Journal): Promise<void> {
    return this.exclusive(async () => {
      if (!TOKEN_ID_RE.test(tokenId)) throw new KmsError("InvalidParameterValue", "TokenId must be kmst followed by 16 letters and digits");
      const record = this.tokens.get(tokenId);
      if (!record) throw new KmsError("ResourceNotFound", `token ${tokenId} does not exist`);
      await this.write(journal, [{ type: "del", key: keyspace.token(tokenId) }]);
      this.tokens.delete(tokenId);
      this.tokenByHash.delete(record.hash);
    });
  }

  createPolicy(name: string, description: string, document: string, nowMs: number, journal?: Journal): Promise<PolicyRecord> {
    return this.exclusive(async () => {
      assertPolicyName(name);
      if (this.policies.has(name)) throw new KmsError("ResourceInUse", `a policy named ${name} already exists`);
      const compiled = parsePolicy(document);
      const record: PolicyRecord = { name, description, document, createTime: nowMs, updateTime: nowMs };
      await this.write(journal, [{ type: "put", key: keyspace.policy(name), value: encode(record) }]);
      this.policies.set(name, { record, compiled });
      return record;
    });
  }

  updatePolicy(name: string, document: string, nowMs: number, journal?: Journal): Promise<PolicyRecord> {
    return this.exclusive(async () => {
      const e = this.requirePolicy(name);
      const compiled = parsePolicy(document);
      const record: PolicyRecord = { ...e.record, document, updateTime: nowMs };
      await this.write(journal, [{ type: "put", key: keyspace.policy(name), value: encode(record) }]);
      this.policies.set(name, { record, compiled });
      this.grants.clear();
      return record;
    });
  }

  deletePolicy(name: string, journal?: Journal): Promise<void> {
    return this.exclusive(async () => {
      this.requirePolicy(name);
      const users = [...this.principals.values()].filter((p) => p.policies.includes(name)).map((p) => p.name);
      if (users.length > 0) throw new KmsError("ResourceInUse", `policy ${name} is attached to ${users.slice(0, 5).join(", ")}${users.length > 5 ? ", ..." : ""}; detach it first`);
      await this.write(journal, [{ type: "del", key: keyspace.policy(name) }]);
      this.policies.delete(name);
    });
  }

  attachPolicy(uin: bigint, name: string, journal?: Journal): Promise<void> {
    return this.changePolicies(uin, name, (list) => (list.includes(name) ? [...list] : [...list, name]), journal);
  }

  detachPolicy(uin: bigint, name: string, journal?: Journal): Promise<void> {
    return this.changePolicies(uin, name, (list) => {
      if (!list.includes(name)) throw new KmsError("ResourceNotFound", `policy ${name} is not attached to principal ${uin}`);
      return list.filter((n) => n !== name);
    }, journal);
  }

  private changePolicies(uin: bigint, name: string, change: (list: string[]) => string[], journal: Journal | undefined): Promise<void> {
    return this.exclusive(async () => {
      const p = this.requirePrincipal(uin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root is not restricted by policies");
      this.requirePolicy(name);
      const policies = change(p.policies);
      if (policies.length === p.policies.length && policies.every((n, i) => n === p.policies[i])) return;
      const record = { ...p, policies };
      await this.write(journal, [{ type: "put", key: keyspace.principal(p.uin), value: encode(record) }]);
      this.putPrincipal(record);
    });
  }

  private identity(p: PrincipalRecord, credential: string): Identity {
    return { uin: BigInt(p.uin), name: p.name, root: p.root, credential };
  }

  private putPrincipal(p: PrincipalRecord): void {
    this.principals.set(p.uin, p);
    this.principalByName.set(p.name, p.uin);
    this.grants.clear();
  }

  /** Sub-user uins look like Tencent's: 12 digits starting 100. */
  private newSubUin(): string {
    for (;;) {
      const uin = `100${String(randomInt(0, 1_000_000_000)).padStart(9, "0")}`;
      if (!this.principals.has(uin) && uin !== this.accountUin.toString()) return uin;
    }
  }

  private requirePrincipal(uin: bigint): PrincipalRecord {
    const p = this.principals.get(uin.toString());
    if (!p) throw new KmsError("ResourceNotFound", `principal ${uin} does not exist`);
    return p;
  }

  private requireAccessKey(secretId: string): AccessKeyEntry {
    if (!SECRET_ID_RE.test(secretId)) throw new KmsError("InvalidParameterValue", "SecretId must be AKID followed by 32 letters and digits");
    const e = this.accessKeys.get(secretId);
    if (!e) throw new KmsError("ResourceNotFound", `access key ${secretId} does not exist`);
    return e;
  }

  private requirePolicy(name: string): PolicyEntry {
    assertPolicyName(name);
    const e = this.policies.get(name);
    if (!e) throw new KmsError("ResourceNotFound", `policy ${name} does not exist`);
    return e;
  }

  /** One batch: through the calling admin action's journal (its audit event alongside), or straight to the store at bootstrap. */
  private write(journal: Journal | undefined, ops: readonly BatchOp[]): Promise<void> {
    return journal ? journal(ops) : this.store.batch(ops);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function assertPolicyName(name: string): void {
  if (!POLICY_NAME_RE.test(name)) throw new KmsError("InvalidParameterValue", "PolicyName must be 1 to 128 of A-Z a-z 0-9 and _+=,.@-");
}
