/**
 * The MAC chain over audit events, its head record, the audit key, and the
 * verifier. Two block formats chain into one another:
 *
 *   format 1 (stores written before group MACs): one MAC per event,
 *     mac(seq) = HMAC-SHA256(auditKey, mac(seq - 1) || canonical(seq, event))
 *     stored as the event's JSON with its "mac";
 *   format 2: one MAC per group commit (block), over all of its events,
 *     mac(block) = HMAC-SHA256(auditKey, mac(previous) || "kms-audit-block\nv2\n" || body)
 *     where body is the block's event lines (canonical JSON, no "mac") joined
 *     by "\n", stored after a header line {"v":2,"mac":"<hex>"}.
 *
 * mac(0) is 32 zero bytes; "previous" is the chain value before the block
 * (the last event's MAC of a format 1 block, or a format 2 block's MAC), so a
 * store written before format 2 goes on in format 2 and verifies throughout.
 * The domain string makes a group's input differ from any event's (which
 * starts with '{"seq":'), so one cannot pass for the other. Each event's seq
 * is inside the MAC'd body: an edited, removed, moved or added event breaks
 * its block's MAC. The audit key is its own random key, sealed under the
 * root key, so whoever can read the store can read the log but cannot forge,
 * edit or reorder events without the chain breaking.
 *
 * Storage: one record per group commit, keyed by the seq of its first event.
 * One store operation and (format 2) one HMAC per batch instead of one per
 * event: the per-event costs dominated the audit's price on the call path.
 *
 * Where a chain lives is its layout: the store's one chain (LevelDB, and any
 * store written before replicas) under v1/audit/ with its head in v1/meta/;
 * with replicas, one chain per replica under v1-audit/<replica id>/ (outside
 * v1/, so replicas' store watches do not carry every audit block). A chain
 * whose oldest events were archived and pruned starts after its base record
 * (base.ts, retention.ts).
 */
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { KmsError } from "../errors.js";
import { UnsealError, type RootKey } from "../crypto/seal.js";
import { keyspace } from "../store/keyspace.js";
import type { KvStore } from "../store/store.js";
import { rawSealedKind, type SealedRecordKind } from "../crypto/sealed-records.js";
import { verifyArchive, type ArchiveCheck } from "./archive.js";
import { BadBaseError, decodeBase, type ChainBase } from "./base.js";
import type { Checkpoint, CheckpointSet } from "./checkpoint.js";
import { chainedRecord, parseStoredEvent, UnreadableRecordError, type ChainedRecord, type StoredAuditEvent } from "./event.js";

export const AUDIT_KEY_LABEL = "kms/v1/audit-key";
export const AUDIT_KEY_STORE_KEY = keyspace.meta("audit-key");
export const AUDIT_HEAD_STORE_KEY = keyspace.meta("audit-head");
export const GENESIS_MAC: Buffer = Buffer.alloc(32);
export const GENESIS_MAC_HEX = GENESIS_MAC.toString("hex");

/** Where one chain's event blocks, head and base are stored. */
export interface ChainLayout {
  /** The chain's name in reports and witnesses: LEGACY_CHAIN, or the replica id. */
  id: string;
  /** Prefix of its event blocks; a block's key is the prefix and its first seq in 16 digits. */
  eventsPrefix: string;
  headKey: string;
  /** Where its events begin once older ones were archived (base.ts). */
  baseKey: string;
}

/** The store's one chain: every store before replicas, and LevelDB's always. */
export const LEGACY_CHAIN = "@store";
export const LEGACY_LAYOUT: ChainLayout = { id: LEGACY_CHAIN, eventsPrefix: keyspace.auditPrefix, headKey: AUDIT_HEAD_STORE_KEY, baseKey: keyspace.meta("audit-base") };

/** Per-replica chains live outside v1/: replicas' store watches cover v1/ and need none of the audit blocks. */
export const REPLICA_CHAINS_SPACE = "v1-audit/";

/** The layout of one replica's chain. */
export function replicaLayout(replicaId: string): ChainLayout {
  const space = `${REPLICA_CHAINS_SPACE}${replicaId}/`;
  return { id: replicaId, eventsPrefix: `${space}events/`, headKey: `${space}head`, baseKey: `${space}base` };
}

/** The store key of the block whose first event is `seq`. */
export function blockKey(layout: ChainLayout, seq: number): string {
  return `${layout.eventsPrefix}${String(seq).padStart(16, "0")}`;
}

/** The last committed event: written in the same batch as the events. */
export interface ChainHead {
  seq: number;
  /** hex */
  mac: string;
}

export type VerifyFailureReason =
  | "unreadable"
  | "sequence-mismatch"
  | "missing"
  | "mac-mismatch"
  | "head-mismatch"
  | "truncated"
  | "checkpoint-mismatch"
  /** Archived events the verifier was given no archive for (or an archive that does not link up). */
  | "archive-missing"
  /** An archive file that is cut short, edited, or not signed by this store's key. */
  | "archive-invalid";

export interface ChainFailure {
  seq: number;
  reason: VerifyFailureReason;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Events whose MAC checked out before the first failure (all of them when ok). */
  checked: number;
  /** The head record's seq, 0 when there is none. */
  headSeq: number;
  /** The first break in the chain. seq 0 means the head (or base) record itself. */
  failure?: ChainFailure;
  /** With checkpoints: the newest one checked against, and the lines that were not valid checkpoints. */
  checkpoint?: { seq: number; time: number; checked: number; rejected: number };
  /** Events 1..seq were archived: the store's part starts after them (base.ts). */
  base?: { seq: number; archive: string; time: number };
  /** The archive segments verified (with VerifyOptions.archive), and their events (counted in `checked` too). */
  archive?: { segments: number; checked: number };
}

export interface VerifyOptions {
  /**
   * The log is live: events past the head read at the start were committed
   * during the scan, so stop there instead of flagging them.
   */
  stopAtHead?: boolean;
  /**
   * A head known to be committed (the live log's own state). A head record
   * and events rolled back together form a valid shorter chain; only an
   * anchor kept outside the store catches that.
   */
  anchor?: ChainHead;
  /**
   * Signed checkpoints kept outside the store (checkpoint.ts), and the
   * store's checkpoint public key (undefined when it has none). A chain that
   * ends before the newest checkpoint is `truncated` at that checkpoint's
   * seq; an event that differs from its checkpoint is `checkpoint-mismatch`.
   * Only the checkpoints of the chain verified count (checkpointsOf).
   */
  checkpoints?: { set: CheckpointSet; storeKey: string | undefined };
  /** Which chain (default: the store's one chain). */
  layout?: ChainLayout;
  /** Sees every event whose MAC checked out, in chain order (deployment.ts reads witnesses this way). */
  onEvent?: (event: StoredAuditEvent) => void;
  /**
   * The archive directory (archive.ts): a chain whose oldest events were
   * archived is verified from genesis through its segments into the store.
   * Without it such a chain fails `archive-missing`: the store alone proves
   * only the events after its base.
   */
  archive?: string;
}

const MAC_HEX = /^[0-9a-f]{64}$/;
const SEQ_DIGITS = /^\d{16}$/;

export function auditMacKey(auditKey: Uint8Array): KeyObject {
  // Imported once: createHmac with a KeyObject skips re-importing the key per event.
  return createSecretKey(auditKey);
}

/** Format 1: the MAC of one event. */
export function chainMac(key: KeyObject, prev: Uint8Array, canonicalJson: string): Buffer {
  return createHmac("sha256", key).update(prev).update(canonicalJson, "utf8").digest();
}

const GROUP_DOMAIN = "kms-audit-block\nv2\n";
const GROUP_HEADER_START = '{"v":';

/** Format 2: the one MAC of a group commit whose event lines, joined by "\n", are `body` (the text, or its UTF-8 bytes). */
export function groupMac(key: KeyObject, prev: Uint8Array, body: string | Uint8Array): Buffer {
  const hmac = createHmac("sha256", key).update(prev).update(GROUP_DOMAIN, "utf8");
  return (typeof body === "string" ? hmac.update(body, "utf8") : hmac.update(body)).digest();
}

const GROUP_HEADER_BYTES = '{"v":2,"mac":"'.length + 64 + '"}\n'.length;

/** What every canonical line starts with before the event's seq is known (ordered() puts seq first, 0 until numbered). */
const UNNUMBERED_PREFIX = '{"seq":0,';

/**
 * An event's canonical line without its seq: `{"seq":<n>,` followed by this is
 * canonicalJson of the record numbered n. Encoded when the event is queued,
 * so what waits for the group commit is one flat string, not the event's
 * objects (which would otherwise live long enough to be promoted).
 */
export function lineAfterSeq(record: ChainedRecord): string {
  if (record.seq !== 0) throw new Error("audit: a line is encoded before its event is numbered");
  const line = canonicalJson(record);
  if (!line.startsWith(UNNUMBERED_PREFIX)) throw new Error("audit: the canonical line does not start with its seq");
  return line.slice(UNNUMBERED_PREFIX.length);
}

/**
 * A group commit's MAC and its format 2 block record (header line, then the
 * body) together. The body is the events' canonical lines, numbered from
 * `firstSeq` and joined by "\n" (`tails` from lineAfterSeq), written straight
 * into the block behind its fixed-length header line; the MAC is taken over
 * those bytes: the same MAC as groupMac over the body as text.
 */
export function sealGroup(key: KeyObject, prev: Uint8Array, firstSeq: number, tails: readonly string[]): { mac: Buffer; block: Buffer } {
  const prefixes: string[] = [];
  let size = GROUP_HEADER_BYTES + Math.max(0, tails.length - 1);
  for (let i = 0; i < tails.length; i++) {
    const prefix = `{"seq":${firstSeq + i},`;
    prefixes.push(prefix);
    size += prefix.length + Buffer.byteLength(tails[i] as string, "utf8");
  }
  const block = Buffer.allocUnsafe(size);
  let at = GROUP_HEADER_BYTES;
  for (let i = 0; i < tails.length; i++) {
    if (i > 0) block[at++] = 0x0a;
    at += block.write(prefixes[i] as string, at, "latin1");
    at += block.write(tails[i] as string, at, "utf8");
  }
  const mac = groupMac(key, prev, block.subarray(GROUP_HEADER_BYTES));
  block.write(`{"v":2,"mac":"${mac.toString("hex")}"}\n`, 0, "latin1");
  return { mac, block };
}

export function canonicalJson(record: ChainedRecord): string {
  return JSON.stringify(record);
}

export function encodeHead(head: ChainHead): Uint8Array {
  return Buffer.from(JSON.stringify({ seq: head.seq, mac: head.mac }), "utf8");
}

/** The head record, undefined before the first event. */
export async function readHead(store: KvStore, layout: ChainLayout = LEGACY_LAYOUT): Promise<ChainHead | undefined> {
  return decodeHead(await store.get(layout.headKey));
}

/** A chain's base record, checked (undefined: nothing was archived). Throws BadBaseError. */
export async function readBase(store: KvStore, key: KeyObject, layout: ChainLayout = LEGACY_LAYOUT): Promise<ChainBase | undefined> {
  return decodeBase(key, layout.id, await store.get(layout.baseKey));
}

/** A stored head record (undefined: none). */
export function decodeHead(bytes: Uint8Array | undefined): ChainHead | undefined {
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new KmsError("InternalError", "the audit head record is unreadable", err);
  }
  const h = parsed as Partial<Record<keyof ChainHead, unknown>> | null;
  if (h === null || typeof h !== "object" || !Number.isSafeInteger(h.seq) || typeof h.mac !== "string" || !MAC_HEX.test(h.mac))
    throw new KmsError("InternalError", "the audit head record is malformed");
  return { seq: h.seq as number, mac: h.mac };
}

/** One block as stored, parsed: format 1 lines carry their own MACs, format 2 lines share the block's. */
export type BlockRecord = { format: 1; lines: string[] } | { format: 2; mac: string; body: string; lines: string[] };

const utf8 = new TextDecoder("utf-8");

/** Parses a block record (stored bytes, or the text of one); throws UnreadableRecordError for a malformed format 2 header. */
export function parseBlockRecord(bytes: Uint8Array | string): BlockRecord {
  const text = typeof bytes === "string" ? bytes : utf8.decode(bytes);
  if (!text.startsWith(GROUP_HEADER_START)) return { format: 1, lines: text.split("\n") };
  const nl = text.indexOf("\n");
  if (nl < 0) throw new UnreadableRecordError("a group block with no events");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text.slice(0, nl)) as Record<string, unknown>;
  } catch {
    throw new UnreadableRecordError("a group block header that is not JSON");
  }
  if (header === null || typeof header !== "object" || header.v !== 2 || typeof header.mac !== "string" || !MAC_HEX.test(header.mac) || Object.keys(header).length !== 2)
    throw new UnreadableRecordError("a group block header that is not {v:2, mac}");
  const body = text.slice(nl + 1);
  return { format: 2, mac: header.mac, body, lines: body.split("\n") };
}

/** One stored block: its key, its first seq (undefined: not an event key), its bytes. */
export interface StoredBlock {
  key: string;
  first: number | undefined;
  bytes: Uint8Array;
}

/** Every stored block from the one holding `fromSeq` on, in key order (archived ones still awaiting their prune included). */
export async function* storedBlocks(store: KvStore, layout: ChainLayout = LEGACY_LAYOUT, fromSeq = 1): AsyncGenerator<StoredBlock> {
  // The block holding fromSeq starts at or before it: the last key below fromSeq + 1.
  let startKey: string | undefined;
  for await (const k of store.scanKeys({ prefix: layout.eventsPrefix, after: blockKey(layout, fromSeq + 1), reverse: true, limit: 1 })) startKey = k;
  if (startKey !== undefined) {
    const bytes = await store.get(startKey);
    if (bytes) yield { key: startKey, first: seqOfKey(startKey, layout), bytes };
  }
  for await (const [key, bytes] of store.scan({ prefix: layout.eventsPrefix, ...(startKey !== undefined ? { after: startKey } : {}) })) yield { key, first: seqOfKey(key, layout), bytes };
}

/** One stored event line, the position its block gives it, and (format 2) its block's MAC. */
export interface StoredLine {
  /** Block's first seq + the line's index: where the event sits in the stored chain. */
  position: number;
  line: string;
  blockMac?: string;
}

/**
 * Every stored event line from `fromSeq` on, in chain order. An unexpected
 * key in the audit space is yielded as `badKey` so callers can report it; an
 * unreadable block as one line of its raw text (which will not parse).
 */
export async function* storedLines(store: KvStore, fromSeq = 1, layout: ChainLayout = LEGACY_LAYOUT): AsyncGenerator<StoredLine | { badKey: string; position: number }> {
  let expected = fromSeq;
  for await (const block of storedBlocks(store, layout, fromSeq)) {
    if (block.first === undefined) {
      yield { badKey: block.key, position: expected };
      continue;
    }
    let record: BlockRecord;
    try {
      record = parseBlockRecord(block.bytes);
    } catch {
      if (block.first >= fromSeq) yield { position: block.first, line: utf8.decode(block.bytes) };
      continue;
    }
    const lines = record.lines;
    const blockMac = record.format === 2 ? record.mac : undefined;
    for (let i = 0; i < lines.length; i++) if (block.first + i >= fromSeq) yield { position: block.first + i, line: lines[i] as string, ...(blockMac ? { blockMac } : {}) };
    expected = block.first + lines.length;
  }
}

/** The seq a stored line claims, undefined when it does not parse. */
function seqOfLine(line: string | undefined): number | undefined {
  if (line === undefined) return undefined;
  try {
    return (JSON.parse(line) as { seq?: unknown }).seq as number | undefined;
  } catch {
    return undefined;
  }
}

/** The seq a store key names, undefined when it is not an event key. */
export function seqOfKey(storeKey: string, layout: ChainLayout = LEGACY_LAYOUT): number | undefined {
  const digits = storeKey.slice(layout.eventsPrefix.length);
  if (!storeKey.startsWith(layout.eventsPrefix) || !SEQ_DIGITS.test(digits)) return undefined;
  const seq = Number(digits);
  return seq >= 1 && Number.isSafeInteger(seq) ? seq : undefined;
}

function unsealAuditKey(rootKey: RootKey, sealed: Uint8Array): Uint8Array {
  try {
    return rootKey.unseal(sealed, AUDIT_KEY_LABEL);
  } catch (err) {
    if (err instanceof UnsealError)
      throw new KmsError("InternalError", "the audit key does not unseal: wrong root key or corrupted storage", err);
    throw err;
  }
}

/** The sealed record kind of the audit key, for keyring rotations. */
export function auditKeySealedKind(): SealedRecordKind {
  return rawSealedKind("audit-key", AUDIT_KEY_STORE_KEY, AUDIT_KEY_LABEL);
}

export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** The checkpoints of this store's key by seq, and the newest of another key (a wiped and restarted log). */
export function checkpointIndex(checkpoints: VerifyOptions["checkpoints"]): { bySeq: Map<number, Checkpoint>; newest: Checkpoint | undefined; foreign: Checkpoint | undefined; rejected: number } {
  const bySeq = new Map<number, Checkpoint>();
  let newest: Checkpoint | undefined;
  let foreign: Checkpoint | undefined;
  for (const cp of checkpoints?.set.valid ?? []) {
    if (cp.key !== checkpoints?.storeKey) {
      if (!foreign || cp.seq > foreign.seq) foreign = cp;
      continue;
    }
    // Two checkpoints of one seq with different MACs: the chain was rewritten after the first, which stands.
    if (!bySeq.has(cp.seq)) bySeq.set(cp.seq, cp);
    if (!newest || cp.seq > newest.seq) newest = cp;
  }
  return { bySeq, newest, foreign, rejected: checkpoints?.set.rejected ?? 0 };
}

/** The audit key of an existing log (for offline verification); fails when there is none. */
export async function loadAuditKey(store: KvStore, rootKey: RootKey): Promise<Uint8Array> {
  const sealed = await store.get(AUDIT_KEY_STORE_KEY);
  if (sealed === undefined) throw new KmsError("InternalError", "the store holds no audit key");
  return unsealAuditKey(rootKey, sealed);
}

/** The audit key, created on first use. */
export async function loadOrCreateAuditKey(store: KvStore, rootKey: RootKey, newKey: () => Uint8Array): Promise<Uint8Array> {
  const sealed = await store.get(AUDIT_KEY_STORE_KEY);
  if (sealed !== undefined) return unsealAuditKey(rootKey, sealed);
  // A new key beside an existing chain would make every old event fail verification.
  if ((await store.get(AUDIT_HEAD_STORE_KEY)) !== undefined)
    throw new KmsError("InternalError", "the audit key is missing while audit events exist; refusing to start a new chain");
  const key = newKey();
  await store.batch([{ type: "put", key: AUDIT_KEY_STORE_KEY, value: rootKey.seal(key, AUDIT_KEY_LABEL) }]);
  return key;
}

export interface CheckerOptions {
  /** A head known to be committed: the chain value at its seq must be its MAC. */
  anchor?: ChainHead | undefined;
  /** This chain's checkpoints by seq (checkpoints fall on group ends: a head is always one). */
  checkpoints?: ReadonlyMap<number, Checkpoint>;
  onEvent?: ((event: StoredAuditEvent) => void) | undefined;
  /** Events past `seq` are not this check's: stop before them (`stop`) or fail head-mismatch. */
  limit?: { seq: number; stop: boolean };
}

/**
 * Recomputes a chain block by block from a known start (genesis, a base, or
 * an archive's first link), whatever the blocks' formats, and remembers the
 * first break. Used over the store (verifyChain) and over archive files
 * (archive.ts), so both prove the same things the same way.
 */
export class ChainChecker {
  private expected: number;
  private prev: Buffer;
  checked = 0;
  failure: ChainFailure | undefined;
  /** Reached the limit with `stop`: the rest is not this check's. */
  stopped = false;

  constructor(
    private readonly key: KeyObject,
    start: ChainHead,
    private readonly opts: CheckerOptions = {},
  ) {
    this.expected = start.seq + 1;
    this.prev = Buffer.from(start.mac, "hex");
  }

  /** The last event that checked out (the start's seq before any). */
  get last(): number {
    return this.expected - 1;
  }

  /** The chain value after the last event that checked out. */
  get headMac(): string {
    return this.prev.toString("hex");
  }

  get done(): boolean {
    return this.failure !== undefined || this.stopped;
  }

  /** Fails the check from outside (a bad key, an unreadable record). */
  fail(seq: number, reason: VerifyFailureReason, detail: string): false {
    this.failure ??= { seq, reason, detail };
    return false;
  }

  /** One block at position `first`; false once the chain broke or reached its limit. `following` is the next block's first line. */
  feed(first: number, record: BlockRecord, following?: string): boolean {
    if (this.done) return false;
    return record.format === 1 ? this.feedEvents(first, record.lines, following) : this.feedGroup(first, record, following);
  }

  /** An event that claims another seq than its place: missing when the one that belongs here appears nowhere next, moved otherwise. */
  private misplaced(seq: number, claimed: number, next: string | undefined): false {
    // A line removed inside a block shifts the ones after it: the event here is a later one, and the
    // one that belongs here appears nowhere next. A moved event is followed by the one it displaced.
    if (claimed > seq && seqOfLine(next) !== seq) return this.fail(seq, "missing", `event ${seq} is missing; event ${claimed} is stored in its place`);
    return this.fail(seq, "sequence-mismatch", `the record stored as event ${seq} says seq ${claimed}`);
  }

  private position(seq: number): boolean {
    const limit = this.opts.limit;
    if (limit && seq > limit.seq) {
      if (limit.stop) this.stopped = true;
      else this.fail(seq, "head-mismatch", `event ${seq} is stored past the head (${limit.seq})`);
      return false;
    }
    if (seq > this.expected) return this.fail(this.expected, "missing", `event ${this.expected} is missing; the next stored event is ${seq}`);
    if (seq < this.expected) return this.fail(seq, "sequence-mismatch", `event ${seq} is stored again after event ${this.expected - 1}`);
    return true;
  }

  private parse(seq: number, line: string, blockMac?: string): StoredAuditEvent | undefined {
    try {
      return parseStoredEvent(line, blockMac);
    } catch (err) {
      if (err instanceof UnreadableRecordError) {
        this.fail(seq, "unreadable", `event ${seq}: ${err.message}`);
        return undefined;
      }
      throw err;
    }
  }

  private checkAt(seq: number, macHex: string): boolean {
    const anchor = this.opts.anchor;
    if (anchor && seq === anchor.seq && macHex !== anchor.mac) return this.fail(seq, "head-mismatch", `event ${seq} differs from the one this process committed`);
    const cp = this.opts.checkpoints?.get(seq);
    if (cp && cp.mac !== macHex)
      return this.fail(seq, "checkpoint-mismatch", `event ${seq} differs from the checkpoint of ${isoTime(cp.time)}: the log was rewritten or replaced after it`);
    return true;
  }

  private feedEvents(first: number, lines: readonly string[], following: string | undefined): boolean {
    for (let i = 0; i < lines.length; i++) {
      const seq = first + i;
      if (!this.position(seq)) return false;
      const record = this.parse(seq, lines[i] as string);
      if (!record) return false;
      if (record.seq !== seq) return this.misplaced(seq, record.seq, i + 1 < lines.length ? lines[i + 1] : following);
      const mac = chainMac(this.key, this.prev, canonicalJson(chainedRecord(seq, record)));
      const macHex = mac.toString("hex");
      // Plain comparison: the MACs are stored in the clear, nothing to hide by timing.
      if (macHex !== record.mac) return this.fail(seq, "mac-mismatch", `event ${seq} does not match its MAC (edited, or chained onto an edited event)`);
      if (!this.checkAt(seq, macHex)) return false;
      this.opts.onEvent?.(record);
      this.prev = mac;
      this.checked++;
      this.expected++;
    }
    return true;
  }

  private feedGroup(first: number, record: Extract<BlockRecord, { format: 2 }>, following: string | undefined): boolean {
    const last = first + record.lines.length - 1;
    if (!this.position(first)) return false;
    const limit = this.opts.limit;
    if (limit && last > limit.seq) return this.fail(limit.seq + 1, "head-mismatch", `events ${first}..${last} are one group commit, which goes past the head (${limit.seq})`);
    const events: StoredAuditEvent[] = [];
    for (let i = 0; i < record.lines.length; i++) {
      const seq = first + i;
      const event = this.parse(seq, record.lines[i] as string, record.mac);
      if (!event) return false;
      if (event.seq !== seq) return this.misplaced(seq, event.seq, i + 1 < record.lines.length ? record.lines[i + 1] : following);
      events.push(event);
    }
    const mac = groupMac(this.key, this.prev, record.body);
    const macHex = mac.toString("hex");
    if (macHex !== record.mac) return this.fail(first, "mac-mismatch", `events ${first}..${last} (one group commit) do not match their MAC (edited, or chained onto an edited event)`);
    // A head, a witness and a checkpoint always fall on a group's end: one inside a group names a chain this is not.
    for (let seq = first; seq < last; seq++) {
      if (this.opts.anchor?.seq === seq) return this.fail(seq, "head-mismatch", `event ${seq} differs from the one this process committed`);
      const cp = this.opts.checkpoints?.get(seq);
      if (cp) return this.fail(seq, "checkpoint-mismatch", `the checkpoint of ${isoTime(cp.time)} names event ${seq}, which this chain holds inside a group commit: the log was rewritten or replaced after it`);
    }
    if (!this.checkAt(last, macHex)) return false;
    for (const event of events) this.opts.onEvent?.(event);
    this.prev = mac;
    this.checked += events.length;
    this.expected = last + 1;
    return true;
  }
}

/**
 * Scans every stored event in key order, recomputes the chain and reports
 * the first place it breaks. Reads the head before the scan so a live log's
 * new events can only appear past it. A chain whose oldest events were
 * archived starts after its base; blocks at or below the base (archived,
 * awaiting their prune) are skipped.
 */
export async function verifyChain(store: KvStore, auditKey: Uint8Array | KeyObject, options: VerifyOptions = {}): Promise<VerifyReport> {
  const key = auditKey instanceof Uint8Array ? auditMacKey(auditKey) : auditKey;
  for (let attempt = 1; ; attempt++) {
    const report = await verifyOnce(store, key, options);
    if (report.ok || attempt >= 3) return report;
    const layout = options.layout ?? LEGACY_LAYOUT;
    if (report.failure?.reason === "head-mismatch") {
      // Events past the head read at the start, on a store a live process writes (the offline verifier
      // beside running replicas): if the head has moved since, they were committed during the scan, so
      // look again. Events appended without their head leave it where it was, and stay flagged.
      const head = await readHead(store, layout).catch(() => undefined);
      if (!head || head.seq <= report.headSeq) return report;
      continue;
    }
    // An archive run pruned events while this scan read them: when the base moved past the gap, look again.
    if (report.failure?.reason !== "missing") return report;
    const base = await readBase(store, key, layout).catch(() => undefined);
    if (!base || base.seq < report.failure.seq || base.seq === report.base?.seq) return report;
  }
}

async function verifyOnce(store: KvStore, key: KeyObject, options: VerifyOptions): Promise<VerifyReport> {
  const layout = options.layout ?? LEGACY_LAYOUT;
  const cps = checkpointIndex(options.checkpoints);
  const cpReport = options.checkpoints
    ? { checkpoint: { seq: cps.newest?.seq ?? 0, time: cps.newest?.time ?? 0, checked: cps.bySeq.size, rejected: cps.rejected } }
    : {};
  let stored: ChainHead | undefined;
  let base: ChainBase | undefined;
  try {
    stored = await readHead(store, layout);
    base = await readBase(store, key, layout);
  } catch (err) {
    if (!(err instanceof KmsError) && !(err instanceof BadBaseError)) throw err;
    return { ok: false, checked: 0, headSeq: 0, failure: { seq: 0, reason: "unreadable", detail: err.message }, ...cpReport };
  }
  const head = stored ?? { seq: 0, mac: GENESIS_MAC_HEX };
  const baseReport = base ? { base: { seq: base.seq, archive: base.archive, time: base.time } } : {};
  const start: ChainHead = base ? { seq: base.seq, mac: base.mac } : { seq: 0, mac: GENESIS_MAC_HEX };
  const checker = new ChainChecker(key, start, {
    anchor: options.anchor,
    checkpoints: cps.bySeq,
    onEvent: options.onEvent,
    limit: { seq: head.seq, stop: options.stopAtHead === true },
  });
  let archived: ArchiveCheck | undefined;
  const report = (): VerifyReport => ({
    ok: checker.failure === undefined,
    checked: checker.checked + (archived?.checked ?? 0),
    headSeq: head.seq,
    ...(checker.failure ? { failure: checker.failure } : {}),
    ...cpReport,
    ...baseReport,
    ...(archived ? { archive: { segments: archived.segments, checked: archived.checked } } : {}),
  });
  // The archived events come first in the chain: checked first, against the same checkpoints.
  if (base && options.archive !== undefined) {
    archived = await verifyArchive(key, options.archive, base, { checkpoints: cps.bySeq, ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    if (archived.failure) return checker.fail(archived.failure.seq, archived.failure.reason, archived.failure.detail), report();
  }
  if (head.seq < start.seq) return checker.fail(head.seq + 1, "head-mismatch", `the head says ${head.seq} events, but events up to ${start.seq} were archived`), report();
  const atBase = cps.bySeq.get(start.seq);
  if (base && atBase && atBase.mac !== base.mac)
    return checker.fail(start.seq, "checkpoint-mismatch", `the archive base (event ${start.seq}) differs from the checkpoint of ${isoTime(atBase.time)}`), report();

  const blocks = storedBlocks(store, layout, start.seq + 1)[Symbol.asyncIterator]();
  let next = await blocks.next();
  while (!next.done && !checker.done) {
    const block = next.value;
    next = await blocks.next();
    if (block.first === undefined) {
      checker.fail(checker.last + 1, "unreadable", `unexpected key "${block.key}" in the audit space`);
      break;
    }
    let record: BlockRecord;
    try {
      record = parseBlockRecord(block.bytes);
    } catch (err) {
      if (!(err instanceof UnreadableRecordError)) throw err;
      checker.fail(Math.max(block.first, checker.last + 1), "unreadable", `the block of event ${block.first}: ${err.message}`);
      break;
    }
    const last = block.first + record.lines.length - 1;
    if (last <= start.seq) continue;
    if (block.first <= start.seq) {
      checker.fail(start.seq + 1, "sequence-mismatch", `the block of events ${block.first}..${last} crosses the archive base (event ${start.seq})`);
      break;
    }
    const following = next.done ? undefined : firstLineOf(next.value.bytes);
    checker.feed(block.first, record, following);
  }
  if (checker.failure) return report();

  const last = checker.last;
  if (last < head.seq) return checker.fail(last + 1, "head-mismatch", `the head says ${head.seq} events, the chain ends at ${last}`), report();
  if (stored && checker.headMac !== head.mac) return checker.fail(head.seq, "head-mismatch", `the head MAC differs from event ${head.seq}'s`), report();
  const anchor = options.anchor;
  if (anchor && anchor.seq > head.seq)
    return checker.fail(head.seq + 1, "head-mismatch", `events ${head.seq + 1}..${anchor.seq} were committed but the stored head ends at ${head.seq}`), report();
  if (anchor && anchor.seq === start.seq && anchor.seq > 0 && anchor.mac !== start.mac) return checker.fail(anchor.seq, "head-mismatch", `event ${anchor.seq} differs from the one this process committed`), report();
  if (cps.newest && cps.newest.seq > last)
    return checker.fail(cps.newest.seq, "truncated", `the checkpoint of ${isoTime(cps.newest.time)} records event ${cps.newest.seq}, but the stored chain ends at ${last}: events were cut off the end`), report();
  // The checkpoint key never changes for a log: lines under another one describe a log that is gone.
  if (cps.foreign)
    return checker.fail(cps.foreign.seq, "truncated", `the checkpoint of ${isoTime(cps.foreign.time)} (event ${cps.foreign.seq}) was signed by another checkpoint key than this store's: the audit log was wiped and started again`), report();
  if (base && options.archive === undefined)
    return checker.fail(base.seq, "archive-missing", `the store's chain ${layout.id} starts at event ${base.seq + 1}: events 1..${base.seq} were archived (last segment ${base.archive}); verify with the archive directory (--archive DIR, KMS_AUDIT_ARCHIVE_DIR)`), report();
  return report();
}

/** The first event line of a stored block (format 2: after its header), for telling a missing event from a moved one. */
function firstLineOf(bytes: Uint8Array): string | undefined {
  try {
    return parseBlockRecord(bytes).lines[0];
  } catch {
    return undefined;
  }
}
