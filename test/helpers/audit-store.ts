/**
 * Direct access to the stored audit chain for tamper tests: events as lines
 * by seq, whatever group-commit blocks they were written in, and a way to
 * write them back one line per record (a layout the verifier accepts).
 */
import { keyspace } from "../../src/store/keyspace.js";
import type { BatchOp, KvStore } from "../../src/store/store.js";

export interface AuditSnapshot {
  /** The records as stored, to put back. */
  blocks: [string, Uint8Array][];
  /** Every event line by its position in the chain. */
  lines: Map<number, string>;
}

export async function readAudit(store: KvStore): Promise<AuditSnapshot> {
  const blocks: [string, Uint8Array][] = [];
  const lines = new Map<number, string>();
  for await (const [key, bytes] of store.scan({ prefix: keyspace.auditPrefix })) {
    blocks.push([key, bytes]);
    const first = Number(key.slice(keyspace.auditPrefix.length));
    Buffer.from(bytes).toString("utf8").split("\n").forEach((line, i) => lines.set(first + i, line));
  }
  return { blocks, lines };
}

/** Replaces the stored records with one record per line of `lines` (keyed by its seq). */
export async function writeLines(store: KvStore, snapshot: AuditSnapshot, lines: ReadonlyMap<number, string>): Promise<void> {
  const ops: BatchOp[] = snapshot.blocks.map(([key]) => ({ type: "del", key }));
  for (const [seq, line] of lines) ops.push({ type: "put", key: keyspace.auditEvent(seq), value: Buffer.from(line, "utf8") });
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
