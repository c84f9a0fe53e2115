/**
 * A chain's base: where its stored events begin once older ones were
 * archived and pruned (retention.ts). One record per chain, next to its head:
 *
 *   {"f":1,"chain":"<id>","seq":N,"mac":"<hex>","prevSeq":P,"prevMac":"<hex>",
 *    "archive":"<file name>","sha256":"<hex>","time":<ms>,"tag":"<hex>"}
 *
 * Events 1..N are in archive files (the last one, covering P+1..N, is named
 * with its digest); the chain value after event N is `mac`, so event N+1 is
 * chained from it and the events left in the store verify on their own.
 * `tag` = HMAC-SHA256(audit key, "kms-audit-base\n" and every other field
 * joined by "\n"): nobody without the audit key can plant a base and pass a
 * pruned or truncated chain off as archived.
 */
import { createHmac, type KeyObject } from "node:crypto";
import type { ChainHead } from "./chain.js";

export interface ChainBase extends ChainHead {
  chain: string;
  /** The base before this one (0 and the genesis MAC for the first archive). */
  prevSeq: number;
  prevMac: string;
  /** File name of the archive covering prevSeq+1..seq, and its SHA-256 (hex). */
  archive: string;
  sha256: string;
  /** When the base was recorded, ms. */
  time: number;
}

const MAC_HEX = /^[0-9a-f]{64}$/;

function tagOf(key: KeyObject, b: ChainBase): string {
  const text = ["kms-audit-base", b.chain, b.seq, b.mac, b.prevSeq, b.prevMac, b.archive, b.sha256, b.time].join("\n");
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}

export function encodeBase(key: KeyObject, b: ChainBase): Uint8Array {
  const record = { f: 1, chain: b.chain, seq: b.seq, mac: b.mac, prevSeq: b.prevSeq, prevMac: b.prevMac, archive: b.archive, sha256: b.sha256, time: b.time, tag: tagOf(key, b) };
  return Buffer.from(JSON.stringify(record), "utf8");
}

/** A base record that is not well-formed, names another chain, or whose tag fails. */
export class BadBaseError extends Error {
  override readonly name = "BadBaseError";
}

/** The base a stored record holds (undefined: none), checked against the audit key and the chain it is stored for. */
export function decodeBase(key: KeyObject, chain: string, bytes: Uint8Array | undefined): ChainBase | undefined {
  if (bytes === undefined) return undefined;
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new BadBaseError(`the base record of chain ${chain} is unreadable`);
  }
  const ok =
    r !== null &&
    typeof r === "object" &&
    r.f === 1 &&
    typeof r.chain === "string" &&
    Number.isSafeInteger(r.seq) &&
    (r.seq as number) >= 1 &&
    typeof r.mac === "string" &&
    MAC_HEX.test(r.mac) &&
    Number.isSafeInteger(r.prevSeq) &&
    (r.prevSeq as number) >= 0 &&
    (r.prevSeq as number) < (r.seq as number) &&
    typeof r.prevMac === "string" &&
    MAC_HEX.test(r.prevMac) &&
    typeof r.archive === "string" &&
    typeof r.sha256 === "string" &&
    MAC_HEX.test(r.sha256) &&
    Number.isSafeInteger(r.time) &&
    typeof r.tag === "string";
  if (!ok) throw new BadBaseError(`the base record of chain ${chain} is malformed`);
  const base: ChainBase = {
    chain: r.chain as string,
    seq: r.seq as number,
    mac: r.mac as string,
    prevSeq: r.prevSeq as number,
    prevMac: r.prevMac as string,
    archive: r.archive as string,
    sha256: r.sha256 as string,
    time: r.time as number,
  };
  if (base.chain !== chain) throw new BadBaseError(`the base record stored for chain ${chain} names chain ${base.chain}`);
  if (tagOf(key, base) !== r.tag) throw new BadBaseError(`the base record of chain ${chain} was not made with the audit key`);
  return base;
}
