/**
 * Audit archive segments: events moved out of the store by retention
 * (retention.ts), in files that verify on their own and chain into the
 * store's events through the chain's base record (base.ts).
 *
 *   <archive dir>/<chain>/<first seq, 16 digits>-<last seq, 16 digits>.jsonl.gz
 *
 * (<chain> is "@store" for the store's one chain, else the replica id.) A
 * segment is gzip'd JSON lines: first a header
 *
 *   {"archive":"kms-audit","v":1,"chain":"<id>","first":F,"last":L,"prevMac":"<hex>","lastMac":"<hex>"}
 *
 * where prevMac is the chain value before event F (32 zero bytes for event 1)
 * and lastMac the chain value after event L; then the events F..L in chain
 * order, exactly as the store held them: a format 2 group commit as its
 * header line {"v":2,"mac":"<hex>","n":<events>} followed by its n event
 * lines, a format 1 event as its one line with its own "mac". So
 * `zcat F | tail -n +2 | grep -v '^{"v":'` lists the events, and the verifier
 * (ChainChecker) recomputes every MAC as it does over the store. Segment k+1
 * starts from segment k's lastMac; the last segment is named, with its
 * SHA-256, in the base record (tagged with the audit key), and the store's
 * first event is chained from the base: a missing, edited, cut or reordered
 * segment breaks the chain somewhere.
 *
 * A file is written to a temporary name, fsync'd, renamed into place and its
 * directory fsync'd before the store forgets its events. Its bytes depend
 * only on the events (no time, gzip without a name or mtime): two runs that
 * archive the same range write the same file.
 */
import { createHash, type KeyObject } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { randomBytes } from "../crypto/random.js";
import type { ChainBase } from "./base.js";
import { ChainChecker, GENESIS_MAC_HEX, isoTime, parseBlockRecord, type BlockRecord, type ChainFailure } from "./chain.js";
import type { Checkpoint } from "./checkpoint.js";
import { parseStoredEvent, type StoredAuditEvent } from "./event.js";

export interface SegmentHeader {
  chain: string;
  first: number;
  last: number;
  prevMac: string;
  lastMac: string;
}

/** One block of a segment, at its place in the chain. */
export interface SegmentBlock {
  first: number;
  record: BlockRecord;
}

export interface Segment {
  header: SegmentHeader;
  blocks: SegmentBlock[];
}

/** A segment file that is not gzip'd JSON lines of the format above. */
export class ArchiveFormatError extends Error {
  override readonly name = "ArchiveFormatError";
}

const NAME = /^(\d{16})-(\d{16})\.jsonl\.gz$/;
const MAC_HEX = /^[0-9a-f]{64}$/;
const pad = (seq: number): string => String(seq).padStart(16, "0");

export function segmentName(first: number, last: number): string {
  return `${pad(first)}-${pad(last)}.jsonl.gz`;
}

export function chainDir(dir: string, chain: string): string {
  return join(dir, chain);
}

/** The segment file's bytes: gzip'd header and blocks. */
export function encodeSegment(header: SegmentHeader, blocks: readonly SegmentBlock[]): Buffer {
  const { chain, first, last, prevMac, lastMac } = header;
  const lines = [JSON.stringify({ archive: "kms-audit", v: 1, chain, first, last, prevMac, lastMac })];
  for (const { record } of blocks) {
    if (record.format === 2) lines.push(`{"v":2,"mac":"${record.mac}","n":${record.lines.length}}`);
    lines.push(...record.lines);
  }
  return gzipSync(Buffer.from(`${lines.join("\n")}\n`, "utf8"));
}

function parseHeader(line: string | undefined): SegmentHeader {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(line ?? "") as Record<string, unknown>;
  } catch {
    throw new ArchiveFormatError("its header is not JSON");
  }
  const int = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
  if (h === null || typeof h !== "object" || h.archive !== "kms-audit" || h.v !== 1 || typeof h.chain !== "string" || !int(h.first) || !int(h.last) || h.last < h.first)
    throw new ArchiveFormatError("its header is not a kms-audit archive header");
  if (typeof h.prevMac !== "string" || !MAC_HEX.test(h.prevMac) || typeof h.lastMac !== "string" || !MAC_HEX.test(h.lastMac) || Object.keys(h).length !== 7)
    throw new ArchiveFormatError("its header's MACs are malformed, or it has other fields");
  return { chain: h.chain, first: h.first, last: h.last, prevMac: h.prevMac, lastMac: h.lastMac };
}

/** Parses a segment file's bytes; throws ArchiveFormatError. */
export function decodeSegment(bytes: Uint8Array): Segment {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(gunzipSync(bytes));
  } catch {
    throw new ArchiveFormatError("it is not gzip'd UTF-8 text (cut short or edited)");
  }
  if (!text.endsWith("\n")) throw new ArchiveFormatError("it does not end with a newline (cut short)");
  const lines = text.slice(0, -1).split("\n");
  const header = parseHeader(lines[0]);
  const blocks: SegmentBlock[] = [];
  let seq = header.first;
  for (let i = 1; i < lines.length; ) {
    const line = lines[i] as string;
    if (line.startsWith('{"v":')) {
      const m = /^\{"v":2,"mac":"([0-9a-f]{64})","n":([1-9]\d{0,6})\}$/.exec(line);
      if (!m) throw new ArchiveFormatError(`line ${i + 1} is not a group header {v:2, mac, n}`);
      const n = Number(m[2]);
      const body = lines.slice(i + 1, i + 1 + n);
      if (body.length < n) throw new ArchiveFormatError(`the group at line ${i + 1} has fewer than its ${n} events`);
      // Rebuilt as the store held it: header line, then the body; parseBlockRecord checks the header.
      blocks.push({ first: seq, record: parseBlockRecord(`{"v":2,"mac":"${m[1]}"}\n${body.join("\n")}`) });
      seq += n;
      i += 1 + n;
    } else {
      blocks.push({ first: seq, record: { format: 1, lines: [line] } });
      seq++;
      i++;
    }
  }
  return { header, blocks };
}

/** Writes a segment durably (temporary file, fsync, rename, directory fsync); returns its name and SHA-256. */
export async function writeSegment(dir: string, header: SegmentHeader, blocks: readonly SegmentBlock[]): Promise<{ name: string; sha256: string; bytes: number }> {
  const into = chainDir(dir, header.chain);
  await mkdir(into, { recursive: true, mode: 0o700 });
  const name = segmentName(header.first, header.last);
  const bytes = encodeSegment(header, blocks);
  const tmp = join(into, `.${name}.${Buffer.from(randomBytes(6)).toString("hex")}.tmp`);
  const file = await open(tmp, "wx", 0o600);
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(into, name));
  const d = await open(into, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return { name, sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
}

export interface SegmentFile {
  name: string;
  first: number;
  last: number;
  path: string;
}

/** A chain's segment files by first seq (temporary files and other names left out; none when the directory is missing). */
export async function listSegments(dir: string, chain: string): Promise<SegmentFile[]> {
  const into = chainDir(dir, chain);
  const names = await readdir(into).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const out: SegmentFile[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m) out.push({ name, first: Number(m[1]), last: Number(m[2]), path: join(into, name) });
  }
  return out.sort((a, b) => a.first - b.first || a.last - b.last);
}

/**
 * Segments past the base (never named by a base: not part of the trail):
 * an interrupted run's, or one another run is writing right now (two
 * leaders for a moment around a failover). Those older than `graceMs` are
 * removed; `young` says whether any is newer (then the caller waits: it
 * must not delete a file another run is about to record).
 */
export async function clearSegmentsAfter(dir: string, chain: string, seq: number, graceMs: number, nowMs = Date.now()): Promise<{ removed: number; young: boolean }> {
  let removed = 0;
  let young = false;
  for (const s of await listSegments(dir, chain)) {
    if (s.first <= seq) continue;
    const st = await stat(s.path).catch(() => undefined);
    if (!st) continue;
    if (nowMs - st.mtimeMs < graceMs) {
      young = true;
      continue;
    }
    await rm(s.path, { force: true });
    removed++;
  }
  return { removed, young };
}

export interface ArchiveCheck {
  ok: boolean;
  segments: number;
  /** Archived events whose MAC checked out. */
  checked: number;
  failure?: ChainFailure;
}

export interface ArchiveCheckOptions {
  checkpoints?: ReadonlyMap<number, Checkpoint>;
  onEvent?: (event: StoredAuditEvent) => void;
}

/**
 * Recomputes a chain's archived events, genesis to the base: each segment
 * from the one before it, the last one named (and hashed) by the base.
 * Segments past the base are an interrupted run's, not yet part of the
 * trail, and are left out.
 */
export async function verifyArchive(key: KeyObject, dir: string, base: ChainBase, options: ArchiveCheckOptions = {}): Promise<ArchiveCheck> {
  const result: ArchiveCheck = { ok: true, segments: 0, checked: 0 };
  const fail = (seq: number, reason: ChainFailure["reason"], detail: string): ArchiveCheck => ({ ...result, ok: false, failure: { seq, reason, detail } });
  const where = chainDir(dir, base.chain);
  let next = 1;
  let prevMac = GENESIS_MAC_HEX;
  for (const file of await listSegments(dir, base.chain)) {
    if (file.first > base.seq) break;
    if (file.first > next) return fail(next, "archive-missing", `events ${next}..${file.first - 1} of chain ${base.chain} are in no archive segment in ${where}`);
    if (file.first < next) return fail(file.first, "archive-invalid", `archive segment ${file.name} overlaps the one before it (events up to ${next - 1})`);
    const bytes = await readFile(file.path);
    let segment: Segment;
    try {
      segment = decodeSegment(bytes);
    } catch (err) {
      if (!(err instanceof ArchiveFormatError)) throw err;
      return fail(file.first, "archive-invalid", `archive segment ${file.name}: ${err.message}`);
    }
    const h = segment.header;
    if (h.chain !== base.chain || h.first !== file.first || h.last !== file.last)
      return fail(file.first, "archive-invalid", `archive segment ${file.name} says chain ${h.chain} events ${h.first}..${h.last}: renamed or moved`);
    if (h.prevMac !== prevMac) return fail(file.first, "archive-invalid", `archive segment ${file.name} does not continue from the chain value before event ${file.first}`);
    const checker = new ChainChecker(key, { seq: h.first - 1, mac: h.prevMac }, { ...options, limit: { seq: h.last, stop: false } });
    segment.blocks.forEach((b, i) => checker.feed(b.first, b.record, segment.blocks[i + 1]?.record.lines[0]));
    result.checked += checker.checked;
    if (checker.failure) {
      const f = checker.failure;
      return fail(f.seq, f.reason === "checkpoint-mismatch" ? f.reason : "archive-invalid", `archive segment ${file.name}: ${f.detail}`);
    }
    if (checker.last !== h.last || checker.headMac !== h.lastMac) return fail(checker.last + 1, "archive-invalid", `archive segment ${file.name} ends at event ${checker.last}, its header says ${h.last}`);
    if (h.last > base.seq) return fail(base.seq + 1, "archive-invalid", `archive segment ${file.name} goes past the chain's base (event ${base.seq})`);
    if (h.last === base.seq) {
      const digest = createHash("sha256").update(bytes).digest("hex");
      if (file.name !== base.archive || digest !== base.sha256)
        return fail(h.first, "archive-invalid", `archive segment ${file.name} is not the file the base of ${isoTime(base.time)} names (${base.archive}, its SHA-256)`);
    }
    result.segments++;
    next = h.last + 1;
    prevMac = h.lastMac;
  }
  if (next <= base.seq)
    return fail(next, "archive-missing", `events ${next}..${base.seq} of chain ${base.chain} were archived, but no segment in ${where} holds them (the last is ${base.archive})`);
  if (prevMac !== base.mac) return fail(base.seq, "archive-invalid", `the archive ends at event ${base.seq} with another chain value than the base records`);
  return result;
}

/** Every archived event of a chain in chain order (for export); the segments are parsed, not verified. */
export async function* archivedEvents(dir: string, chain: string): AsyncGenerator<StoredAuditEvent> {
  for (const file of await listSegments(dir, chain)) {
    let segment: Segment;
    try {
      segment = decodeSegment(await readFile(file.path));
    } catch (err) {
      if (err instanceof ArchiveFormatError) throw new ArchiveFormatError(`archive segment ${file.path}: ${err.message}`);
      throw err;
    }
    for (const { record } of segment.blocks) for (const line of record.lines) yield parseStoredEvent(line, record.format === 2 ? record.mac : undefined);
  }
}

/** The chain value after archived event `seq` (a group's end, or a format 1 event), undefined when no segment holds it there. */
export async function archivedMac(dir: string, chain: string, seq: number): Promise<string | undefined> {
  const file = (await listSegments(dir, chain)).find((s) => s.first <= seq && seq <= s.last);
  if (!file) return undefined;
  const segment = decodeSegment(await readFile(file.path));
  for (const { first, record } of segment.blocks) {
    const last = first + record.lines.length - 1;
    if (seq < first || seq > last) continue;
    if (record.format === 2) return seq === last ? record.mac : undefined;
    return parseStoredEvent(record.lines[seq - first] as string).mac;
  }
  return undefined;
}
