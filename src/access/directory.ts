/**
 * The directory: accounts, and in each account its principals, their access
 * keys, bearer tokens and client certificates, and its policies. Everything
 * is held in memory (every request authenticates and authorises against it,
 * and must not touch the store for that) and persisted one batch per change,
 * so the map and the store never disagree.
 *
 * Accounts are tenants: a principal belongs to one account, and every record
 * of an account sits under a store key naming it (keyspace.ts), so one
 * account's view (`in(account)`) sees nothing of another's. Principal uins
 * are unique across accounts (a root's uin is its account's); credentials
 * (SecretIds, token ids, certificate fingerprints) are unique too, and each
 * names its principal, which names its account.
 *
 * Every record is authenticated under the keyring, bound to its store key
 * (and so to its account):
 *
 *   {"f":1,<fields>,"mac":"<base64 of RootKey.seal(empty, "kms/v1/directory/<store key>\n<record JSON>")>"}
 *
 * The MAC is an AES-256-GCM tag (GMAC) over the store key and the exact bytes
 * of the record without it, under the current keyring version (named in its
 * header, so a keyring rotation rewraps it like any sealed record). Whoever
 * can write the store but does not hold the keyring cannot plant a token,
 * flip `root`, or move a record to another key or account: such a record is
 * refused at load (logged once with its store key), and everyone else keeps
 * working. A principal whose attached policy is refused or missing is denied
 * everything (the missing one could have been a deny).
 *
 * Stores older than accounts kept one account's records at v1/<space>/<id>.
 * The first start moves every one of them whose MAC verifies into the
 * default account, in one batch (re-MAC'd for its new store key); one that
 * does not verify stays where it was and is refused at load, as before.
 *
 * Replicas (several processes on one etcd store): every change also bumps
 * the directory's sequence record (v1/meta/directory-seq), guarded by the
 * value this replica last applied, so directory changes are serialised across
 * replicas: a change decided on a directory another replica has changed since
 * is refused by the store, and re-run once this replica has caught up. The
 * maps are kept from the store's watch (applyCommit): one function,
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
import {
  ACCOUNT_NAME_RE,
  ACCOUNT_UIN_MAX,
  ACCOUNT_UIN_MIN,
  FINGERPRINT_RE,
  POLICY_NAME_RE,
  PRINCIPAL_NAME_RE,
  TOKEN_ID_RE,
  type AccountRecord,
  type AccountStatus,
  type CertificateRecord,
  type PolicyRecord,
  type PrincipalDeletionRecord,
  type PrincipalRecord,
  type TokenRecord,
} from "./principal.js";

const RECORD_FORMAT = 1;
export const secretLabel = (secretId: string) => `kms/v1/access-key/${secretId}`;
const ROOT_NAME = "root";
const macLabel = (storeKey: string, json: string) => `kms/v1/directory/${storeKey}\n${json}`;
/** The MAC is the last member of a stored record. */
const MAC_SUFFIX = /,"mac":"([A-Za-z0-9+/]+={0,2})"\}$/;
const EMPTY = new Uint8Array(0);
/** The directory's change counter: every change bumps it, guarded by the value read (serialises changes across replicas). */
export const DIRECTORY_SEQ_KEY = keyspace.meta("directory-seq");
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

/** A certificate a client presented, as the TLS layer verified it. */
export interface PresentedCertificate {
  /** Subject CN. */
  cn: string;
  /** Lower-case hex SHA-256 of the DER certificate. */
  fingerprint: string;
  /** Start of validity, ms (NaN when unknown: then the CN alone never suffices). */
  notBefore: number;
}

/** A certificate to register, as parsed from its PEM (src/crypto/certificate.ts). */
export interface CertificateInfo {
  fingerprint: string;
  subject: string;
  notBefore: number;
  notAfter: number;
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

/** The place a record must sit at: its account (absent for account records) and its id. */
type PlaceOf<T> = (record: T) => readonly unknown[];

/** Refuses a verified record whose fields name another place than its store key (a MAC'd record is ours, but stay strict). */
function assertPlace<T>(storeKey: string, prefix: string, record: T, placeOf: PlaceOf<T>): T {
  if (placeOf(record).map(String).join("/") !== storeKey.slice(prefix.length)) throw new RefusedRecord(`${storeKey} holds the record of another id`);
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

const scoped = (account: string, name: string) => `${account}/${name}`;

/** The directory's record spaces, each with the place its records sit at. */
const SPACES = {
  principals: { prefix: keyspace.principalsPrefix, place: (r: PrincipalRecord) => [r.account, r.uin] },
  policies: { prefix: keyspace.policiesPrefix, place: (r: PolicyRecord) => [r.account, r.name] },
  accessKeys: { prefix: keyspace.accessKeysPrefix, place: (r: AccessKeyRecord) => [r.uin, r.secretId] },
  tokens: { prefix: keyspace.tokensPrefix, place: (r: TokenRecord) => [r.account, r.tokenId] },
  certificates: { prefix: keyspace.certificatesPrefix, place: (r: CertificateRecord) => [r.account, r.fingerprint] },
  principalDeletions: { prefix: keyspace.principalDeletionsPrefix, place: (r: PrincipalDeletionRecord) => [r.account, r.name] },
  accounts: { prefix: keyspace.accountsPrefix, place: (r: AccountRecord) => [r.uin] },
} as const;

/** Every space's prefix, longest first so a prefix that begins another never takes its records. */
const SPACE_PREFIXES: readonly string[] = Object.values(SPACES)
  .map((sp) => sp.prefix)
  .sort((a, b) => b.length - a.length);

/** The last segment of a store key: the id a map is keyed by (SecretId, token id, fingerprint). */
const lastSegment = (storeKey: string) => storeKey.slice(storeKey.lastIndexOf("/") + 1);

/** What a change decided: the ops to write (none: nothing to do) and what the caller gets. */
type Decision<T> = { ops: BatchOp[]; result: T };

/** The spaces stores older than accounts had, and the field that names a legacy record's account after the move. */
const LEGACY_SPACES: readonly { prefix: string; accountField: "account" | "uin" }[] = [
  { prefix: keyspace.principalsPrefix, accountField: "account" },
  { prefix: keyspace.policiesPrefix, accountField: "account" },
  { prefix: keyspace.accessKeysPrefix, accountField: "uin" },
  { prefix: keyspace.tokensPrefix, accountField: "account" },
];

/** The in-memory state and the one write path shared by every account's view. */
class DirectoryState {
  readonly accounts = new Map<string, AccountRecord>();
  readonly accountByName = new Map<string, string>();
  readonly principals = new Map<string, PrincipalRecord>();
  /** "<account>/<name>" → uin */
  readonly principalByName = new Map<string, string>();
  readonly accessKeys = new Map<string, AccessKeyEntry>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly tokenByHash = new Map<string, string>();
  /** "<account>/<name>" → policy */
  readonly policies = new Map<string, PolicyEntry>();
  readonly certificates = new Map<string, CertificateRecord>();
  /** "<account>/<name>" → when a principal of that name was last deleted */
  readonly principalDeletions = new Map<string, number>();
  /** Compiled policies per principal uin; cleared on any change. */
  readonly grants = new Map<string, readonly CompiledPolicy[]>();
  /**
   * Counts the records applied (written, deleted, from load or the watch):
   * whatever remembers a credential's identity is valid only while this has
   * not moved (a token deleted, a principal deleted, an account disabled).
   */
  generation = 0;
  private tail: Promise<unknown> = Promise.resolve();
  /** Store keys of the records refused at load, and since, from the watch. */
  refused: readonly string[] = [];
  warn: (msg: string) => void = (m) => process.stderr.write(`${m}\n`);
  /** The sequence record as last applied here (undefined: never written), and its number. */
  private seqBytes: Uint8Array | undefined;
  private seq = 0;
  /** Changes waiting for the watch to bring the sequence up to a number. */
  private readonly seqWaiters: { seq: number; resolve: () => void }[] = [];
  /** Set by follow(): the store's watch applies every change (this replica's too). */
  private watched: { settle: (revision: Revision) => Promise<void> } | undefined;

  constructor(
    readonly store: KvStore,
    readonly rootKey: RootKey,
    /** The default account: the operator's, and where a store older than accounts is moved. */
    readonly defaultAccount: bigint,
  ) {}

  /** The op storing a record with its MAC. */
  put(storeKey: string, record: object): BatchOp {
    return { type: "put", key: storeKey, value: encodeDirectoryRecord(this.rootKey, storeKey, record) };
  }

  putPrincipal(p: PrincipalRecord): void {
    this.principals.set(p.uin, p);
    this.principalByName.set(scoped(p.account, p.name), p.uin);
    this.grants.clear();
  }

  putAccount(a: AccountRecord): void {
    const before = this.accounts.get(a.uin);
    if (before && before.name !== a.name) this.accountByName.delete(before.name);
    this.accounts.set(a.uin, a);
    this.accountByName.set(a.name, a.uin);
  }

  putToken(t: TokenRecord): void {
    this.tokens.set(t.tokenId, t);
    this.tokenByHash.set(t.hash, t.tokenId);
  }

  /** Uins look like Tencent's: 12 digits starting 100, unused by any principal or account. */
  newUin(): string {
    for (;;) {
      const uin = `100${String(randomInt(0, 1_000_000_000)).padStart(9, "0")}`;
      if (!this.uinTaken(uin)) return uin;
    }
  }

  uinTaken(uin: string): boolean {
    return this.principals.has(uin) || this.accounts.has(uin);
  }

  /**
   * An enabled account's principal, as an identity proved by `credential`. An
   * account whose record is missing (deleted behind the service's back, or
   * refused at load) is treated as disabled: deleting a record must not undo
   * a DisableAccount.
   */
  identity(p: PrincipalRecord | undefined, credential: string): Identity | undefined {
    if (!p || this.accounts.get(p.account)?.status !== "Enabled") return undefined;
    const account = BigInt(p.account);
    return { uin: BigInt(p.uin), account, name: p.name, root: p.root, operator: p.root && account === this.defaultAccount, credential };
  }

  // ---- keeping memory equal to the store ----

  /** Reads every record of every space (refusing and logging those that do not verify), the sequence first. */
  async load(): Promise<void> {
    // The sequence before the records: if a change lands between the two reads, the records are the newer,
    // and a change decided here is guarded by the older sequence, so it is refused and re-run, never lost.
    this.setSeq(await this.store.get(DIRECTORY_SEQ_KEY));
    this.refused = [];
    for (const prefix of SPACE_PREFIXES) for await (const [k, v] of this.store.scan({ prefix })) this.applyRecord(k, v);
  }

  follow(settle: (revision: Revision) => Promise<void>): void {
    this.watched = { settle };
  }

  /** One commit from the store's watch, in commit order; idempotent (a replay changes nothing). */
  applyCommit(changes: readonly BatchOp[]): void {
    for (const op of changes) {
      if (op.key === DIRECTORY_SEQ_KEY) this.setSeq(op.type === "put" ? op.value : undefined);
      else this.applyRecord(op.key, op.type === "put" ? op.value : undefined);
    }
  }

  /** The watch lost history: everything is read again, and what is no longer stored forgotten. */
  async rebuild(): Promise<void> {
    const before = this.storeKeys();
    const present = new Set<string>();
    this.setSeq(await this.store.get(DIRECTORY_SEQ_KEY));
    for (const prefix of SPACE_PREFIXES)
      for await (const [k, v] of this.store.scan({ prefix })) {
        present.add(k);
        this.applyRecord(k, v);
      }
    for (const k of before) if (!present.has(k)) this.applyRecord(k, undefined);
  }

  /** The store key of every record held in memory. */
  private storeKeys(): string[] {
    return [
      ...[...this.accounts.keys()].map((uin) => keyspace.account(uin)),
      ...[...this.principals.values()].map((p) => keyspace.principal(p.account, p.uin)),
      ...[...this.policies.values()].map((e) => keyspace.policy(e.record.account, e.record.name)),
      ...[...this.accessKeys.values()].map((e) => keyspace.accessKey(e.record.uin, e.record.secretId)),
      ...[...this.tokens.values()].map((t) => keyspace.token(t.account, t.tokenId)),
      ...[...this.certificates.values()].map((c) => keyspace.certificate(c.account, c.fingerprint)),
      ...[...this.principalDeletions.keys()].map((k) => `${keyspace.principalDeletionsPrefix}${k}`),
    ];
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
   * undefined). A record whose MAC does not verify, or that sits at another
   * place than it names, is refused: logged, listed in `refused`, and treated
   * as absent.
   */
  applyRecord(storeKey: string, bytes: Uint8Array | undefined): void {
    const prefix = SPACE_PREFIXES.find((p) => storeKey.startsWith(p));
    if (prefix === undefined) return;
    this.generation++;
    this.removeRecord(prefix, storeKey);
    if (bytes === undefined) {
      if (this.refused.includes(storeKey)) this.refused = this.refused.filter((k) => k !== storeKey);
      return;
    }
    try {
      const record = <T>(place: PlaceOf<T>): T => assertPlace(storeKey, prefix, verifiedRecord<T>(this.rootKey, storeKey, bytes), place);
      switch (prefix) {
        case SPACES.accounts.prefix:
          this.putAccount(record(SPACES.accounts.place));
          break;
        case SPACES.principals.prefix:
          this.putPrincipal(record(SPACES.principals.place));
          break;
        case SPACES.policies.prefix: {
          const r = record(SPACES.policies.place);
          this.policies.set(scoped(r.account, r.name), { record: r, compiled: tryParsePolicy(r.document) });
          break;
        }
        case SPACES.accessKeys.prefix: {
          const r = record(SPACES.accessKeys.place);
          let secret: Uint8Array;
          try {
            secret = this.rootKey.unseal(Buffer.from(r.sealedSecretKey, "base64"), secretLabel(r.secretId));
          } catch {
            throw new RefusedRecord(`${storeKey}: its secret key does not unseal`);
          }
          this.accessKeys.set(r.secretId, { record: r, secretKey: Buffer.from(secret).toString("utf8") });
          break;
        }
        case SPACES.tokens.prefix:
          this.putToken(record(SPACES.tokens.place));
          break;
        case SPACES.certificates.prefix: {
          const r = record(SPACES.certificates.place);
          this.certificates.set(r.fingerprint, r);
          break;
        }
        case SPACES.principalDeletions.prefix: {
          const r = record(SPACES.principalDeletions.place);
          this.principalDeletions.set(scoped(r.account, r.name), r.deletedAt);
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

  /** Forgets the record stored under `storeKey`, with what indexes it. */
  private removeRecord(prefix: string, storeKey: string): void {
    const id = storeKey.slice(prefix.length);
    switch (prefix) {
      case SPACES.accounts.prefix: {
        const a = this.accounts.get(id);
        if (!a) return;
        this.accounts.delete(id);
        if (this.accountByName.get(a.name) === id) this.accountByName.delete(a.name);
        break;
      }
      case SPACES.principals.prefix: {
        const uin = lastSegment(storeKey);
        const p = this.principals.get(uin);
        // Only the record stored at this key: a refused copy elsewhere must not evict the real one.
        if (!p || keyspace.principal(p.account, p.uin) !== storeKey) return;
        this.principals.delete(uin);
        if (this.principalByName.get(scoped(p.account, p.name)) === uin) this.principalByName.delete(scoped(p.account, p.name));
        break;
      }
      case SPACES.policies.prefix:
        this.policies.delete(id);
        break;
      case SPACES.accessKeys.prefix: {
        const e = this.accessKeys.get(lastSegment(storeKey));
        if (e && keyspace.accessKey(e.record.uin, e.record.secretId) === storeKey) this.accessKeys.delete(e.record.secretId);
        break;
      }
      case SPACES.tokens.prefix: {
        const t = this.tokens.get(lastSegment(storeKey));
        if (!t || keyspace.token(t.account, t.tokenId) !== storeKey) return;
        this.tokens.delete(t.tokenId);
        if (this.tokenByHash.get(t.hash) === t.tokenId) this.tokenByHash.delete(t.hash);
        break;
      }
      case SPACES.certificates.prefix: {
        const c = this.certificates.get(lastSegment(storeKey));
        if (c && keyspace.certificate(c.account, c.fingerprint) === storeKey) this.certificates.delete(c.fingerprint);
        break;
      }
      case SPACES.principalDeletions.prefix:
        this.principalDeletions.delete(id);
        break;
    }
    this.grants.clear();
  }

  /**
   * One change: decided on the directory as this replica holds it (brought
   * up to the store's latest change first when watched), written as one
   * batch (through the calling action's journal, its audit event alongside,
   * or straight to the store at bootstrap) with the sequence bumped and
   * guarded. If another replica changed the directory in between, the store
   * refuses the batch and the change is decided again on the caught-up
   * directory. Memory changes only from what was written (applyRecord).
   */
  change<T>(journal: Journal | undefined, decide: () => Decision<T> | Promise<Decision<T>>): Promise<T> {
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

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * One account's directory: its principals, policies, credentials and
 * certificates, and nothing of any other account. Every admin action works
 * through the view of the calling account (Directory.in(call.uin)); an id of
 * another account answers exactly like one that does not exist.
 */
export class AccountDirectory {
  protected readonly key: string;

  constructor(
    protected readonly state: DirectoryState,
    readonly account: bigint,
  ) {
    this.key = account.toString();
  }

  // ---- reads ----

  principal(uin: bigint): PrincipalRecord | undefined {
    const p = this.state.principals.get(uin.toString());
    return p?.account === this.key ? p : undefined;
  }

  listPrincipals(): PrincipalRecord[] {
    return [...this.state.principals.values()]
      .filter((p) => p.account === this.key)
      .sort((a, b) => Number(b.root) - Number(a.root) || a.createTime - b.createTime || (a.name < b.name ? -1 : 1));
  }

  listAccessKeys(principalUin?: bigint): AccessKeyRecord[] {
    const want = principalUin?.toString();
    return [...this.state.accessKeys.values()]
      .map((e) => e.record)
      .filter((r) => r.uin === this.key && (want === undefined || (r.principalUin ?? r.uin) === want))
      .sort((a, b) => a.createTime - b.createTime || (a.secretId < b.secretId ? -1 : 1));
  }

  getAccessKey(secretId: string): AccessKeyRecord | undefined {
    const r = this.state.accessKeys.get(secretId)?.record;
    return r?.uin === this.key ? r : undefined;
  }

  listTokens(principalUin?: bigint): TokenRecord[] {
    const want = principalUin?.toString();
    return [...this.state.tokens.values()]
      .filter((t) => t.account === this.key && (want === undefined || t.principalUin === want))
      .sort((a, b) => a.createTime - b.createTime || (a.tokenId < b.tokenId ? -1 : 1));
  }

  getToken(tokenId: string): TokenRecord | undefined {
    const t = this.state.tokens.get(tokenId);
    return t?.account === this.key ? t : undefined;
  }

  listCertificates(principalUin?: bigint): CertificateRecord[] {
    const want = principalUin?.toString();
    return [...this.state.certificates.values()]
      .filter((c) => c.account === this.key && (want === undefined || c.principalUin === want))
      .sort((a, b) => a.createTime - b.createTime || (a.fingerprint < b.fingerprint ? -1 : 1));
  }

  getCertificate(fingerprint: string): CertificateRecord | undefined {
    const c = this.state.certificates.get(fingerprint);
    return c?.account === this.key ? c : undefined;
  }

  listPolicies(): { record: PolicyRecord; attachments: number }[] {
    const counts = new Map<string, number>();
    for (const p of this.state.principals.values()) if (p.account === this.key) for (const n of p.policies) counts.set(n, (counts.get(n) ?? 0) + 1);
    return [...this.state.policies.values()]
      .filter((e) => e.record.account === this.key)
      .map((e) => ({ record: e.record, attachments: counts.get(e.record.name) ?? 0 }))
      .sort((a, b) => (a.record.name < b.record.name ? -1 : 1));
  }

  policy(name: string): { record: PolicyRecord; attachments: number } | undefined {
    return this.listPolicies().find((p) => p.record.name === name);
  }

  // ---- changes: one at a time, one batch each ----

  createPrincipal(name: string, description: string, nowMs: number, journal?: Journal): Promise<PrincipalRecord> {
    return this.state.change(journal, () => {
      if (!PRINCIPAL_NAME_RE.test(name)) throw new KmsError("InvalidParameterValue", "Name must be 1 to 64 of A-Z a-z 0-9 and _+=,.@-");
      this.requireAccount();
      if (this.state.principalByName.has(scoped(this.key, name))) throw new KmsError("ResourceInUse", `a principal named ${name} already exists`);
      const record: PrincipalRecord = { uin: this.state.newUin(), account: this.key, name, description, createTime: nowMs, root: false, policies: [] };
      // The name was another principal's: its certificates (CN = name) must never authenticate this one.
      const reused = this.state.principalDeletions.get(scoped(this.key, name));
      if (reused !== undefined) record.certificatesAfter = reused;
      return { ops: [this.state.put(keyspace.principal(this.key, record.uin), record)], result: record };
    });
  }

  /**
   * Deletes a sub-user with its access keys, tokens and certificates in one
   * batch, and records when its name was deleted (a certificate whose CN
   * names a later principal of that name must be issued after this).
   */
  deletePrincipal(uin: bigint, nowMs: number, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      const p = this.requirePrincipal(uin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root cannot be deleted");
      const keys = this.listAccessKeys(uin);
      const tokens = this.listTokens(uin);
      const certificates = this.listCertificates(uin);
      const deletion: PrincipalDeletionRecord = { account: this.key, name: p.name, deletedAt: nowMs };
      const ops: BatchOp[] = [
        { type: "del", key: keyspace.principal(this.key, p.uin) },
        ...keys.map((k): BatchOp => ({ type: "del", key: keyspace.accessKey(this.key, k.secretId) })),
        ...tokens.map((t): BatchOp => ({ type: "del", key: keyspace.token(this.key, t.tokenId) })),
        ...certificates.map((c): BatchOp => ({ type: "del", key: keyspace.certificate(this.key, c.fingerprint) })),
        this.state.put(keyspace.principalDeletion(this.key, p.name), deletion),
      ];
      return { ops, result: undefined };
    });
  }

  /** Creates an access key; with `supplied` (operator-given root pair) stores that pair. */
  createAccessKey(principalUin: bigint, description: string, nowMs: number, supplied?: { secretId: string; secretKey: string }, journal?: Journal): Promise<{ record: AccessKeyRecord; secretKey: string }> {
    return this.state.change(journal, () => {
      const p = this.requirePrincipal(principalUin);
      const { record, secretKey, op } = this.newAccessKey(p, description, nowMs, supplied);
      return { ops: [op], result: { record, secretKey } };
    });
  }

  /** The record and op of a new access key (not yet stored). */
  protected newAccessKey(p: PrincipalRecord, description: string, nowMs: number, supplied?: { secretId: string; secretKey: string }): { record: AccessKeyRecord; secretKey: string; op: BatchOp } {
    const secretId = supplied?.secretId ?? `AKID${randomAlphanumeric(32)}`;
    if (this.state.accessKeys.has(secretId)) throw new KmsError("ResourceInUse", `access key ${secretId} is already registered`);
    const secretKey = supplied?.secretKey ?? randomAlphanumeric(32);
    const record: AccessKeyRecord = {
      secretId,
      sealedSecretKey: Buffer.from(this.state.rootKey.seal(Buffer.from(secretKey, "utf8"), secretLabel(secretId))).toString("base64"),
      status: "Enabled",
      createTime: nowMs,
      description,
      uin: p.account,
      principalUin: p.uin,
    };
    return { record, secretKey, op: this.state.put(keyspace.accessKey(p.account, secretId), record) };
  }

  setAccessKeyStatus(secretId: string, status: AccessKeyStatus, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      const e = this.requireAccessKey(secretId);
      if (e.record.status === status) return { ops: [], result: undefined };
      return { ops: [this.state.put(keyspace.accessKey(this.key, secretId), { ...e.record, status })], result: undefined };
    });
  }

  deleteAccessKey(secretId: string, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      this.requireAccessKey(secretId);
      return { ops: [{ type: "del", key: keyspace.accessKey(this.key, secretId) }], result: undefined };
    });
  }

  /** Creates a bearer token "<tokenId>.<secret>" (or stores an operator-supplied one); only its hash is kept. */
  createToken(principalUin: bigint, description: string, nowMs: number, supplied?: string, journal?: Journal): Promise<{ record: TokenRecord; token: string }> {
    return this.state.change(journal, () => {
      const p = this.requirePrincipal(principalUin);
      const { record, token, op } = this.newToken(p, description, nowMs, supplied);
      return { ops: [op], result: { record, token } };
    });
  }

  protected newToken(p: PrincipalRecord, description: string, nowMs: number, supplied?: string): { record: TokenRecord; token: string; op: BatchOp } {
    const tokenId = `kmst${randomAlphanumeric(16)}`;
    const token = supplied ?? `${tokenId}.${randomAlphanumeric(40)}`;
    const record: TokenRecord = { tokenId, account: p.account, principalUin: p.uin, hash: sha256Hex(token), description, createTime: nowMs };
    if (this.state.tokenByHash.has(record.hash)) throw new KmsError("ResourceInUse", "this token is already registered");
    return { record, token, op: this.state.put(keyspace.token(p.account, tokenId), record) };
  }

  deleteToken(tokenId: string, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      if (!TOKEN_ID_RE.test(tokenId)) throw new KmsError("InvalidParameterValue", "TokenId must be kmst followed by 16 letters and digits");
      if (!this.getToken(tokenId)) throw new KmsError("ResourceNotFound", `token ${tokenId} does not exist`);
      return { ops: [{ type: "del", key: keyspace.token(this.key, tokenId) }], result: undefined };
    });
  }

  /** Binds a certificate (by fingerprint) to a sub-user. */
  registerCertificate(principalUin: bigint, cert: CertificateInfo, description: string, nowMs: number, journal?: Journal): Promise<CertificateRecord> {
    return this.state.change(journal, () => {
      const p = this.requirePrincipal(principalUin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root authenticates with tokens and access keys only, never with a certificate");
      if (this.state.certificates.has(cert.fingerprint)) throw new KmsError("ResourceInUse", `certificate ${cert.fingerprint} is already registered`);
      const record: CertificateRecord = { fingerprint: cert.fingerprint, account: this.key, principalUin: p.uin, subject: cert.subject, notBefore: cert.notBefore, notAfter: cert.notAfter, description, createTime: nowMs };
      // From its first registration on, the principal authenticates by registered certificates only (deleting them all does not bring its CN back).
      const pinned: PrincipalRecord | undefined = p.certificatesOnly ? undefined : { ...p, certificatesOnly: true };
      return { ops: [this.state.put(keyspace.certificate(this.key, cert.fingerprint), record), ...(pinned ? [this.state.put(keyspace.principal(this.key, p.uin), pinned)] : [])], result: record };
    });
  }

  deleteCertificate(fingerprint: string, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      assertFingerprint(fingerprint);
      if (!this.getCertificate(fingerprint)) throw new KmsError("ResourceNotFound", `certificate ${fingerprint} is not registered`);
      return { ops: [{ type: "del", key: keyspace.certificate(this.key, fingerprint) }], result: undefined };
    });
  }

  createPolicy(name: string, description: string, document: string, nowMs: number, journal?: Journal): Promise<PolicyRecord> {
    return this.state.change(journal, () => {
      assertPolicyName(name);
      this.requireAccount();
      if (this.state.policies.has(scoped(this.key, name))) throw new KmsError("ResourceInUse", `a policy named ${name} already exists`);
      parsePolicy(document);
      const record: PolicyRecord = { account: this.key, name, description, document, createTime: nowMs, updateTime: nowMs };
      return { ops: [this.state.put(keyspace.policy(this.key, name), record)], result: record };
    });
  }

  updatePolicy(name: string, document: string, nowMs: number, journal?: Journal): Promise<PolicyRecord> {
    return this.state.change(journal, () => {
      const e = this.requirePolicy(name);
      parsePolicy(document);
      const record: PolicyRecord = { ...e.record, document, updateTime: nowMs };
      return { ops: [this.state.put(keyspace.policy(this.key, name), record)], result: record };
    });
  }

  deletePolicy(name: string, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      this.requirePolicy(name);
      const users = this.listPrincipals().filter((p) => p.policies.includes(name)).map((p) => p.name);
      if (users.length > 0) throw new KmsError("ResourceInUse", `policy ${name} is attached to ${users.slice(0, 5).join(", ")}${users.length > 5 ? ", ..." : ""}; detach it first`);
      return { ops: [{ type: "del", key: keyspace.policy(this.key, name) }], result: undefined };
    });
  }

  attachPolicy(uin: bigint, name: string, journal?: Journal): Promise<void> {
    return this.changePolicies(uin, name, (list) => (list.includes(name) ? [...list] : [...list, name]), journal, true);
  }

  detachPolicy(uin: bigint, name: string, journal?: Journal): Promise<void> {
    return this.changePolicies(
      uin,
      name,
      (list) => {
        if (!list.includes(name)) throw new KmsError("ResourceNotFound", `policy ${name} is not attached to principal ${uin}`);
        return list.filter((n) => n !== name);
      },
      journal,
      false,
    );
  }

  /** Attaching needs the policy; detaching does not (a refused or lost policy can still be detached). */
  private changePolicies(uin: bigint, name: string, change: (list: string[]) => string[], journal: Journal | undefined, mustExist: boolean): Promise<void> {
    return this.state.change(journal, () => {
      const p = this.requirePrincipal(uin);
      if (p.root) throw new KmsError("UnsupportedOperation", "the account root is not restricted by policies");
      if (mustExist) this.requirePolicy(name);
      else assertPolicyName(name);
      const policies = change(p.policies);
      if (policies.length === p.policies.length && policies.every((n, i) => n === p.policies[i])) return { ops: [], result: undefined };
      return { ops: [this.state.put(keyspace.principal(this.key, p.uin), { ...p, policies })], result: undefined };
    });
  }

  protected requireAccount(): AccountRecord {
    const a = this.state.accounts.get(this.key);
    if (!a) throw new KmsError("ResourceNotFound", `account ${this.key} does not exist`);
    return a;
  }

  protected requirePrincipal(uin: bigint): PrincipalRecord {
    const p = this.principal(uin);
    if (!p) throw new KmsError("ResourceNotFound", `principal ${uin} does not exist`);
    return p;
  }

  private requireAccessKey(secretId: string): AccessKeyEntry {
    if (!SECRET_ID_RE.test(secretId)) throw new KmsError("InvalidParameterValue", "SecretId must be AKID followed by 32 letters and digits");
    const e = this.state.accessKeys.get(secretId);
    if (!e || e.record.uin !== this.key) throw new KmsError("ResourceNotFound", `access key ${secretId} does not exist`);
    return e;
  }

  private requirePolicy(name: string): PolicyEntry {
    assertPolicyName(name);
    const e = this.state.policies.get(scoped(this.key, name));
    if (!e) throw new KmsError("ResourceNotFound", `policy ${name} does not exist`);
    return e;
  }
}

/** A new account and its root's first credentials (shown once). */
export interface CreatedAccount {
  account: AccountRecord;
  token: string;
  secretId: string;
  secretKey: string;
}

/**
 * The whole directory: the default account's view (so code written before
 * accounts keeps working unchanged), every account's view through `in()`,
 * the credential lookups of the request path, and the accounts themselves.
 */
export class Directory extends AccountDirectory {
  /** For the replica's store watch (src/replica/sync.ts Follower): what it keeps. */
  readonly name = "directory";
  readonly prefixes: readonly string[] = [...SPACE_PREFIXES, DIRECTORY_SEQ_KEY];

  constructor(store: KvStore, rootKey: RootKey, readonly accountUin: bigint) {
    super(new DirectoryState(store, rootKey, accountUin), accountUin);
  }

  /** One account's directory. */
  in(account: bigint): AccountDirectory {
    return account === this.accountUin ? this : new AccountDirectory(this.state, account);
  }

  /**
   * Loads every record whose MAC verifies (refusing and logging the others),
   * unseals access-key secrets, and creates the default account and its root
   * principal on first start. On the first start of a store older than
   * authenticated records (`legacy.pending`), first MACs every record in one
   * batch; on the first start of a store older than accounts, moves its
   * records into the default account in one batch.
   */
  async open(nowMs: number, options: DirectoryOpenOptions = {}): Promise<void> {
    if (options.warn) this.state.warn = options.warn;
    if (options.legacy?.pending) {
      await this.adoptLegacy();
      await options.legacy.done();
    }
    await this.moveIntoDefaultAccount();
    await this.state.load();
    await this.ensureDefaultAccount(nowMs);
  }

  /** Store keys of the records refused at load (not loaded), and since, from the watch. */
  get refused(): readonly string[] {
    return this.state.refused;
  }

  /**
   * Follows the store's watch from now on: applyCommit is fed every commit
   * under the directory's spaces, and a change returns once `settle` says
   * this replica has applied it.
   */
  follow(settle: (revision: Revision) => Promise<void>): void {
    this.state.follow(settle);
  }

  /** One commit from the store's watch, in commit order; idempotent (a replay changes nothing). */
  applyCommit(changes: readonly BatchOp[]): void {
    this.state.applyCommit(changes);
  }

  /** The watch lost history: everything is read again. */
  rebuild(): Promise<void> {
    return this.state.rebuild();
  }

  /** The default account and its root, created on first start (or re-created when refused at load). */
  private ensureDefaultAccount(nowMs: number): Promise<void> {
    return this.state.change(undefined, () => this.defaultAccountOps(nowMs));
  }

  /** What the default account and its root need written (nothing when both are as they must be). */
  private defaultAccountOps(nowMs: number): Decision<undefined> {
    const uin = this.key;
    const ops: BatchOp[] = [];
    let account = this.state.accounts.get(uin);
    if (!account) {
      const name = this.state.accountByName.has("default") ? `default-${uin}` : "default";
      account = { uin, name, description: "the operator's account (KMS_ACCOUNT_UIN)", createTime: nowMs, status: "Enabled" };
      ops.push(this.state.put(keyspace.account(uin), account));
    } else if (account.status !== "Enabled" || account.organization !== undefined) {
      // The operator's account is always enabled and nobody's member; a store saying otherwise was not written by this service.
      account = { ...account, status: "Enabled" };
      delete account.organization;
      ops.push(this.state.put(keyspace.account(uin), account));
    }
    const existing = this.state.principals.get(uin);
    if (!existing?.root || existing.account !== uin) {
      // No root record (first start), or a refused one: the root is re-created as it always is.
      const root: PrincipalRecord = { uin, account: uin, name: ROOT_NAME, description: "the account root", createTime: existing?.createTime ?? nowMs, root: true, policies: [] };
      ops.push(this.state.put(keyspace.principal(uin, uin), root));
    }
    return { ops, result: undefined };
  }

  /** MACs every record written before records were authenticated, in one batch. */
  private async adoptLegacy(): Promise<void> {
    const ops: BatchOp[] = [];
    for (const { prefix } of LEGACY_SPACES) {
      for await (const [k, v] of this.state.store.scan({ prefix })) {
        const { json, mac } = splitRecord(k, v);
        if (mac) continue;
        // Only a record that parses is adopted; anything else stays as it is and is refused at load.
        try {
          parseRecord<object>(k, json);
        } catch {
          continue;
        }
        ops.push({ type: "put", key: k, value: macRecord(this.state.rootKey, k, json) });
      }
    }
    if (ops.length > 0) await this.state.store.batch(ops);
  }

  /**
   * Moves the records of a store older than accounts (v1/<space>/<id>) into
   * the default account (v1/<space>/<account>/<id>), in one batch: each one
   * whose MAC verifies under its old store key is written under its new one
   * with the account named and a MAC for that key, and the old key deleted.
   * A record that does not verify is left where it is (refused at load).
   */
  private async moveIntoDefaultAccount(): Promise<void> {
    const { store, rootKey } = this.state;
    const account = this.key;
    const ops: BatchOp[] = [];
    for (const { prefix, accountField } of LEGACY_SPACES) {
      for await (const [k, v] of store.scan({ prefix })) {
        const id = k.slice(prefix.length);
        if (id.includes("/")) continue;
        let record: Record<string, unknown>;
        try {
          record = verifiedRecord<Record<string, unknown>>(rootKey, k, v);
        } catch (err) {
          if (err instanceof RefusedRecord) continue;
          throw err;
        }
        ops.push(this.state.put(`${prefix}${account}/${id}`, { ...record, [accountField]: account }), { type: "del", key: k });
      }
    }
    if (ops.length > 0) await store.batch(ops);
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
      serialize: (_records, write) => this.state.exclusive(write),
      stored: (storeKey, value) => {
        if (prefix !== keyspace.accessKeysPrefix) return;
        const e = this.state.accessKeys.get(storeKey.slice(storeKey.lastIndexOf("/") + 1));
        if (e) e.record = verifiedRecord<AccessKeyRecord>(this.state.rootKey, storeKey, value);
      },
    });
    return [
      kind("directory-principals", keyspace.principalsPrefix),
      kind("directory-policies", keyspace.policiesPrefix),
      kind("directory-access-keys", keyspace.accessKeysPrefix),
      kind("directory-tokens", keyspace.tokensPrefix),
      kind("directory-certificates", keyspace.certificatesPrefix),
      kind("directory-principal-deletions", keyspace.principalDeletionsPrefix),
      kind("directory-accounts", keyspace.accountsPrefix),
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

  /** The secret and identity of an enabled access key of an enabled account. */
  accessKey(secretId: string): { secretKey: string; identity: Identity } | undefined {
    const e = this.state.accessKeys.get(secretId);
    if (!e || e.record.status !== "Enabled") return undefined;
    const identity = this.state.identity(this.state.principals.get(e.record.principalUin ?? e.record.uin), secretId);
    return identity && { secretKey: e.secretKey, identity };
  }

  /** Moves with every change of the directory (DirectoryState.generation): an identity remembered at one value is current while it holds. */
  get generation(): number {
    return this.state.generation;
  }

  /** The identity a bearer token proves, if it is one of ours. */
  identityOfToken(token: string): Identity | undefined {
    const digest = sha256(token);
    const tokenId = this.state.tokenByHash.get(digest.toString("hex"));
    const record = tokenId === undefined ? undefined : this.state.tokens.get(tokenId);
    // The map lookup is by hash; compare again in constant time so equality is never decided by a short-circuit.
    if (!record || !timingSafeEqual(Buffer.from(record.hash, "hex"), digest)) return undefined;
    return this.state.identity(this.state.principals.get(record.principalUin), record.tokenId);
  }

  /**
   * The sub-user a verified client certificate proves. Never a root: a
   * certificate any holder of the CA can mint must not carry unrestricted power.
   *
   * - A registered certificate (by fingerprint) is its principal's, in any account.
   * - Otherwise its CN names a sub-user of the default account, unless that
   *   sub-user ever had a certificate registered (then only those), and unless the
   *   certificate was issued before a principal of that name was last deleted
   *   (it was then another principal's).
   */
  identityOfCertificate(cert: PresentedCertificate, credential: string): Identity | undefined {
    const registered = this.state.certificates.get(cert.fingerprint);
    if (registered) {
      const p = this.state.principals.get(registered.principalUin);
      return p && !p.root && p.account === registered.account ? this.state.identity(p, credential) : undefined;
    }
    const uin = this.state.principalByName.get(scoped(this.key, cert.cn));
    const p = uin === undefined ? undefined : this.state.principals.get(uin);
    if (!p || p.root || p.certificatesOnly) return undefined;
    const after = p.certificatesAfter ?? this.state.principalDeletions.get(scoped(this.key, cert.cn));
    if (after !== undefined && !(cert.notBefore >= after)) return undefined;
    return this.state.identity(p, credential);
  }

  /** The compiled policies attached to a principal (empty for unknown ones). */
  policiesOf(uin: bigint): readonly CompiledPolicy[] {
    const key = uin.toString();
    let cached = this.state.grants.get(key);
    if (!cached) {
      const p = this.state.principals.get(key);
      const names = p?.policies ?? [];
      const entries = names.map((n) => (p ? this.state.policies.get(scoped(p.account, n)) : undefined));
      // A policy refused at load or deleted behind our back might have been a deny: grant nothing then.
      cached = entries.some((e) => e === undefined) ? [] : entries.flatMap((e) => (e?.compiled ? [e.compiled] : []));
      this.state.grants.set(key, cached);
    }
    return cached;
  }

  hasTokenHash(token: string): boolean {
    return this.state.tokenByHash.has(sha256Hex(token));
  }

  // ---- accounts (the operator's) ----

  getAccount(uin: bigint): AccountRecord | undefined {
    return this.state.accounts.get(uin.toString());
  }

  /** An account's name and app id (for KeyMetadata), undefined for none. */
  accountLabel(account: string): { name: string; appId: bigint } | undefined {
    const a = this.state.accounts.get(account);
    return a && { name: a.name, appId: BigInt(a.appId ?? 0) };
  }

  /** Every account: the default first, then oldest first. */
  listAccounts(): AccountRecord[] {
    return [...this.state.accounts.values()].sort((a, b) => Number(b.uin === this.key) - Number(a.uin === this.key) || a.createTime - b.createTime || (a.uin < b.uin ? -1 : 1));
  }

  /**
   * The account a call naming `member` (MemberAccount) acts in: the caller's
   * own, or an enabled member of the caller's organisation whose app id
   * matches (0 matches any). Anything else, existing or not, answers the
   * same UnauthorizedOperation.
   */
  memberScope(caller: bigint, member: bigint, appId: bigint): bigint {
    if (member === caller) return caller;
    const m = this.state.accounts.get(member.toString());
    const ok = m !== undefined && m.status === "Enabled" && m.organization === caller.toString() && (appId === 0n || m.appId === appId.toString());
    if (!ok) throw new KmsError("UnauthorizedOperation", `not allowed to act on member account ${member}: it is not a member of the caller's organisation`);
    return member;
  }

  /** Creates an account, its root, a root token and a root access key, in one batch. */
  createAccount(spec: { name: string; description: string; uin: bigint; appId: bigint }, nowMs: number, journal?: Journal): Promise<CreatedAccount> {
    return this.state.change(journal, () => {
      if (!ACCOUNT_NAME_RE.test(spec.name)) throw new KmsError("InvalidParameterValue", "Name must be 1 to 64 of A-Z a-z 0-9 and _+=,.@-");
      if (this.state.accountByName.has(spec.name)) throw new KmsError("ResourceInUse", `an account named ${spec.name} already exists`);
      if (spec.uin !== 0n && (spec.uin < ACCOUNT_UIN_MIN || spec.uin > ACCOUNT_UIN_MAX)) throw new KmsError("InvalidParameterValue", "Uin must be 0 (generated) or 5 to 20 digits");
      const uin = spec.uin === 0n ? this.state.newUin() : spec.uin.toString();
      if (this.state.uinTaken(uin)) throw new KmsError("ResourceInUse", `uin ${uin} is already in use`);
      const account: AccountRecord = { uin, name: spec.name, description: spec.description, createTime: nowMs, status: "Enabled", ...(spec.appId !== 0n ? { appId: spec.appId.toString() } : {}) };
      const root: PrincipalRecord = { uin, account: uin, name: ROOT_NAME, description: "the account root", createTime: nowMs, root: true, policies: [] };
      // newToken and newAccessKey write under the principal's account, not this view's.
      const token = this.newToken(root, "root token (CreateAccount)", nowMs);
      const key = this.newAccessKey(root, "root access key (CreateAccount)", nowMs);
      return {
        ops: [this.state.put(keyspace.account(uin), account), this.state.put(keyspace.principal(uin, uin), root), token.op, key.op],
        result: { account, token: token.token, secretId: key.record.secretId, secretKey: key.secretKey },
      };
    });
  }

  setAccountStatus(uin: bigint, status: AccountStatus, journal?: Journal): Promise<void> {
    return this.state.change(journal, () => {
      const a = this.requireAccountOf(uin);
      if (a.uin === this.key && status === "Disabled") throw new KmsError("UnsupportedOperation", "the default account (the operator's) cannot be disabled");
      if (a.status === status) return { ops: [], result: undefined };
      return { ops: [this.state.put(keyspace.account(a.uin), { ...a, status })], result: undefined };
    });
  }

  /** Makes `member` a member of `organization` (0: of none). Organisations are one level deep. */
  setOrganization(member: bigint, organization: bigint, journal?: Journal): Promise<AccountRecord> {
    return this.state.change(journal, () => {
      const m = this.requireAccountOf(member);
      if (organization !== 0n) {
        const org = this.requireAccountOf(organization);
        if (m.uin === this.key) throw new KmsError("UnsupportedOperation", "the default account (the operator's) is no one's member");
        if (m.uin === org.uin) throw new KmsError("UnsupportedOperation", "an account cannot be its own organisation");
        if (org.organization !== undefined) throw new KmsError("UnsupportedOperation", `account ${org.uin} is itself a member of an organisation`);
        if ([...this.state.accounts.values()].some((a) => a.organization === m.uin)) throw new KmsError("UnsupportedOperation", `account ${m.uin} is an organisation with members`);
      }
      const record: AccountRecord = { ...m };
      if (organization === 0n) delete record.organization;
      else record.organization = organization.toString();
      if (record.organization === m.organization) return { ops: [], result: m };
      return { ops: [this.state.put(keyspace.account(m.uin), record)], result: record };
    });
  }

  private requireAccountOf(uin: bigint): AccountRecord {
    const a = this.state.accounts.get(uin.toString());
    if (!a) throw new KmsError("ResourceNotFound", `account ${uin} does not exist`);
    return a;
  }
}

function assertPolicyName(name: string): void {
  if (!POLICY_NAME_RE.test(name)) throw new KmsError("InvalidParameterValue", "PolicyName must be 1 to 128 of A-Z a-z 0-9 and _+=,.@-");
}

function assertFingerprint(fingerprint: string): void {
  if (!FINGERPRINT_RE.test(fingerprint)) throw new KmsError("InvalidParameterValue", "Fingerprint must be 64 lower-case hex digits (SHA-256 of the DER certificate)");
}
