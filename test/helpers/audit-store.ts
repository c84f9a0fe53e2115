/**
 * Direct access to the stored audit chain for tamper tests: events as lines
 * by seq, whatever group-commit blocks they were written in, and a way to
 * write them back in the same blocks (a format 2 block keeps its header, so
 * an edited line shows as that block's MAC failing), plus a writer of the
 * format 1 chain (one MAC per event) that stores made before group MACs hold.
 */
import { chainedRecord, normalizeEvent, type AuditEvent } from "../../src/audit/event.js";
import { auditMacKey, canonicalJson, chainMac, encodeHead, GENESIS_MAC, LEGACY_LAYOUT, parseBlockRecord, type ChainLayout } from "../../src/audit/chain.js";
import { keyspace } from "../../src/store/keyspace.js";
import type { BatchOp, KvStore } from "../../src/store/store.js";

export interface StoredBlockInfo {
  key: string;
  first: number;
  format: 1 | 2;
  /** Format 2: the header line, kept when the block is written back. */
  header?: string;
  count: number;
}

export interface AuditSnapshot {
  /** The records as stored, to put back. */
  blocks: [string, Uint8Array][];
  /** Every event line by its position in the chain (format 2 lines carry no MAC). */
  lines: Map<number, string>;
  /** How the events were grouped. */
  layout: StoredBlockInfo[];
  /** The first seq of the group commit holding `seq`: where a format 2 block's MAC failure is reported. */
  blockStart(seq: number): number;
  /** The chain value after `seq` (a group's end, or any event of a format 1 block). */
  macAt(seq: number): string;
}

export async function readAudit(store: KvStore, chain: ChainLayout = LEGACY_LAYOUT): Promise<AuditSnapshot> {
  const blocks: [string, Uint8Array][] = [];
  const lines = new Map<number, string>();
  const layout: StoredBlockInfo[] = [];
  const macs = new Map<number, string>();
  for await (const [key, bytes] of store.scan({ prefix: chain.eventsPrefix })) {
    blocks.push([key, bytes]);
    const first = Number(key.slice(chain.eventsPrefix.length));
    const record = parseBlockRecord(bytes);
    record.lines.forEach((line, i) => lines.set(first + i, line));
    if (record.format === 2) {
      layout.push({ key, first, format: 2, header: `{"v":2,"mac":"${record.mac}"}`, count: record.lines.length });
      macs.set(first + record.lines.length - 1, record.mac);
    } else {
      layout.push({ key, first, format: 1, count: record.lines.length });
      record.lines.forEach((line, i) => macs.set(first + i, (JSON.parse(line) as { mac: string }).mac));
    }
  }
  return {
    blocks,
    lines,
    layout,
    blockStart(seq) {
      const b = layout.find((l) => seq >= l.first && seq < l.first + l.count);
      if (!b) throw new Error(`no stored event ${seq}`);
      return b.format === 2 ? b.first : seq;
    },
    macAt(seq) {
      const mac = macs.get(seq);
      if (mac === undefined) throw new Error(`event ${seq} is not the end of a group commit`);
      return mac;
    },
  };
}

/**
 * Replaces the stored records with `lines`, in the blocks they were read
 * from (a seq missing from `lines` is left out of its block; a block left
 * empty is removed). Format 1 blocks are written one line per record, as a
 * format 1 chain may be stored.
 */
export async function writeLines(store: KvStore, snapshot: AuditSnapshot, lines: ReadonlyMap<number, string>, chain: ChainLayout = LEGACY_LAYOUT): Promise<void> {
  const ops: BatchOp[] = snapshot.blocks.map(([key]) => ({ type: "del", key }));
  const placed = new Set<number>();
  for (const b of snapshot.layout) {
    const mine: string[] = [];
    for (let seq = b.first; seq < b.first + b.count; seq++) {
      const line = lines.get(seq);
      if (line !== undefined) mine.push(line);
      placed.add(seq);
    }
    if (b.format === 2 && mine.length > 0) ops.push({ type: "put", key: b.key, value: Buffer.from(`${b.header}\n${mine.join("\n")}`, "utf8") });
    if (b.format === 1) for (const [i, line] of mine.entries()) ops.push({ type: "put", key: `${chain.eventsPrefix}${String(b.first + i).padStart(16, "0")}`, value: Buffer.from(line, "utf8") });
  }
  // Lines at seqs no block held (planted past the end): one record each.
  for (const [seq, line] of lines) if (!placed.has(seq)) ops.push({ type: "put", key: `${chain.eventsPrefix}${String(seq).padStart(16, "0")}`, value: Buffer.from(line, "utf8") });
  await store.batch(ops);
}

/** Puts the snapshot's records back as they were; events appended since (past its last seq) stay. */
export async function restore(store: KvStore, snapshot: AuditSnapshot): Promise<void> {
  const last = Math.max(0, ...snapshot.lines.keys());
  const ops: BatchOp[] = [];
  for await (const key of store.scanKeys({ prefix: keyspace.auditPrefix }))
    if (Number(key.slice(keyspace.auditPrefix.length)) <= last) ops.push({ type: "del", key });
  for (const [key, value] of snapshot.blocks) ops.push({ type: "put", key, value });
  await store.batch(ops);
}

/**
 * Cuts the chain back to the last group commit ending at or before `keep`
 * and rewinds the head onto it: a valid, shorter chain. Returns the seq kept.
 */
export async function truncateChain(store: KvStore, keep: number, chain: ChainLayout = LEGACY_LAYOUT): Promise<number> {
  const snap = await readAudit(store, chain);
  let kept = 0;
  const ops: BatchOp[] = [];
  for (const b of snap.layout) {
    const end = b.first + b.count - 1;
    if (b.format === 2 ? end <= keep : b.first <= keep) {
      if (b.format === 1 && end > keep) {
        // One MAC per event: a format 1 block can be cut anywhere.
        const kept1 = [...Array(keep - b.first + 1).keys()].map((i) => snap.lines.get(b.first + i) as string);
        ops.push({ type: "put", key: b.key, value: Buffer.from(kept1.join("\n"), "utf8") });
        kept = keep;
      } else kept = Math.max(kept, end);
    } else ops.push({ type: "del", key: b.key });
  }
  ops.push({ type: "put", key: chain.headKey, value: encodeHead({ seq: kept, mac: kept === 0 ? GENESIS_MAC.toString("hex") : snap.macAt(kept) }) });
  await store.batch(ops);
  return kept;
}

/**
 * Writes `events` as a format 1 chain (one MAC per event, one record per
 * group of `perBlock`), as the store's one chain was written before group
 * MACs: what a store made by an older version holds. Needs the audit key.
 */
export async function writeFormat1Chain(store: KvStore, auditKey: Uint8Array, events: readonly AuditEvent[], perBlock = 1): Promise<{ seq: number; mac: string }> {
  const key = auditMacKey(auditKey);
  let prev: Buffer = GENESIS_MAC;
  const ops: BatchOp[] = [];
  let block: string[] = [];
  let first = 1;
  events.forEach((e, i) => {
    const seq = i + 1;
    const record = chainedRecord(seq, normalizeEvent(e));
    const body = canonicalJson(record);
    prev = chainMac(key, prev, body);
    block.push(`${body.slice(0, -1)},"mac":"${prev.toString("hex")}"}`);
    if (block.length === perBlock || seq === events.length) {
      ops.push({ type: "put", key: keyspace.auditEvent(first), value: Buffer.from(block.join("\n"), "utf8") });
      block = [];
      first = seq + 1;
    }
  });
  const head = { seq: events.length, mac: prev.toString("hex") };
  ops.push({ type: "put", key: LEGACY_LAYOUT.headKey, value: encodeHead(head) });
  await store.batch(ops);
  return head;
}
