/**
 * The MAC chain over audit events, its head record, the audit key, and the
 * verifier.
 *
 *   mac(seq) = HMAC-SHA256(auditKey, mac(seq - 1) || canonical(seq, event))
 *
 * with mac(0) = 32 zero bytes. The audit key is its own random key, sealed
 * under the root key, so whoever can read the store can read the log but
 * cannot forge, edit or reorder events without the chain breaking.
 *
 * Storage: one record per group commit, keyed by the seq of its first event,
 * holding its events as lines of JSON (JSON escapes newlines inside strings).
 * One LevelDB operation per batch instead of one per event: measured, the
 * per-operation cost of the write path dominated the audit's price.
 *
 * Where a chain lives is its layout: the store's one chain (LevelDB, and any
 * store written before replicas) under v1/audit/ with its head in v1/meta/;
 * with replicas, one chain per replica under v1-audit/<replica id>/ (outside
 * v1/, so replicas' store watches do not carry every audit block).
 */
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { KmsError } from "../errors.js";
import { UnsealError, type RootKey } from "../crypto/seal.js";
import { keyspace } from "../store/keyspace.js";
import type { KvStore } from "../store/store.js";
import { rawSealedKind, type SealedRecordKind } from "../crypto/sealed-records.js";
import type { Checkpoint, CheckpointSet } from "./checkpoint.js";
import { chainedRecord, parseStoredEvent, UnreadableRecordError, type ChainedRecord, type StoredAuditEvent } from "./event.js";

export const AUDIT_KEY_LABEL = "kms/v1/audit-key";
export const AUDIT_KEY_STORE_KEY = keyspace.meta("audit-key");
export const AUDIT_HEAD_STORE_KEY = keyspace.meta("audit-head");
export const GENESIS_MAC: Buffer = Buffer.alloc(32);

/** Where one chain's event blocks and head are stored. */
export interface ChainLayout {
  /** The chain's name in reports and witnesses: LEGACY_CHAIN, or the replica id. */
  id: string;
  /** Prefix of its event blocks; a block's key is the prefix and its first seq in 16 digits. */
  eventsPrefix: string;
  headKey: string;
}

/** The store's one chain: every store before replicas, and LevelDB's always. */
export const LEGACY_CHAIN = "@store";
export const LEGACY_LAYOUT: ChainLayout = { id: LEGACY_CHAIN, eventsPrefix: keyspace.auditPrefix, headKey: AUDIT_HEAD_STORE_KEY };

/** Per-replica chains live outside v1/: replicas' store watches cover v1/ and need none of the audit blocks. */
export const REPLICA_CHAINS_SPACE = "v1-audit/";

/** The layout of one replica's chain. */
export function replicaLayout(replicaId: string): ChainLayout {
  return { id: replicaId, eventsPrefix: `${REPLICA_CHAINS_SPACE}${replicaId}/events/`, headKey: `${REPLICA_CHAINS_SPACE}${replicaId}/head` };
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

export type VerifyFailureReason = "unreadable" | "sequence-mismatch" | "missing" | "mac-mismatch" | "head-mismatch" | "truncated" | "checkpoint-mismatch";

export interface VerifyReport {
  ok: boolean;
  /** Events whose MAC checked out before the first failure (all of them when ok). */
  checked: number;
  /** The head record's seq, 0 when there is none. */
  headSeq: number;
  /** The first break in the chain. seq 0 means the head record itself. */
  failure?: { seq: number; reason: VerifyFailureReason; detail: string };
  /** With checkpoints: the newest one checked against, and the lines that were not valid checkpoints. */
  checkpoint?: { seq: number; time: number; checked: number; rejected: number };
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
}

const MAC_HEX = /^[0-9a-f]{64}$/;
const SEQ_DIGITS = /^\d{16}$/;

export function auditMacKey(auditKey: Uint8Array): KeyObject {
  // Imported once: createHmac with a KeyObject skips re-importing the key per event.
  return createSecretKey(auditKey);
}

export function chainMac(key: KeyObject, prev: Uint8Array, canonicalJson: string): Buffer {
  return createHmac("sha256", key).update(prev).update(canonicalJson, "utf8").digest();
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

/** One stored event line and the position its block gives it. */
export interface StoredLine {
  /** Block's first seq + the line's index: where the event sits in the stored chain. */
  position: number;
  line: string;
}

const utf8 = new TextDecoder("utf-8");

/** The lines of one block record. */
export function blockLines(bytes: Uint8Array): string[] {
  return utf8.decode(bytes).split("\n");
}

/** Encodes a block of stored event lines. */
export function encodeBlock(lines: readonly string[]): Uint8Array {
  return Buffer.from(lines.join("\n"), "utf8");
}

/**
 * Every stored event line from `fromSeq` on, in chain order. An unexpected
 * key in the audit space is yielded as `badKey` so callers can report it.
 */
export async function* storedLines(store: KvStore, fromSeq = 1, layout: ChainLayout = LEGACY_LAYOUT): AsyncGenerator<StoredLine | { badKey: string; position: number }> {
  // The block holding fromSeq starts at or before it: the last key below fromSeq + 1.
  let startKey: string | undefined;
  for await (const k of store.scanKeys({ prefix: layout.eventsPrefix, after: blockKey(layout, fromSeq + 1), reverse: true, limit: 1 })) startKey = k;
  let expected = fromSeq;
  const emit = function* (key: string, bytes: Uint8Array): Generator<StoredLine | { badKey: string; position: number }> {
    const first = seqOfKey(key, layout);
    if (first === undefined) {
      yield { badKey: key, position: expected };
      return;
    }
    const lines = blockLines(bytes);
    for (let i = 0; i < lines.length; i++) if (first + i >= fromSeq) yield { position: first + i, line: lines[i] as string };
    expected = first + lines.length;
  };
  if (startKey !== undefined) {
    const bytes = await store.get(startKey);
    if (bytes) yield* emit(startKey, bytes);
  }
  for await (const [key, bytes] of store.scan({ prefix: layout.eventsPrefix, ...(startKey !== undefined ? { after: startKey } : {}) })) yield* emit(key, bytes);
}

/** The seq a stored line claims, undefined when it does not parse. */
function seqOfLine(line: string): number | undefined {
  try {
    return parseStoredEvent(line).seq;
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

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** The checkpoints of this store's key by seq, and the newest of another key (a wiped and restarted log). */
function checkpointIndex(options: VerifyOptions): { bySeq: Map<number, Checkpoint>; newest: Checkpoint | undefined; foreign: Checkpoint | undefined; rejected: number } {
  const bySeq = new Map<number, Checkpoint>();
  let newest: Checkpoint | undefined;
  let foreign: Checkpoint | undefined;
  const c = options.checkpoints;
  for (const cp of c?.set.valid ?? []) {
    if (cp.key !== c?.storeKey) {
      if (!foreign || cp.seq > foreign.seq) foreign = cp;
      continue;
    }
    bySeq.set(cp.seq, cp);
    if (!newest || cp.seq > newest.seq) newest = cp;
  }
  return { bySeq, newest, foreign, rejected: c?.set.rejected ?? 0 };
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

/**
 * Scans every stored event in key order, recomputes the chain and reports
 * the first place it breaks. Reads the head before the scan so a live log's
 * new events can only appear past it.
 */
export async function verifyChain(store: KvStore, auditKey: Uint8Array | KeyObject, options: VerifyOptions = {}): Promise<VerifyReport> {
  const key = auditKey instanceof Uint8Array ? auditMacKey(auditKey) : auditKey;
  const layout = options.layout ?? LEGACY_LAYOUT;
  let stored: ChainHead | undefined;
  try {
    stored = await readHead(store, layout);
  } catch (err) {
    return { ok: false, checked: 0, headSeq: 0, failure: { seq: 0, reason: "unreadable", detail: (err as Error).message } };
  }
  const head = stored ?? { seq: 0, mac: GENESIS_MAC.toString("hex") };
  let checked = 0;
  const cps = checkpointIndex(options);
  const cpReport = options.checkpoints
    ? { checkpoint: { seq: cps.newest?.seq ?? 0, time: cps.newest?.time ?? 0, checked: cps.bySeq.size, rejected: cps.rejected } }
    : {};
  const fail = (seq: number, reason: VerifyFailureReason, detail: string): VerifyReport => ({
    ok: false,
    checked,
    headSeq: head.seq,
    failure: { seq, reason, detail },
    ...cpReport,
  });

  let expected = 1;
  let prev: Buffer = GENESIS_MAC;
  const lines = storedLines(store, 1, layout)[Symbol.asyncIterator]();
  let next = await lines.next();
  while (!next.done) {
    const item = next.value;
    next = await lines.next();
    if ("badKey" in item) return fail(expected, "unreadable", `unexpected key "${item.badKey}" in the audit space`);
    const seq = item.position;
    if (expected > head.seq) {
      if (options.stopAtHead) break;
      return fail(seq, "head-mismatch", `event ${seq} is stored past the head (${head.seq})`);
    }
    if (seq > expected) return fail(expected, "missing", `event ${expected} is missing; the next stored event is ${seq}`);
    let record: StoredAuditEvent;
    try {
      record = parseStoredEvent(item.line);
    } catch (err) {
      if (err instanceof UnreadableRecordError) return fail(seq, "unreadable", `event ${seq}: ${err.message}`);
      throw err;
    }
    if (record.seq !== seq) {
      // A line removed inside a block shifts the ones after it: the event here is a later one, and the
      // one that belongs here appears nowhere next. A moved event is followed by the one it displaced.
      const following = next.done || "badKey" in next.value ? undefined : seqOfLine(next.value.line);
      if (record.seq > seq && following !== seq) return fail(seq, "missing", `event ${seq} is missing; event ${record.seq} is stored in its place`);
      return fail(seq, "sequence-mismatch", `the record stored as event ${seq} says seq ${record.seq}`);
    }
    const mac = chainMac(key, prev, canonicalJson(chainedRecord(seq, record)));
    const macHex = mac.toString("hex");
    // Plain comparison: the MACs are stored in the clear, nothing to hide by timing.
    if (macHex !== record.mac) return fail(seq, "mac-mismatch", `event ${seq} does not match its MAC (edited, or chained onto an edited event)`);
    if (options.anchor && seq === options.anchor.seq && macHex !== options.anchor.mac)
      return fail(seq, "head-mismatch", `event ${seq} differs from the one this process committed`);
    const cp = cps.bySeq.get(seq);
    if (cp && cp.mac !== macHex)
      return fail(seq, "checkpoint-mismatch", `event ${seq} differs from the checkpoint of ${isoTime(cp.time)}: the log was rewritten or replaced after it`);
    options.onEvent?.(record);
    prev = mac;
    checked++;
    expected++;
  }

  const last = expected - 1;
  if (last < head.seq) return fail(last + 1, "head-mismatch", `the head says ${head.seq} events, the chain ends at ${last}`);
  if (stored && prev.toString("hex") !== head.mac) return fail(head.seq, "head-mismatch", `the head MAC differs from event ${head.seq}'s`);
  if (options.anchor && options.anchor.seq > head.seq)
    return fail(head.seq + 1, "head-mismatch", `events ${head.seq + 1}..${options.anchor.seq} were committed but the stored head ends at ${head.seq}`);
  if (cps.newest && cps.newest.seq > last)
    return fail(cps.newest.seq, "truncated", `the checkpoint of ${isoTime(cps.newest.time)} records event ${cps.newest.seq}, but the stored chain ends at ${last}: events were cut off the end`);
  // The checkpoint key never changes for a log: lines under another one describe a log that is gone.
  if (cps.foreign)
    return fail(cps.foreign.seq, "truncated", `the checkpoint of ${isoTime(cps.foreign.time)} (event ${cps.foreign.seq}) was signed by another checkpoint key than this store's: the audit log was wiped and started again`);
  return { ok: true, checked, headSeq: head.seq, ...cpReport };
}
