/**
 * Audit retention: events older than the operator's limit (age, and/or
 * how many the store keeps) move out of the store into archive segments
 * (archive.ts), per chain, oldest first, whole group commits at a time.
 *
 * One run, per segment:
 *   1. blocks left over at or below the base are deleted, and segment
 *      files past the base (a run stopped before recording its segment)
 *      removed once older than a grace period; a younger one may be
 *      another leader's, about to be recorded, so the run waits for a
 *      later pass (the base's guard settles which of two runs wins);
 *   2. the oldest blocks that are due are read and re-verified from the base
 *      (a broken chain is never archived: the run stops and says where);
 *   3. the segment is written: temporary file, fsync, rename, directory fsync;
 *   4. one store batch records the new base (its seq and MAC, the segment's
 *      name and SHA-256, tagged with the audit key) and deletes the blocks,
 *      guarded by the base it read (two leaders cannot both move it).
 * Killed anywhere, the store holds the old state (and perhaps a segment past
 * its base, which verify leaves out and the next run replaces) or the new
 * one; verify passes either way.
 *
 * Appends go on meanwhile: they write blocks past the head read at the
 * start, which a run never touches, and the head, which a run never writes.
 */
import type { KeyObject } from "node:crypto";
import type { Job } from "../jobs.js";
import type { AuditLog } from "./audit-log.js";
import type { BatchOp, KvStore } from "../store/store.js";
import { clearSegmentsAfter, writeSegment, type SegmentBlock } from "./archive.js";
import { encodeBase, type ChainBase } from "./base.js";
import { blockKey, ChainChecker, GENESIS_MAC_HEX, parseBlockRecord, readBase, readHead, storedBlocks, type ChainHead, type ChainLayout } from "./chain.js";
import { parseStoredEvent } from "./event.js";

export interface RetentionPolicy {
  /** Where segments go (outside the data directory). */
  dir: string;
  /** Events older than this are archived (undefined: no age limit). */
  maxAgeMs?: number | undefined;
  /** The store keeps at most this many events per chain; older ones are archived (undefined: no count limit). */
  maxEvents?: number | undefined;
  /** Events one segment holds at most (default 50,000). */
  segmentEvents?: number;
  /**
   * A segment past the base younger than this may be another run's, about
   * to be recorded: the run waits for the next pass instead of deleting it
   * (default 10 minutes; an interrupted run's is removed once older).
   */
  straySegmentGraceMs?: number;
}

/** What one run did on one chain. */
export interface ArchivedSegment {
  chain: string;
  first: number;
  last: number;
  file: string;
  bytes: number;
}

/** A chain that does not verify from its base: its events are left in the store. */
export class RetentionError extends Error {
  override readonly name = "RetentionError";
}

const DEFAULT_SEGMENT_EVENTS = 50_000;
const STRAY_GRACE_MS = 600_000;
/** Segments one run writes per chain at most, so one pass stays bounded; the next pass goes on. */
const MAX_SEGMENTS_PER_RUN = 20;

interface Due {
  blocks: SegmentBlock[];
  keys: string[];
  last: number;
  lastMac: string;
}

/** The oldest due blocks after `start`, verified from it, up to a segment's worth and one batch's limits. */
async function dueBlocks(store: KvStore, key: KeyObject, layout: ChainLayout, start: ChainHead, head: ChainHead, policy: RetentionPolicy, nowMs: number): Promise<Due | undefined> {
  const maxEvents = policy.segmentEvents ?? DEFAULT_SEGMENT_EVENTS;
  // One batch: the base and every deleted block, within the store's limits.
  const maxBlocks = Math.min(Number.isFinite(store.limits.maxOps) ? store.limits.maxOps - 2 : Infinity, 100_000);
  const maxKeyBytes = Number.isFinite(store.limits.maxBytes) ? store.limits.maxBytes / 4 : Infinity;
  const checker = new ChainChecker(key, start, { limit: { seq: head.seq, stop: true } });
  const due: Due = { blocks: [], keys: [], last: start.seq, lastMac: start.mac };
  let events = 0;
  let keyBytes = 0;
  for await (const block of storedBlocks(store, layout, start.seq + 1)) {
    if (block.first === undefined) throw new RetentionError(`chain ${layout.id}: unexpected key "${block.key}" in the audit space`);
    const record = parseBlockRecord(block.bytes);
    const last = block.first + record.lines.length - 1;
    if (last <= start.seq) continue;
    if (last > head.seq) break;
    const lastEvent = parseStoredEvent(record.lines[record.lines.length - 1] as string, record.format === 2 ? record.mac : undefined);
    const old = policy.maxAgeMs !== undefined && lastEvent.time < nowMs - policy.maxAgeMs;
    const over = policy.maxEvents !== undefined && head.seq - (block.first - 1) > policy.maxEvents;
    if (!old && !over) break;
    if (due.blocks.length > 0 && (events + record.lines.length > maxEvents || due.keys.length + 1 > maxBlocks || keyBytes + block.key.length + 64 > maxKeyBytes)) break;
    if (!checker.feed(block.first, record)) {
      if (checker.failure) throw new RetentionError(`chain ${layout.id} does not verify at event ${checker.failure.seq} (${checker.failure.reason}): nothing is archived until it does`);
      break;
    }
    due.blocks.push({ first: block.first, record });
    due.keys.push(block.key);
    events += record.lines.length;
    keyBytes += block.key.length + 64;
    due.last = checker.last;
    due.lastMac = checker.headMac;
  }
  return due.blocks.length > 0 ? due : undefined;
}

/** Deletes blocks an earlier run archived but did not get to delete (at or below the base). */
async function dropLeftovers(store: KvStore, layout: ChainLayout, base: ChainBase): Promise<void> {
  const chunk = Math.min(Number.isFinite(store.limits.maxOps) ? store.limits.maxOps : 1000, 1000);
  for (;;) {
    const ops: BatchOp[] = [];
    for await (const k of store.scanKeys({ prefix: layout.eventsPrefix, limit: chunk })) {
      if (k >= blockKey(layout, base.seq + 1)) break;
      ops.push({ type: "del", key: k });
    }
    if (ops.length === 0) return;
    await store.batch(ops);
  }
}

/** Archives one chain's due events; returns the segments written. */
export async function archiveChain(store: KvStore, key: KeyObject, layout: ChainLayout, policy: RetentionPolicy, nowMs: number): Promise<ArchivedSegment[]> {
  const done: ArchivedSegment[] = [];
  if (policy.maxAgeMs === undefined && policy.maxEvents === undefined) return done;
  const head = await readHead(store, layout);
  if (!head) return done;
  for (let n = 0; n < MAX_SEGMENTS_PER_RUN; n++) {
    const baseBytes = await store.get(layout.baseKey);
    const base = await readBase(store, key, layout);
    if (base) await dropLeftovers(store, layout, base);
    const start: ChainHead = base ?? { seq: 0, mac: GENESIS_MAC_HEX };
    const stray = await clearSegmentsAfter(policy.dir, layout.id, start.seq, policy.straySegmentGraceMs ?? STRAY_GRACE_MS);
    if (stray.young) break;
    const due = await dueBlocks(store, key, layout, start, head, policy, nowMs);
    if (!due) break;
    const first = start.seq + 1;
    const file = await writeSegment(policy.dir, { chain: layout.id, first, last: due.last, prevMac: start.mac, lastMac: due.lastMac }, due.blocks);
    const next: ChainBase = { chain: layout.id, seq: due.last, mac: due.lastMac, prevSeq: start.seq, prevMac: start.mac, archive: file.name, sha256: file.sha256, time: nowMs };
    const ops: BatchOp[] = [{ type: "put", key: layout.baseKey, value: encodeBase(key, next) }, ...due.keys.map((k): BatchOp => ({ type: "del", key: k }))];
    await store.batch(ops, { guards: [{ key: layout.baseKey, value: baseBytes }] });
    done.push({ chain: layout.id, first, last: due.last, file: file.name, bytes: file.bytes });
  }
  return done;
}

/** The leader's retention job: archives what is due on every chain, each pass (nothing when no limit is set). */
export function auditRetentionJob(audit: AuditLog, now: () => number): Job {
  return {
    name: "audit retention",
    run: async () => (await audit.archive(now())).map((s) => ({ kind: "audit-archive", subject: `${s.chain} events ${s.first}..${s.last} to ${s.file}` })),
  };
}
