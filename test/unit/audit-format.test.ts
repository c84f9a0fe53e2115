/**
 * The chain's two block formats on a real LevelDB store: format 1 (one MAC
 * per event, what stores written before group MACs hold) still verifies and
 * is continued in format 2 (one MAC per group commit); tamper cases that
 * only format 2 makes possible are caught.
 */
import { createSecretKey } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog, loadAuditKey, verifyChain, type AuditEvent } from "../../src/audit/index.js";
import { canonicalJson, groupMac, lineAfterSeq, parseBlockRecord, sealGroup } from "../../src/audit/chain.js";
import { normalizeEvent } from "../../src/audit/event.js";
import { createRootKey, type RootKey } from "../../src/crypto/seal.js";
import { randomBytes } from "../../src/crypto/random.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { KvStore } from "../../src/store/store.js";
import { readAudit, writeFormat1Chain, writeLines } from "../helpers/audit-store.js";

const dirs: string[] = [];
const stores: KvStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function event(i: number): AuditEvent {
  return {
    time: 1_700_000_000_000 + i,
    principalUin: "100",
    principalName: "alice",
    credential: "AKIDexample",
    source: "10.0.0.1",
    transport: "grpc",
    action: "kms:Encrypt",
    keyIds: [`key-${i % 3}`],
    result: "Success",
    requestId: `req-${i}`,
    latencyMs: 0.5,
  };
}

async function open(): Promise<{ store: KvStore; root: RootKey }> {
  const dir = await mkdtemp(join(tmpdir(), "kms-audit-format-"));
  dirs.push(dir);
  const store = await openLevelStore(dir, { sync: false });
  stores.push(store);
  return { store, root: createRootKey(randomBytes(32)) };
}

/** A store as an older version left it: 12 events in format 1 (blocks of 1 and of 5), then a log opened on it. */
async function olderStore() {
  const { store, root } = await open();
  // The audit key as the older version created it.
  const created = await AuditLog.open(store, root);
  await created.close();
  const auditKey = await loadAuditKey(store, root);
  await writeFormat1Chain(store, auditKey, Array.from({ length: 7 }, (_, i) => event(i + 1)), 1);
  return { store, root, auditKey };
}

describe("format 1 (one MAC per event) and format 2 (one MAC per group commit)", () => {
  it("a format 1 chain verifies, is continued in format 2, and the whole verifies", async () => {
    const { store, root, auditKey } = await olderStore();
    expect(await verifyChain(store, auditKey)).toEqual({ ok: true, checked: 7, headSeq: 7 });
    const log = await AuditLog.open(store, root);
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(event(8 + i))));
    // One group, one MAC: every event of the group carries it.
    expect(new Set(more.map((e) => e.mac)).size).toBeLessThan(20);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 27, headSeq: 27 });
    const page = await log.query({}, { limit: 100 });
    expect(page.events.map((e) => e.seq)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    // The format 1 events keep their own MACs; format 2 events show their group's.
    const snap = await readAudit(store);
    expect(snap.layout.map((b) => b.format)).toEqual([1, 1, 1, 1, 1, 1, 1, ...snap.layout.slice(7).map(() => 2)]);
    expect(page.events[2]!.mac).toBe(snap.macAt(3));
    expect(page.events[26]!.mac).toBe(snap.macAt(27));
  });

  it("an edit in the format 1 part is caught at its event, in the format 2 part at its group", async () => {
    const { store, root } = await olderStore();
    const log = await AuditLog.open(store, root);
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(event(8 + i))));
    const snap = await readAudit(store);
    const edit = (seq: number) => {
      const lines = new Map(snap.lines);
      const e = JSON.parse(lines.get(seq)!) as Record<string, unknown>;
      e.result = "InternalError";
      lines.set(seq, JSON.stringify(e));
      return lines;
    };
    await writeLines(store, snap, edit(4));
    expect((await log.verify()).failure).toMatchObject({ seq: 4, reason: "mac-mismatch" });
    await writeLines(store, snap, edit(12));
    const r = await log.verify();
    expect(r.failure).toMatchObject({ seq: snap.blockStart(12), reason: "mac-mismatch" });
    expect(r.checked).toBe(snap.blockStart(12) - 1);
    await writeLines(store, snap, snap.lines);
    expect((await log.verify()).ok).toBe(true);
  });

  it("catches what a group's one MAC must: an added, a dropped, a moved event, a swapped header, a downgrade to format 1", async () => {
    const { store, root } = await open();
    const log = await AuditLog.open(store, root);
    const key = await loadAuditKey(store, root);
    await Promise.all(Array.from({ length: 6 }, (_, i) => log.append(event(i + 1))));
    await Promise.all(Array.from({ length: 6 }, (_, i) => log.append(event(7 + i))));
    const a = parseBlockRecord((await store.get(keyspace.auditEvent(1)))!) as { mac: string; lines: string[]; body: string };
    const b = parseBlockRecord((await store.get(keyspace.auditEvent(7)))!) as { mac: string; lines: string[]; body: string };
    expect([a.lines.length, b.lines.length]).toEqual([6, 6]);
    const put = (seq: number, text: string) => store.batch([{ type: "put", key: keyspace.auditEvent(seq), value: Buffer.from(text) }]);
    const check = async () => verifyChain(store, key);
    const restore = async () => {
      await put(1, `{"v":2,"mac":"${a.mac}"}\n${a.body}`);
      await put(7, `{"v":2,"mac":"${b.mac}"}\n${b.body}`);
      expect((await check()).ok).toBe(true);
    };

    // An event appended to a group (a forged 7th line, seq and all, with the next group moved up).
    const forged = JSON.stringify({ ...JSON.parse(a.lines[5]!), seq: 7, requestId: "forged" });
    await put(1, `{"v":2,"mac":"${a.mac}"}\n${[...a.lines, forged].join("\n")}`);
    expect((await check()).failure).toMatchObject({ seq: 1, reason: "mac-mismatch" });
    await restore();

    // The group's last event dropped: its MAC no longer holds.
    await put(1, `{"v":2,"mac":"${a.mac}"}\n${a.lines.slice(0, 5).join("\n")}`);
    expect((await check()).failure).toMatchObject({ seq: 1, reason: "mac-mismatch" });
    await restore();

    // Two events of a group swapped.
    await put(1, `{"v":2,"mac":"${a.mac}"}\n${[a.lines[1], a.lines[0], ...a.lines.slice(2)].join("\n")}`);
    expect((await check()).failure).toMatchObject({ seq: 1, reason: "sequence-mismatch" });
    await restore();

    // One group's header on the other's events.
    await put(7, `{"v":2,"mac":"${a.mac}"}\n${b.body}`);
    expect((await check()).failure).toMatchObject({ seq: 7, reason: "mac-mismatch" });
    await restore();

    // Downgraded to format 1: the group's MAC given to each event, as if each had its own.
    await put(7, b.lines.map((l) => `${l.slice(0, -1)},"mac":"${b.mac}"}`).join("\n"));
    expect((await check()).failure).toMatchObject({ seq: 7, reason: "mac-mismatch" });
    await restore();

    // A MAC on an event of a group, or a header that is not {v:2, mac}: unreadable.
    await put(7, `{"v":2,"mac":"${b.mac}"}\n${[`${b.lines[0]!.slice(0, -1)},"mac":"${b.mac}"}`, ...b.lines.slice(1)].join("\n")}`);
    expect((await check()).failure).toMatchObject({ seq: 7, reason: "unreadable" });
    await put(7, `{"v":2,"mac":"${b.mac}","n":6}\n${b.body}`);
    expect((await check()).failure).toMatchObject({ seq: 7, reason: "unreadable" });
    await restore();
  });
});

describe("sealGroup", () => {
  const event = (principalName: string, i: number) =>
    normalizeEvent({ time: 1_700_000_000_000 + i, principalUin: "1", principalName, credential: "c", source: "127.0.0.1", transport: "grpc", action: "kms:Encrypt", keyIds: [], result: "Success", requestId: `r${i}`, latencyMs: 0.5, account: "1" });

  it("writes the block a reader parses, its MAC the one groupMac takes over the canonical lines as a string", () => {
    const key = createSecretKey(randomBytes(32));
    const prev = randomBytes(32);
    const records = ["é€😀", "\u0000", "plain"].map(event);
    const tails = records.map(lineAfterSeq);
    // The lines as canonicalJson writes each record once numbered.
    const body = records.map((r, i) => canonicalJson({ ...r, seq: 41 + i })).join("\n");
    const { mac, block } = sealGroup(key, prev, 41, tails);
    expect(mac.equals(groupMac(key, prev, body))).toBe(true);
    expect(block.toString("utf8")).toBe(`{"v":2,"mac":"${mac.toString("hex")}"}\n${body}`);
    expect(parseBlockRecord(block)).toMatchObject({ format: 2, mac: mac.toString("hex") });
    expect(sealGroup(key, randomBytes(32), 41, tails).mac.equals(mac)).toBe(false);
    expect(sealGroup(key, prev, 42, tails).mac.equals(mac)).toBe(false);
  });

  it("refuses to encode a line for an event already numbered", () => {
    expect(() => lineAfterSeq({ ...event("x", 1), seq: 3 })).toThrow();
  });
});
