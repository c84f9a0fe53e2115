/** The audit log: group commit, resume after restart, queries, and tamper evidence on a real LevelDB store. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuditLog, loadAuditKey, toJsonLines, verifyChain, type AuditEvent, type StoredAuditEvent } from "../../src/audit/index.js";
import { createRootKey, type RootKey } from "../../src/crypto/seal.js";
import { randomBytes } from "../../src/crypto/random.js";
import { keyspace } from "../../src/store/keyspace.js";
import { parseBlockRecord } from "../../src/audit/chain.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { BatchOp, BatchOptions, KvStore } from "../../src/store/store.js";

const dirs: string[] = [];
const stores: KvStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kms-audit-"));
  dirs.push(dir);
  return dir;
}

async function openStore(dir: string): Promise<KvStore> {
  const store = await openLevelStore(dir, { sync: false });
  stores.push(store);
  return store;
}

function event(i: number, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: 1_700_000_000_000 + i * 1000,
    principalUin: i % 2 === 0 ? "100" : "200",
    principalName: i % 2 === 0 ? "alice" : "bob",
    credential: "AKIDexample",
    source: "10.0.0.1",
    transport: "grpc",
    action: i % 3 === 0 ? "kms:Decrypt" : "kms:Encrypt",
    keyIds: [`key-${i % 4}`],
    result: i % 5 === 0 ? "UnauthorizedOperation" : "Success",
    requestId: `req-${i}`,
    latencyMs: 1.23456,
    ...over,
  };
}

/** A fresh store and log with n events appended one by one. */
async function freshLog(n: number): Promise<{ store: KvStore; log: AuditLog; root: RootKey; dir: string }> {
  const dir = await newDir();
  const store = await openStore(dir);
  const root = createRootKey(randomBytes(32));
  const log = await AuditLog.open(store, root);
  for (let i = 1; i <= n; i++) await log.append(event(i));
  return { store, log, root, dir };
}

/** Counts batches, and fails the next one when asked (after a delay, so appends can queue behind it). */
function instrument(store: KvStore): { batches: () => number; durability: () => (boolean | undefined)[]; failNext: (delayMs: number) => void } {
  const original = store.batch.bind(store);
  let count = 0;
  const durability: (boolean | undefined)[] = [];
  let fail: number | undefined;
  store.batch = async (ops: readonly BatchOp[], options?: BatchOptions) => {
    count++;
    durability.push(options?.durable);
    if (fail !== undefined) {
      const delay = fail;
      fail = undefined;
      await new Promise((r) => setTimeout(r, delay));
      throw new Error("disk on fire");
    }
    return original(ops, options);
  };
  return { batches: () => count, durability: () => durability, failNext: (delayMs) => (fail = delayMs) };
}

async function rawGet(store: KvStore, seq: number): Promise<Uint8Array> {
  const v = await store.get(keyspace.auditEvent(seq));
  if (v === undefined) throw new Error(`no event ${seq}`);
  return v;
}

describe("audit log append", () => {
  it("starts at seq 1, stores only the known fields, rounds latency, and verifies an empty log", async () => {
    const { log, store } = await freshLog(0);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 0, headSeq: 0 });
    const withExtra = { ...event(1), plaintext: "SECRET" } as AuditEvent;
    const stored = await log.append(withExtra);
    expect(stored.seq).toBe(1);
    expect(stored.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.latencyMs).toBe(1.235);
    const raw = Buffer.from(await rawGet(store, 1)).toString("utf8");
    expect(raw).not.toContain("SECRET");
    // Format 2: the group's MAC in a header line, then its events without a MAC of their own.
    const block = parseBlockRecord(raw);
    expect(block).toMatchObject({ format: 2, mac: stored.mac, lines: [expect.any(String)] });
    const { mac, ...withoutMac } = stored;
    expect(mac).toBe(stored.mac);
    expect(JSON.parse(block.lines[0]!)).toEqual(withoutMac);
    await expect(log.append(Object.assign(event(2), { transport: "smoke" }))).rejects.toThrow(/transport/);
    expect((await log.append(event(3))).seq).toBe(2);
  });

  it("resumes the chain after a restart", async () => {
    const { store, log, root, dir } = await freshLog(5);
    await log.close();
    await expect(log.append(event(6))).rejects.toThrow(/closed/);
    await store.close();

    const store2 = await openStore(dir);
    const log2 = await AuditLog.open(store2, root);
    const more: StoredAuditEvent[] = [];
    for (let i = 6; i <= 10; i++) more.push(await log2.append(event(i)));
    expect(more.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
    expect(await log2.verify()).toMatchObject({ ok: true, checked: 10, headSeq: 10 });
    const page = await log2.query({}, { limit: 100 });
    expect(page.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Offline verification with the key loaded from the store gives the same answer.
    expect(await verifyChain(store2, await loadAuditKey(store2, root))).toEqual({ ok: true, checked: 10, headSeq: 10 });
  });

  it("group-commits 200 concurrent appends, chained in call order", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(event(i + 1))));
    expect(results.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(results.map((e) => e.requestId)).toEqual(Array.from({ length: 200 }, (_, i) => `req-${i + 1}`));
    expect(counter.batches()).toBeLessThan(200);
    expect(counter.batches()).toBeGreaterThanOrEqual(1);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 200, headSeq: 200 });
  });

  it("forces a batch to disk only when one of its events asks to be durable", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    await log.append(event(1), { durable: false });
    await log.append(event(2));
    await Promise.all([log.append(event(3), { durable: false }), log.append(event(4), { durable: true })]);
    expect(counter.durability()).toEqual([false, true, true]);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 4, headSeq: 4 });
  });

  it("writes a change and its event in one durable batch, or neither", async () => {
    const { store, log } = await freshLog(1);
    const counter = instrument(store);
    const change = (n: number): BatchOp[] => [{ type: "put", key: `v1/test-change/${n}`, value: Buffer.from(`change ${n}`) }];
    const stored = await log.commitWith(change(1), event(2));
    expect(stored.seq).toBe(2);
    expect(counter.batches()).toBe(1);
    expect(counter.durability()).toEqual([true]);
    expect(Buffer.from((await store.get("v1/test-change/1"))!).toString()).toBe("change 1");

    counter.failNext(0);
    await expect(log.commitWith(change(2), event(3))).rejects.toThrow(/disk on fire/);
    expect(await store.get("v1/test-change/2")).toBeUndefined();
    expect((await log.append(event(4))).seq).toBe(3);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 3, headSeq: 3 });
  });

  it("splits a large burst into bounded batches", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    const results = await Promise.all(Array.from({ length: 1200 }, (_, i) => log.append(event(i + 1))));
    expect(results.at(-1)?.seq).toBe(1200);
    expect(counter.batches()).toBeGreaterThanOrEqual(3);
    expect((await log.verify()).ok).toBe(true);
  });

  it("rejects the appends of a failed batch and reuses their seqs: no gap, no fork", async () => {
    const { store, log } = await freshLog(5);
    const counter = instrument(store);
    counter.failNext(30);
    const failed = [log.append(event(6)), log.append(event(7))];
    // Queued behind the failing write: they go into the next batch.
    await new Promise((r) => setImmediate(r));
    const queued = [log.append(event(8)), log.append(event(9))];
    for (const p of failed) await expect(p).rejects.toThrow("disk on fire");
    expect((await Promise.all(queued)).map((e) => [e.seq, e.requestId])).toEqual([
      [6, "req-8"],
      [7, "req-9"],
    ]);
    expect((await log.append(event(10))).seq).toBe(8);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 8, headSeq: 8 });
    expect(await store.get(keyspace.auditEvent(9))).toBeUndefined();
  });

  it("flush waits for queued appends", async () => {
    const { log } = await freshLog(0);
    const seen: number[] = [];
    for (let i = 1; i <= 20; i++) void log.append(event(i)).then((e) => seen.push(e.seq));
    await log.flush();
    await Promise.resolve();
    expect(seen).toHaveLength(20);
  });

  it("flush returns while new events keep arriving: it waits only for those queued before it", async () => {
    const { log } = await freshLog(0);
    const failures: unknown[] = [];
    let flushed = false;
    let i = 0;
    log.record(event(++i), (err) => failures.push(err));
    const done = log.flush().then(() => (flushed = true));
    while (!flushed && i < 5000) {
      log.record(event(++i), (err) => failures.push(err));
      await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(i).toBeLessThan(5000);
    // The events recorded after that flush are written before the store closes.
    await log.close();
    expect(failures).toEqual([]);
  });
});

describe("audit log linger (events nobody waits for)", () => {
  // The linger's own timer never fires here: what ends it is what the test does.
  afterEach(() => void vi.useRealTimers());

  it("holds recorded events for one larger group; a query writes them first and sees them", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const failures: unknown[] = [];
    for (let i = 1; i <= 30; i++) {
      log.record(event(i), (err) => failures.push(err));
      await new Promise((r) => setImmediate(r));
    }
    expect(counter.batches()).toBe(0);
    const page = await log.query({}, { limit: 100 });
    expect(page.events.map((e) => e.requestId)).toEqual(Array.from({ length: 30 }, (_, i) => `req-${i + 1}`));
    expect(counter.batches()).toBe(1);
    expect(counter.durability()).toEqual([false]);
    expect(failures).toEqual([]);
  });

  it("an event someone waits for ends the linger at once and takes the recorded ones along", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    for (let i = 1; i <= 3; i++) log.record(event(i), (err) => { throw err; });
    await new Promise((r) => setImmediate(r));
    const stored = await log.append(event(4));
    expect(stored.seq).toBe(4);
    expect(counter.batches()).toBe(1);
    expect(counter.durability()).toEqual([true]);
  });

  it("a flush does not wait out a linger that starts after it, behind a batch in flight", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const first = log.append(event(1)); // a batch in flight
    await new Promise((r) => setImmediate(r));
    log.record(event(2), (err) => { throw err; }); // queued behind it, nobody waits for it
    await log.flush();
    await first;
    expect(counter.batches()).toBe(2);
    expect((await log.query({}, { limit: 10 })).events).toHaveLength(2);
  });

  it("a full group is written without waiting", async () => {
    const { store, log } = await freshLog(0);
    const counter = instrument(store);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    for (let i = 1; i <= 256; i++) log.record(event(i), (err) => { throw err; });
    for (let turns = 0; counter.batches() === 0 && turns < 1000; turns++) await new Promise((r) => setImmediate(r));
    expect(counter.batches()).toBe(1);
    await log.flush();
    expect(await log.verify()).toMatchObject({ ok: true, checked: 256, headSeq: 256 });
  });
});

describe("audit log query", () => {
  it("filters by time range, principal, action, keyId and result (AND-ed)", async () => {
    const { log } = await freshLog(30);
    const seqs = async (f: Parameters<AuditLog["query"]>[0]) => (await log.query(f, { limit: 1000 })).events.map((e) => e.seq);
    const t = (i: number) => 1_700_000_000_000 + i * 1000;
    expect(await seqs({ fromMs: t(5), toMs: t(9) })).toEqual([5, 6, 7, 8]);
    expect(await seqs({ principalUin: "100", toMs: t(11) })).toEqual([2, 4, 6, 8, 10]);
    expect(await seqs({ action: "kms:Decrypt", toMs: t(13) })).toEqual([3, 6, 9, 12]);
    expect(await seqs({ keyId: "key-1", toMs: t(14) })).toEqual([1, 5, 9, 13]);
    expect(await seqs({ result: "UnauthorizedOperation" })).toEqual([5, 10, 15, 20, 25, 30]);
    expect(await seqs({ result: "UnauthorizedOperation", principalUin: "100" })).toEqual([10, 20, 30]);
    expect(await seqs({ action: "kms:Nothing" })).toEqual([]);
  });

  it("pages with afterSeq and limit", async () => {
    const { log } = await freshLog(25);
    const all: number[] = [];
    let afterSeq: number | undefined = 0;
    let pages = 0;
    while (afterSeq !== undefined) {
      const page = await log.query({ principalUin: "200" }, { afterSeq, limit: 4 });
      all.push(...page.events.map((e) => e.seq));
      afterSeq = page.nextAfterSeq;
      pages++;
    }
    expect(all).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25]);
    expect(pages).toBe(4);

    const first = await log.query({}, { limit: 10 });
    expect(first.nextAfterSeq).toBe(10);
    const rest = await log.query({}, { afterSeq: 10, limit: 100 });
    expect(rest.events.map((e) => e.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(rest.nextAfterSeq).toBeUndefined();
    // An exactly full last page: nothing follows, so no cursor.
    expect((await log.query({}, { afterSeq: 20, limit: 5 })).nextAfterSeq).toBeUndefined();
  });

  it("refuses bad paging parameters", async () => {
    const { log } = await freshLog(1);
    await expect(log.query({}, { limit: 0 })).rejects.toMatchObject({ code: "InvalidParameterValue" });
    await expect(log.query({}, { limit: 10, afterSeq: -1 })).rejects.toMatchObject({ code: "InvalidParameterValue" });
  });
});

describe("audit log blocks (one record per group commit)", () => {
  /** 30 events in one block (appended together), then 5 more one by one. */
  async function blockLog() {
    const { store, log, root } = await freshLog(0);
    await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(event(i + 1))));
    for (let i = 31; i <= 35; i++) await log.append(event(i));
    const block = parseBlockRecord((await store.get(keyspace.auditEvent(1)))!);
    expect(block.format).toBe(2);
    const lines = block.lines;
    expect(lines).toHaveLength(30);
    const header = `{"v":2,"mac":"${(block as { mac: string }).mac}"}`;
    return { store, log, root, lines, header };
  }
  let header = "";
  const rewrite = (store: KvStore, lines: string[]) => store.batch([{ type: "put", key: keyspace.auditEvent(1), value: Buffer.from([header, ...lines].join("\n")) }]);

  it("stores a group as one record, pages from the middle of it, and verifies", async () => {
    const { log } = await blockLog();
    expect((await log.query({}, { afterSeq: 12, limit: 3 })).events.map((e) => e.seq)).toEqual([13, 14, 15]);
    expect((await log.query({}, { afterSeq: 29, limit: 3 })).events.map((e) => e.seq)).toEqual([30, 31, 32]);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 35, headSeq: 35 });
  });

  it("reports an edited line at its group, a removed and a moved line at their seq", async () => {
    const b = await blockLog();
    const { store, log, lines } = b;
    header = b.header;
    const edited = [...lines];
    edited[11] = edited[11]!.replace('"result":"Success"', '"result":"InternalError"').replace('"result":"UnauthorizedOperation"', '"result":"Success"');
    await rewrite(store, edited);
    // One MAC per group commit: the group is what fails, named by its range.
    const r = await log.verify();
    expect(r.failure).toMatchObject({ seq: 1, reason: "mac-mismatch" });
    expect(r.failure?.detail).toMatch(/^events 1\.\.30 \(one group commit\)/);
    expect(r.checked).toBe(0);

    await rewrite(store, lines.filter((_l, i) => i !== 16));
    expect((await log.verify()).failure).toMatchObject({ seq: 17, reason: "missing" });

    const swapped = [...lines];
    [swapped[20], swapped[21]] = [swapped[21]!, swapped[20]!];
    await rewrite(store, swapped);
    expect((await log.verify()).failure).toMatchObject({ seq: 21, reason: "sequence-mismatch" });

    await rewrite(store, lines);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 35, headSeq: 35 });
  });
});

describe("audit log tamper evidence", () => {
  async function tampered(ops: (store: KvStore) => Promise<BatchOp[]>) {
    const { store, log, root } = await freshLog(10);
    await store.batch(await ops(store));
    // Both the live log and an offline verifier must see it.
    const live = await log.verify();
    const offline = await verifyChain(store, await loadAuditKey(store, root));
    expect(offline.failure).toEqual(live.failure);
    return live;
  }

  /** Edits the one event of the group stored at `seq`, keeping its header. */
  async function editOne(store: KvStore, seq: number, edit: (e: Record<string, unknown>) => void): Promise<BatchOp[]> {
    const block = parseBlockRecord(await rawGet(store, seq));
    if (block.format !== 2 || block.lines.length !== 1) throw new Error("expected a group of one event");
    const rec = JSON.parse(block.lines[0]!) as Record<string, unknown>;
    edit(rec);
    return [{ type: "put", key: keyspace.auditEvent(seq), value: Buffer.from(`{"v":2,"mac":"${block.mac}"}\n${JSON.stringify(rec)}`) }];
  }

  it("edit of one field → mac-mismatch at that event", async () => {
    const r = await tampered((store) =>
      editOne(store, 5, (rec) => {
        rec.result = "Success";
        rec.principalUin = "999";
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ seq: 5, reason: "mac-mismatch" });
    expect(r.checked).toBe(4);
  });

  it("edit of the latency alone is caught too", async () => {
    const r = await tampered((store) => editOne(store, 7, (rec) => (rec.latencyMs = (rec.latencyMs as number) + 0.001)));
    expect(r.failure).toMatchObject({ seq: 7, reason: "mac-mismatch" });
  });

  it("deletion of a middle event → missing at that seq", async () => {
    const r = await tampered(async () => [{ type: "del", key: keyspace.auditEvent(5) }]);
    expect(r.failure).toMatchObject({ seq: 5, reason: "missing" });
    expect(r.checked).toBe(4);
  });

  it("swapped events → sequence-mismatch at the first", async () => {
    const r = await tampered(async (store) => [
      { type: "put", key: keyspace.auditEvent(5), value: await rawGet(store, 6) },
      { type: "put", key: keyspace.auditEvent(6), value: await rawGet(store, 5) },
    ]);
    expect(r.failure).toMatchObject({ seq: 5, reason: "sequence-mismatch" });
  });

  it("deletion of the last event → head-mismatch at it", async () => {
    const r = await tampered(async () => [{ type: "del", key: keyspace.auditEvent(10) }]);
    expect(r.failure).toMatchObject({ seq: 10, reason: "head-mismatch" });
    expect(r.headSeq).toBe(10);
    expect(r.checked).toBe(9);
  });

  it("garbage bytes → unreadable at that event", async () => {
    const r = await tampered(async () => [{ type: "put", key: keyspace.auditEvent(3), value: Buffer.from([0xff, 0x00, 0x7b, 0x13]) }]);
    expect(r.failure).toMatchObject({ seq: 3, reason: "unreadable" });
  });

  it("a rollback of events and head together is caught by the live log's anchor", async () => {
    const { store, log, root } = await freshLog(10);
    const rec8 = parseBlockRecord(await rawGet(store, 8)) as { mac: string };
    await store.batch([
      { type: "del", key: keyspace.auditEvent(9) },
      { type: "del", key: keyspace.auditEvent(10) },
      { type: "put", key: keyspace.meta("audit-head"), value: Buffer.from(JSON.stringify({ seq: 8, mac: rec8.mac })) },
    ]);
    expect((await log.verify()).failure).toMatchObject({ seq: 9, reason: "head-mismatch" });
    // Without an anchor the shorter chain is self-consistent: the reason the live check exists.
    expect((await verifyChain(store, await loadAuditKey(store, root))).ok).toBe(true);
  });

  it("an event written past the head is flagged offline", async () => {
    const { store, root } = await freshLog(3);
    await store.batch([{ type: "put", key: keyspace.auditEvent(4), value: await rawGet(store, 3) }]);
    const r = await verifyChain(store, await loadAuditKey(store, root));
    expect(r.failure).toMatchObject({ seq: 4, reason: "head-mismatch" });
  });

  it("offline, events a live process commits during the scan are not flagged: the head has moved past them", async () => {
    const { store, log, root } = await freshLog(3);
    // The verifier reads the head, then the live log commits two more events before the scan reaches them.
    const get = store.get.bind(store);
    let heads = 0;
    store.get = async (key: string) => {
      const value = await get(key);
      if (key === keyspace.meta("audit-head") && heads++ === 0) {
        await log.append(event(4));
        await log.append(event(5));
      }
      return value;
    };
    const r = await verifyChain(store, await loadAuditKey(store, root));
    expect(r).toMatchObject({ ok: true, checked: 5, headSeq: 5 });
    expect(heads).toBeGreaterThan(1);
  });

  it("another root key cannot open the audit key", async () => {
    const { store } = await freshLog(2);
    await expect(AuditLog.open(store, createRootKey(randomBytes(32)))).rejects.toThrow(/audit key/);
  });

  it("another audit key fails verification at the first event", async () => {
    const { store } = await freshLog(2);
    expect((await verifyChain(store, randomBytes(32))).failure).toMatchObject({ seq: 1, reason: "mac-mismatch" });
  });
});

describe("toJsonLines", () => {
  it("writes one JSON object per line and round-trips", async () => {
    const { log } = await freshLog(3);
    const { events } = await log.query({}, { limit: 10 });
    const text = toJsonLines(events);
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.split("\n").slice(0, -1);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => JSON.parse(l) as StoredAuditEvent)).toEqual(events);
    expect(toJsonLines([])).toBe("");
  });
});
