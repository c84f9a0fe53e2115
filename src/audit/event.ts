/**
 * Audit events: who called what, on which keys, with which outcome. The
 * record is built field by field, so request data handed in by mistake
 * (extra properties on the input) is never stored.
 */
import { KmsError } from "../errors.js";

/** How a call arrived; "internal" for the service's own events (audit witnesses between replicas' chains). */
export type Transport = "grpc" | "grpc-web" | "connect" | "api3" | "internal";

const TRANSPORTS: ReadonlySet<string> = new Set<Transport>(["grpc", "grpc-web", "connect", "api3", "internal"]);

/** One call, allowed or denied. Never request data: no plaintext, key material, secrets, signatures. */
export interface AuditEvent {
  /** ms since epoch */
  time: number;
  /** "" when the caller could not be authenticated */
  principalUin: string;
  /** "" likewise */
  principalName: string;
  /** public id of the credential used: SecretId, token id, or "cert:<sha256 hex prefix>"; "" if none */
  credential: string;
  /** remote IP address */
  source: string;
  transport: Transport;
  /** e.g. "kms:Encrypt", "kmsadmin:CreatePrincipal" */
  action: string;
  keyIds: string[];
  /** "Success" or the API error code, e.g. "UnauthorizedOperation" */
  result: string;
  requestId: string;
  /** float, rounded to 3 decimals when appended */
  latencyMs: number;
  /**
   * The caller's account, decimal (the default account's for callers that
   * could not be authenticated). Absent in events written before accounts
   * existed: those are the default account's.
   */
  account?: string;
  /** Member accounts the call acted on (MemberAccount, MemberAccounts); absent when none. The event is in their trails too. */
  memberAccounts?: string[];
}

export interface StoredAuditEvent extends AuditEvent {
  seq: number;
  /**
   * HMAC-SHA256 chain value that covers this event, hex: its own (events
   * stored one MAC per event, format 1) or its group commit's (format 2,
   * chain.ts), which covers every event of that commit at once.
   */
  mac: string;
}

/** What the MAC covers: every stored field but the MAC itself. */
export type ChainedRecord = Omit<StoredAuditEvent, "mac">;

const STRING_FIELDS = ["principalUin", "principalName", "credential", "source", "action", "result", "requestId"] as const;

const STORED_FIELDS: ReadonlySet<string> = new Set<keyof StoredAuditEvent>([
  "seq",
  "time",
  "principalUin",
  "principalName",
  "credential",
  "source",
  "transport",
  "action",
  "keyIds",
  "result",
  "requestId",
  "latencyMs",
  "account",
  "memberAccounts",
  "mac",
]);

const MAC_HEX = /^[0-9a-f]{64}$/;

function malformed(field: string): KmsError {
  // A malformed event is a bug in the caller (the server), not something a client sent.
  return new KmsError("InternalError", `audit event field "${field}" is malformed`);
}

/**
 * The chained record's fields in their one fixed order, seq first. JSON.stringify
 * of a record built here is the canonical encoding: it follows the order
 * written here, never the order of the caller's object (and drops anything else).
 * The account fields come last and only when set, so an event written before
 * accounts existed encodes (and verifies) exactly as it did.
 */
function ordered(seq: number, e: AuditEvent, keyIds: string[], latencyMs: number): ChainedRecord {
  const base: ChainedRecord = {
    seq,
    time: e.time,
    principalUin: e.principalUin,
    principalName: e.principalName,
    credential: e.credential,
    source: e.source,
    transport: e.transport,
    action: e.action,
    keyIds,
    result: e.result,
    requestId: e.requestId,
    latencyMs,
  };
  if (e.account !== undefined) base.account = e.account;
  if (e.memberAccounts !== undefined) base.memberAccounts = e.memberAccounts;
  return base;
}

/**
 * A checked copy of the event, already shaped as the record it will be chained
 * as (one object per event on the append path): only the known fields, keyIds
 * copied, latency rounded, seq 0 until the log numbers it.
 */
export function normalizeEvent(e: AuditEvent): ChainedRecord {
  if (typeof e.time !== "number" || !Number.isFinite(e.time)) throw malformed("time");
  for (const f of STRING_FIELDS) if (typeof e[f] !== "string") throw malformed(f);
  if (!TRANSPORTS.has(e.transport)) throw malformed("transport");
  if (!Array.isArray(e.keyIds) || !e.keyIds.every((k) => typeof k === "string")) throw malformed("keyIds");
  if (typeof e.latencyMs !== "number" || !Number.isFinite(e.latencyMs)) throw malformed("latencyMs");
  if (e.account !== undefined && typeof e.account !== "string") throw malformed("account");
  if (e.memberAccounts !== undefined && (!Array.isArray(e.memberAccounts) || !e.memberAccounts.every((a) => typeof a === "string"))) throw malformed("memberAccounts");
  const memberAccounts = e.memberAccounts === undefined ? undefined : [...e.memberAccounts];
  return ordered(0, memberAccounts === undefined ? e : { ...e, memberAccounts }, [...e.keyIds], Math.round(e.latencyMs * 1000) / 1000);
}

/** The chained record: seq first, then the event in its fixed order (a stored event's MAC is left out). */
export function chainedRecord(seq: number, e: AuditEvent): ChainedRecord {
  return ordered(seq, e, e.keyIds, e.latencyMs);
}

/** A stored record that is not a well-formed event. */
export class UnreadableRecordError extends Error {
  override readonly name = "UnreadableRecordError";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a stored record, checking JSON types only: whether the values are
 * genuine is for the MAC to decide, so an edited value shows as a MAC
 * mismatch rather than as unreadable. A line of a format 2 block carries no
 * MAC of its own: `blockMac` is its group commit's, and the line must not
 * have one.
 */
export function parseStoredEvent(bytes: Uint8Array | string, blockMac?: string): StoredAuditEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === "string" ? bytes : utf8.decode(bytes));
  } catch {
    throw new UnreadableRecordError("not UTF-8 JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new UnreadableRecordError("not a JSON object");
  const r = parsed as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!STORED_FIELDS.has(k)) throw new UnreadableRecordError(`unexpected field "${k}"`);
  const num = (k: string): number => {
    const v = r[k];
    if (typeof v !== "number") throw new UnreadableRecordError(`field "${k}" is not a number`);
    return v;
  };
  const str = (k: string): string => {
    const v = r[k];
    if (typeof v !== "string") throw new UnreadableRecordError(`field "${k}" is not a string`);
    return v;
  };
  const keyIds = r.keyIds;
  if (!Array.isArray(keyIds) || !keyIds.every((k): k is string => typeof k === "string"))
    throw new UnreadableRecordError(`field "keyIds" is not a list of strings`);
  if (blockMac !== undefined && r.mac !== undefined) throw new UnreadableRecordError(`field "mac" in an event of a block with one MAC`);
  const mac = blockMac ?? str("mac");
  if (!MAC_HEX.test(mac)) throw new UnreadableRecordError(`field "mac" is not 32 bytes of hex`);
  const account = r.account === undefined ? undefined : str("account");
  const members = r.memberAccounts;
  if (members !== undefined && (!Array.isArray(members) || !members.every((k): k is string => typeof k === "string")))
    throw new UnreadableRecordError(`field "memberAccounts" is not a list of strings`);
  const event: StoredAuditEvent = {
    seq: num("seq"),
    time: num("time"),
    principalUin: str("principalUin"),
    principalName: str("principalName"),
    credential: str("credential"),
    source: str("source"),
    // Not checked against the list: an edited transport is the MAC's to catch.
    transport: str("transport") as Transport,
    action: str("action"),
    keyIds,
    result: str("result"),
    requestId: str("requestId"),
    latencyMs: num("latencyMs"),
    mac,
  };
  if (account !== undefined) event.account = account;
  if (members !== undefined) event.memberAccounts = members;
  return event;
}
