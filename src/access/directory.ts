/**
 * The directory: principals, their access keys and bearer tokens, and
 * policies. Everything is held in memory (every request authenticates and
 * authorises against it, and must not touch the store for that) and persisted
 * one batch per change, so the map and the store never disagree.
 *
 * Every record is authenticated under the keyring, bound to its store key:
 *
 *   {"f":1,<fields>,"mac":"<base64 of RootKey.seal(empty, "kms/v1/directory/<store key>\n<record JSON>")>"}
 *
 * The MAC is an AES-256-GCM tag (GMAC) over the store key and the exact bytes
 * of the record without it, under the current keyring version (named in its
 * header, so a keyring rotation rewraps it like any sealed record). Whoever
 * can write the store but does not hold the keyring cannot plant a token,
 * flip `root`, or move a record to another key: such a record is refused at
 * load (logged once with its store key), and everyone else keeps working. A
 * principal whose attached policy is refused or missing is denied everything
 * (the missing one could have been a deny).
 *
 * Replicas (several processes on one etcd store): every change also bumps
 * the directory's sequence record (v1/meta/directory-seq), guarded by the
 * value this replica last applied, so directory changes are serialised across
 * replicas: a change decided on a directory another replica has changed since
 * is refused by the store, and re-run once this replica has caught up. The
 * maps are then kept from the store's watch (applyCommit): one function,
 * applyRecord, turns a stored record into memory, at load, from the watch,
 * and after this process's own writes when nothing watches.
 */
import { hash, randomInt, timingSafeEqual } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { KmsError } from "../errors.js";
import { randomAlphanumeric } from "../crypto/random.js";
import { sealedVersion, type KeyringRootKey, type RootKey } from "../crypto/seal.js";
import type { SealedRecordKind } from "../crypto/sealed-records.js";
import { keyspace } from "../store/keyspace.js";
import { StoreConflictError, type BatchOp, type Guard, type KvStore, type Revision } from "../store/store.js";
import { journaledRevision, type Identity, type Journal } from "../call.js";
import type { AccessKeyRecord, AccessKeyStatus } from "./access-key.js";
import { SECRET_ID_RE } from "../credential-formats.js";
import { parsePolicy, type CompiledPolicy } from "./policy/index.js";
import { POLICY_NAME_RE, PRINCIPAL_NAME_RE, TOKEN_ID_RE, type PolicyRecord, type PrincipalRecord, type TokenRecord } from "./principal.js";

const RECORD_FORMAT = 1;
export const secretLabel = (secretId: string) => `kms/v1/access-key/${secretId}`;
const ROOT_NAME = "root";
const macLabel = (storeKey: string, json: string) => `kms/v1/directory/${storeKey}\n${json}`;
/** The MAC is the last member of a stored record. */
const MAC_SUFFIX = /,"mac":"([A-Za-z0-9+/]+={0,2})"\}$/;
const EMPTY = new Uint8Array(0);
/** The directory's change counter: every change bumps it, guarded by the value read (serialises changes across replicas). */
export const DIRECTORY_SEQ_KEY = keyspace.meta("directory-seq");
/** Spaces of the directory's records. */
const SPACES = [keyspace.principalsPrefix, keyspace.policiesPrefix, keyspace.accessKeysPrefix, keyspace.tokensPrefix] as const;
/** How long a change waits for this replica's watch to bring the directory up to the store's latest change. */
const CATCH_UP_MS = 5_000;
/** Attempts of one change that keeps meeting other replicas' changes. */
const MAX_CHANGE_ATTEMPTS = 8;

/** A directory record that is not what this service wrote: refused at load. */
class RefusedRecord extends Error {
  override readonly name = "RefusedRecord";
}

/** What open() is told about a store older than authenticated records (from the root of trust). */
export interface LegacyDirectoryAdoption {
  /** True once, on the first start of a store that predates the keyring. */
  pending: boolean;
  /** Called after the adoption batch: the flag is cleared where nobody without the root of trust can set it again. */
  done(): Promise<void>;
}

export interface DirectoryOpenOptions {
  /** Told once per refused record (store key and reason; never record contents). */
  warn?: (msg: string) => void;
  legacy?: LegacyDirectoryAdoption;
}

interface AccessKeyEntry {
  record: AccessKeyRecord;
  secretKey: string;
}

interface PolicyEntry {
  record: PolicyRecord;
  /** Undefined when a stored document no longer parses: it then grants nothing. */
  compiled: CompiledPolicy | undefined;
}

/** The stored bytes of a record: its JSON and the MAC binding it to `storeKey`. */
export function encodeDirectoryRecord(rootKey: RootKey, storeKey: string, record: object): Uint8Array {
  const json = JSON.stringify({ f: RECORD_FORMAT, ...record });
  return macRecord(rootKey, storeKey, json);
}

function macRecord(rootKey: RootKey, storeKey: string, json: string): Uint8Array {
  const mac = Buffer.from(rootKey.seal(EMPTY, macLabel(storeKey, json))).toString("base64");
  return Buffer.from(`${json.slice(0, -1)},"mac":"${mac}"}`, "utf8");
}

/** A stored record split into the exact JSON the MAC covers and the MAC (undefined: written before records were authenticated). */
function splitRecord(storeKey: string, bytes: Uint8Array): { json: string; mac: Buffer | undefined } {
  const text = Buffer.from(bytes).toString("utf8");
  const m = MAC_SUFFIX.exec(text);
  if (!m) return { json: text, mac: undefined };
  const json = `${text.slice(0, m.index)}}`;
  if (json === "{}") throw new RefusedRecord(`${storeKey} is malformed`);
  return { json, mac: Buffer.from(m[1] as string, "base64") };
}

function parseRecord<T>(storeKey: string, json: string): T {
  let parsed: T & { f?: number };
  try {
    parsed = JSON.parse(json) as T & { f?: number };
  } catch {
    throw new RefusedRecord(`${storeKey} is not JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || parsed.f !== RECORD_FORMAT) throw new RefusedRecord(`${storeKey} has an unknown record format`);
  delete parsed.f;
  return parsed;
}

/** The record if its MAC verifies under the keyring; RefusedRecord otherwise. */
function verifiedRecord<T>(rootKey: RootKey, storeKey: string, bytes: Uint8Array): T {
  const { json, mac } = splitRecord(storeKey, bytes);
  if (!mac) throw new RefusedRecord(`${storeKey} carries no MAC`);
  let plain: Uint8Array;
  try {
    plain = rootKey.unseal(mac, macLabel(storeKey, json));
  } catch {
    throw new RefusedRecord(`${storeKey} does not match its MAC (altered, planted or moved)`);
  }
  if (plain.length !== 0) throw new RefusedRecord(`${storeKey} does not match its MAC`);
  return parseRecord<T>(storeKey, json);
}

/** The id a record must carry to sit under its store key. */
type IdOf<T> = (record: T) => unknown;

function assertPlace<T>(storeKey: string, prefix: string, record: T, idOf: IdOf<T>): T {
  if (idOf(record) !== storeKey.slice(prefix.length)) throw new RefusedRecord(`${storeKey} holds the record of another id`);
  return record;
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
  /** The sequence record as last applied here (undefined: never written), and its number. */
  private seqBytes: Uint8Array | undefined;
  private seq = 0;
  /** Changes waiting for the watch to bring the sequence up to a number. */
  private readonly seqWaiters: { seq: number; resolve: () => void }[] = [];
  /** Set by follow(): the store's watch applies every change (this replica's too). */
  private watched: { settle: (revision: Revision) => Promise<void> } | undefined;
  private warn: (msg: string) => void = (m) => process.stderr.write(`${m}\n`);

  constructor(
    private readonly store: KvStore,
    private readonly rootKey: RootKey,
    readonly accountUin: bigint,
  ) {}

  /** Store keys of the records refused at the last open (not loaded), and since, from the watch. */
  refused: readonly string[] = [];

  /**
   * Loads every record whose MAC verifies (refusing and logging the others),
   * unseals access-key secrets, and creates the root principal on first start.
   * On the first start of a store older than authenticated records
   * (`legacy.pending`), first MACs every record in one batch.
   */
  async open(nowMs: number, options: DirectoryOpenOptions = {}): Promise<void> {
    if (options.warn) this.warn = options.warn;
    if (options.legacy?.pending) {
      await this.adoptLegacy();
      await options.legacy.done();
    }
    // The sequence before the records: if a change lands between the two reads, the records are the newer,
    // and a change decided here is guarded by the older sequence, so it is refused and re-run, never lost.
    this.setSeq(await this.store.get(DIRECTORY_SEQ_KEY));
    this.refused = [];
    for (const prefix of SPACES) for await (const [k, v] of this.store.scan({ prefix })) this.applyRecord(k, v);
    await this.ensureRoot(nowMs);
  }

  /** Creates the root principal when there is none (first start) or its record was refused. */
  private async ensureRoot(nowMs: number): Promise<void> {
    const rootUin = this.accountUin.toString();
    await this.change(undefined, async () => {
      const existing = this.principals.get(rootUin);
      if (existing?.root) return { ops: [], result: undefined };
      const root: PrincipalRecord = { uin: rootUin, name: ROOT_NAME, description: "the account root", createTime: existing?.createTime ?? nowMs, root: true, policies: [] };
      return { ops: [this.put(keyspace.principal(rootUin), root)], result: undefined };
    });
  }

  /**
   * Follows the store's watch from now on: applyCommit is fed every commit
   * under the directory's spaces, and a change returns once `settle` says
   * this replica has applied it.
   */
  follow(settle: (revision: Revision) => Promise<void>): void {
    this.watched = { settle };
  }

  /** For the replica's store watch (src/replica/sync.ts Follower): what it keeps. */
  readonly name = "directory";
  readonly prefixes: readonly string[] = [...SPACES, DIRECTORY_SEQ_KEY];

  /** One commit from the store's watch, in commit order; idempotent (a replay changes nothing). */
  applyCommit(changes: readonly BatchOp[]): void {
    for (const op of changes) {
      if (op.key === DIRECTORY_SEQ_KEY) this.setSeq(op.type === "put" ? op.value : undefined);
      else if (SPACES.some((p) => op.key.startsWith(p))) this.applyRecord(op.key, op.type === "put" ? op.value : undefined);
    }
  }

  /** The watch lost history: everything is read again. */
  async rebuild(): Promise<void> {
    this.setSeq(await this.store.get(DIRECTORY_SEQ_KEY));
    const present = new Set<string>();
    for (const prefix of SPACES)
      for await (const [k, v] of this.store.scan({ prefix })) {
        present.add(k);
        this.applyRecord(k, v);
      }
    const stored = [
      ...[...this.principals.keys()].map(keyspace.principal),
      ...[...this.policies.keys()].map(keyspace.policy),
      ...[...this.accessKeys.keys()].map(keyspace.accessKey),
      ...[...this.tokens.keys()].map(keyspace.token),
    ];
    for (const k of stored) if (!present.has(k)) this.applyRecord(k, undefined);
  }

  private setSeq(bytes: Uint8Array | undefined): void {
    this.seqBytes = bytes;
    this.seq = bytes === undefined ? 0 : Number(Buffer.from(bytes).toString("utf8")) || 0;
    for (let i = this.seqWaiters.length - 1; i >= 0; i--) {
      const w = this.seqWaiters[i] as { seq: number; resolve: () => void };
      if (w.seq <= this.seq) {
        this.seqWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /**
   * The one place a stored record becomes memory (or leaves it: `bytes`
   * undefined). A record whose MAC does not verify is refused: logged, listed
   * in `refused`, and treated as absent.
   */
  private applyRecord(storeKey: string, bytes: Uint8Array | undefined): void {
    const prefix = SPACES.find((p) => storeKey.startsWith(p));
    if (prefix === undefined) return;
    const id = storeKey.slice(prefix.length);
    this.removeRecord(prefix, id);
    if (bytes === undefined) return;
    try {
      switch (prefix) {
        case keyspace.principalsPrefix:
          this.putPrincipal(assertPlace(storeKey, prefix, verifiedRecord<PrincipalRecord>(this.rootKey, storeKey, bytes), (r) => r.uin));
          break;
        case keyspace.policiesPrefix: {
          const record = assertPlace(storeKey, prefix, verifiedRecord<PolicyRecord>(this.rootKey, storeKey, bytes), (r) => r.name);
          this.policies.set(record.name, { record, compiled: tryParsePolicy(record.document) });
          break;
        }
        case keyspace.accessKeysPrefix: {
          const record = assertPlace(storeKey, prefix, verifiedRecord<AccessKeyRecord>(this.rootKey, storeKey, bytes), (r) => r.secretId);
          let secret: Uint8Array;
          try {
            secret = this.rootKey.unseal(Buffer.from(record.sealedSecretKey, "base64"), secretLabel(record.secretId));
          } catch {
            throw new RefusedRecord(`${keyspace.accessKey(record.secretId)}: its secret key does not unseal`);
          }
          this.accessKeys.set(record.secretId, { record, secretKey: Buffer.from(secret).toString("utf8") });
          break;
        }
        case keyspace.tokensPrefix: {
          const record = assertPlace(storeKey, prefix, verifiedRecord<TokenRecord>(this.rootKey, storeKey, bytes), (r) => r.tokenId);
          this.tokens.set(record.tokenId, record);
          this.tokenByHash.set(record.hash, record.tokenId);
          break;
        }
      }
      if (this.refused.includes(storeKey)) this.refused = this.refused.filter((k) => k !== storeKey);
    } catch (err) {
      if (!(err instanceof RefusedRecord)) throw err;
      if (!this.refused.includes(storeKey)) this.refused = [...this.refused, storeKey];
      this.warn(`kms: directory record refused: ${err.message}; it is ignored (restore it from a backup, or delete and recreate it)`);
    }
  }

  /** Forgets the record stored under prefix+id, with what indexes it. */
  private removeRecord(prefix: string, id: string): void {
    switch (prefix) {
      case keyspace.principalsPrefix: {
        const p = this.principals.get(id);
        if (!p) return;
        this.principals.delete(id);
        if (this.principalByName.get(p.name) === id) this.principalByName.delete(p.name);
        break;
      }
      case keyspace.policiesPrefix:
        this.policies.delete(id);
        break;
      case keyspace.accessKeysPrefix:
        this.accessKeys.delete(id);
        break;
      case keyspace.tokensPrefix: {
        const t = this.tokens.get(id);
        if (!t) return;
        this.tokens.delete(id);
        if (this.tokenByHash.get(t.hash) === id) this.tokenByHash.delete(t.hash);
        break;
      }
    }
    this.grants.clear();
  }

  /** MACs every record written before records were authenticated, in one batch. */
  private async adoptLegacy(): Promise<void> {
    const ops: BatchOp[] = [];
    for (const prefix of SPACES) {
      for await (const [k, v] of this.store.scan({ prefix })) {
        const { json, mac } = splitRecord(k, v);
        if (mac) continue;
        // Only a record that parses is adopted; anything else stays as it is and is refused at load.
        try {
          parseRecord<object>(k, json);
        } catch {
          continue;
        }
        ops.push({ type: "put", key: k, value: macRecord(this.rootKey, k, json) });
      }
    }
    if (ops.length > 0) await this.store.batch(ops);
  }

  /**
   * The directory's sealed record kinds for the keyring rotation: every
   * record's MAC, and access keys' sealed secrets, rewrapped under the
   * directory's own lock so no change races them.
   */
  sealedRecordKinds(): SealedRecordKind[] {
    const kind = (name: string, prefix: string): SealedRecordKind => ({
      name,
      prefix,
      rewrap: (storeKey, value, rootKey) => this.rewrapRecord(storeKey, value, rootKey),
      serialize: (_records, write) => this.exclusive(write),
      stored: (storeKey, value) => {
        if (prefix !== keyspace.accessKeysPrefix) return;
        const e = this.accessKeys.get(storeKey.slice(prefix.length));
        if (e) e.record = verifiedRecord<AccessKeyRecord>(this.rootKey, storeKey, value);
      },
    });
    return [
      kind("directory-principals", keyspace.principalsPrefix),
      kind("directory-policies", keyspace.policiesPrefix),
      kind("directory-access-keys", keyspace.accessKeysPrefix),
      kind("directory-tokens", keyspace.tokensPrefix),
    ];
  }

  private rewrapRecord(storeKey: string, value: Uint8Array, rootKey: KeyringRootKey): Uint8Array | undefined {
    const { json, mac } = splitRecord(storeKey, value);
    const record = verifiedRecord<Record<string, unknown>>(rootKey, storeKey, value);
    const sealedSecret = typeof record.sealedSecretKey === "string" ? Buffer.from(record.sealedSecretKey, "base64") : undefined;
    const secretCurrent = sealedSecret === undefined || sealedVersion(sealedSecret) === rootKey.current;
    if (secretCurrent && sealedVersion(mac as Buffer) === rootKey.current) return undefined;
    if (!secretCurrent && sealedSecret) {
      const label = secretLabel(String(record.secretId));
      const plain = rootKey.unseal(sealedSecret, label);
      record.sealedSecretKey = Buffer.from(rootKey.seal(plain, label)).toString("base64");
      plain.fill(0);
      return encodeDirectoryRecord(rootKey, storeKey, record);
    }
    return macRecord(rootKey, storeKey, json);
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
      // A policy refused at load or deleted behind our back might have been a deny: grant nothing then.
      cached = names.some((n) => !this.policies.has(n))
        ? []
        : names.flatMap((n) => {
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
    return this.change(journal, () => {
      if (!PRINCIPAL_NAME_RE.test(name)) throw new KmsError("InvalidParameterValue", "Name must be 1 to 64 of A-Z a-z 0-9 and _+=,.@-");
      if (this.principalByName.has(name)) throw new KmsError("ResourceInUse", `a principal named ${name} already exists`);
      const record: PrincipalRecord = { uin: this.newSubUin(), name, description, createTime: nowMs, root: false, policies: [] };
      return { ops: [this.put(keyspace.principal(record.uin), record)], result: record };
    });
  }

  /** Deletes a sub-user with its access keys and tokens in one batch. */
  deletePrincipal(uin: bigint, journal?: Journal): Promise<void> {
    return this.change(journal, () => {
      const p = this.requirePrincipal(uin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root cannot be deleted");
      const ops: BatchOp[] = [
        { type: "del", key: keyspace.principal(p.uin) },
        ...this.listAccessKeys(uin).map((k): BatchOp => ({ type: "del", key: keyspace.accessKey(k.secretId) })),
        ...this.listTokens(uin).map((t): BatchOp => ({ type: "del", key: keyspace.token(t.tokenId) })),
      ];
      return { ops, result: undefined };
    });
  }

  /** Creates an access key; with `supplied` (operator-given root pair) stores that pair. */
  createAccessKey(principalUin: bigint, description: string, nowMs: number, supplied?: { secretId: string; secretKey: string }, journal?: Journal): Promise<{ record: AccessKeyRecord; secretKey: string }> {
    return this.change(journal, () => {
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
      return { ops: [this.put(keyspace.accessKey(secretId), record)], result: { record, secretKey } };
    });
  }

  setAccessKeyStatus(secretId: string, status: AccessKeyStatus, journal?: Journal): Promise<void> {
    return this.change(journal, () => {
      const e = this.requireAccessKey(secretId);
      if (e.record.status === status) return { ops: [], result: undefined };
      return { ops: [this.put(keyspace.accessKey(secretId), { ...e.record, status })], result: undefined };
    });
  }

  deleteAccessKey(secretId: string, journal?: Journal): Promise<void> {
    return this.change(journal, () => {
      this.requireAccessKey(secretId);
      return { ops: [{ type: "del", key: keyspace.accessKey(secretId) }], result: undefined };
    });
  }

  /** Creates a bearer token "<tokenId>.<secret>" (or stores an operator-supplied one); only its hash is kept. */
  createToken(principalUin: bigint, description: string, nowMs: number, supplied?: string, journal?: Journal): Promise<{ record: TokenRecord; token: string }> {
    return this.change(journal, () => {
      const p = this.requirePrincipal(principalUin);
      const tokenId = `kmst${randomAlphanumeric(16)}`;
      const token = supplied ?? `${tokenId}.${randomAlphanumeric(40)}`;
      const record: TokenRecord = { tokenId, principalUin: p.uin, hash: sha256Hex(token), description, createTime: nowMs };
      if (this.tokenByHash.has(record.hash)) throw new KmsError("ResourceInUse", "this token is already registered");
      return { ops: [this.put(keyspace.token(tokenId), record)], result: { record, token } };
    });
  }

  deleteToken(tokenId: string, journal?: Journal): Promise<void> {
    return this.change(journal, () => {
      if (!TOKEN_ID_RE.test(tokenId)) throw new KmsError("InvalidParameterValue", "TokenId must be kmst followed by 16 letters and digits");
      if (!this.tokens.has(tokenId)) throw new KmsError("ResourceNotFound", `token ${tokenId} does not exist`);
      return { ops: [{ type: "del", key: keyspace.token(tokenId) }], result: undefined };
    });
  }

  createPolicy(name: string, description: string, document: string, nowMs: number, journal?: Journal): Promise<PolicyRecord> {
    return this.change(journal, () => {
      assertPolicyName(name);
      if (this.policies.has(name)) throw new KmsError("ResourceInUse", `a policy named ${name} already exists`);
      parsePolicy(document);
      const record: PolicyRecord = { name, description, document, createTime: nowMs, updateTime: nowMs };
      return { ops: [this.put(keyspace.policy(name), record)], result: record };
    });
  }

  updatePolicy(name: string, document: string, nowMs: number, journal?: Journal): Promise<PolicyRecord> {
    return this.change(journal, () => {
      const e = this.requirePolicy(name);
      parsePolicy(document);
      const record: PolicyRecord = { ...e.record, document, updateTime: nowMs };
      return { ops: [this.put(keyspace.policy(name), record)], result: record };
    });
  }

  deletePolicy(name: string, journal?: Journal): Promise<void> {
    return this.change(journal, () => {
      this.requirePolicy(name);
      const users = [...this.principals.values()].filter((p) => p.policies.includes(name)).map((p) => p.name);
      if (users.length > 0) throw new KmsError("ResourceInUse", `policy ${name} is attached to ${users.slice(0, 5).join(", ")}${users.length > 5 ? ", ..." : ""}; detach it first`);
      return { ops: [{ type: "del", key: keyspace.policy(name) }], result: undefined };
    });
  }

  attachPolicy(uin: bigint, name: string, journal?: Journal): Promise<void> {
    return this.changePolicies(uin, name, (list) => (list.includes(name) ? [...list] : [...list, name]), journal, true);
  }

  detachPolicy(uin: bigint, name: string, journal?: Journal): Promise<void> {
    return this.changePolicies(uin, name, (list) => {
      if (!list.includes(name)) throw new KmsError("ResourceNotFound", `policy ${name} is not attached to principal ${uin}`);
      return list.filter((n) => n !== name);
    }, journal, false);
  }

  /** Attaching needs the policy; detaching does not (a refused or lost policy can still be detached). */
  private changePolicies(uin: bigint, name: string, change: (list: string[]) => string[], journal: Journal | undefined, mustExist: boolean): Promise<void> {
    return this.change(journal, () => {
      const p = this.requirePrincipal(uin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root is not restricted by policies");
      if (mustExist) this.requirePolicy(name);
      else assertPolicyName(name);
      const policies = change(p.policies);
      if (policies.length === p.policies.length && policies.every((n, i) => n === p.policies[i])) return { ops: [], result: undefined };
      return { ops: [this.put(keyspace.principal(p.uin), { ...p, policies })], result: undefined };
    });
  }

  /** The op storing a record with its MAC. */
  private put(storeKey: string, record: object): BatchOp {
    return { type: "put", key: storeKey, value: encodeDirectoryRecord(this.rootKey, storeKey, record) };
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

  /**
   * One change: decided on the directory as this replica holds it (brought
   * up to the store's latest change first when watched), written as one
   * batch with the sequence bumped and guarded. If another replica changed
   * the directory in between, the store refuses the batch and the change is
   * decided again on the caught-up directory.
   */
  private change<T>(journal: Journal | undefined, decide: () => { ops: BatchOp[]; result: T } | Promise<{ ops: BatchOp[]; result: T }>): Promise<T> {
    return this.exclusive(async () => {
      for (let attempt = 1; ; attempt++) {
        await this.catchUp();
        const { ops, result } = await decide();
        if (ops.length === 0) return result;
        const guard: Guard = { key: DIRECTORY_SEQ_KEY, value: this.seqBytes };
        const next = Buffer.from(String(this.seq + 1), "utf8");
        const all = [...ops, { type: "put" as const, key: DIRECTORY_SEQ_KEY, value: next }];
        let revision: Revision | undefined;
        try {
          revision = journal ? journaledRevision(await journal(all, [], [guard])) : await this.store.batch(all, { guards: [guard] });
        } catch (err) {
          if (!(err instanceof StoreConflictError)) throw err;
          if (attempt >= MAX_CHANGE_ATTEMPTS)
            throw new KmsError("UnsupportedOperation.ServiceTemporaryUnavailable", `the directory changed under this request ${attempt} times in a row (other requests won); nothing was changed: try again`, err);
          // Unwatched, nothing would bring the other change here: read the sequence again and retry on it.
          if (!this.watched) this.setSeq(await this.store.get(DIRECTORY_SEQ_KEY));
          await sleep(attempt);
          continue;
        }
        if (this.watched && revision !== undefined) await this.watched.settle(revision);
        else for (const op of all) op.key === DIRECTORY_SEQ_KEY ? this.setSeq(next) : this.applyRecord(op.key, op.type === "put" ? op.value : undefined);
        return result;
      }
    });
  }

  /** Watched: waits until this replica has applied the directory's latest change (one read of the sequence). */
  private async catchUp(): Promise<void> {
    if (!this.watched) return;
    const bytes = await this.store.get(DIRECTORY_SEQ_KEY);
    const target = bytes === undefined ? 0 : Number(Buffer.from(bytes).toString("utf8")) || 0;
    if (target <= this.seq) return;
    const waiter = { seq: target, resolve: () => undefined as void };
    const reached = new Promise<boolean>((resolve) => (waiter.resolve = () => resolve(true)));
    this.seqWaiters.push(waiter);
    const timer = setTimeout(() => waiter.resolve(), CATCH_UP_MS);
    const caughtUp = await reached.finally(() => clearTimeout(timer));
    if (this.seq < target || !caughtUp)
      throw new KmsError("UnsupportedOperation.ServiceTemporaryUnavailable", `this replica has not seen the directory's latest change within ${CATCH_UP_MS} ms (is its store watch connected?); nothing was changed: try again`);
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
