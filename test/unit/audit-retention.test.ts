/**
 * Audit retention on a real LevelDB store: old events move into gzip'd
 * archive segments outside the store, the store keeps a base, and verify
 * proves the whole trail (archive + store) from event 1; a missing, edited,
 * cut, reordered or foreign segment is caught, and a pruned store verified
 * without its archive fails "archive-missing" instead of passing.
 */
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { archivedEvents, chainDir, decodeSegment, encodeSegment, listSegments } from "../../src/audit/archive.js";
import { AuditLog, loadAuditKey, verifyChain, type AuditEvent } from "../../src/audit/index.js";
import { auditMacKey, LEGACY_CHAIN, LEGACY_LAYOUT, readBase } from "../../src/audit/chain.js";
import { loadOrCreateCheckpointSigner } from "../../src/audit/checkpoint.js";
import { createRootKey, type RootKey } from "../../src/crypto/seal.js";
import { randomBytes } from "../../src/crypto/random.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { KvStore } from "../../src/store/store.js";
import { loadConfig, ConfigError } from "../../src/config.js";

const dirs: string[] = [];
const stores: KvStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
const event = (i: number): AuditEvent => ({ time: T0 + i * 1000, principalUin: "100", principalName: "alice", credential: "AKID", source: "10.0.0.1", transport: "grpc", action: "kms:Encrypt", keyIds: [`key-${i % 3}`], result: "Success", requestId: `req-${i}`, latencyMs: 1 });

interface Setup {
  store: KvStore;
  root: RootKey;
  log: AuditLog;
  archive: string;
}

async function setup(): Promise<Setup> {
  const base = await mkdtemp(join(tmpdir(), "kms-retention-"));
  dirs.push(base);
  const store = await openLevelStore(join(base, "db"), { sync: false });
  stores.push(store);
  const root = createRootKey(randomBytes(32));
  const archive = join(base, "archive");
  const log = await AuditLog.open(store, root, { retention: { dir: archive, maxAgeMs: DAY, maxEvents: undefined } });
  return { store, root, log, archive };
}

/** Events from..to: one by one (one group each), or `together` in groups of that many. */
async function append(log: AuditLog, from: number, to: number, together = 1): Promise<void> {
  for (let i = from; i <= to; i += together) {
    const group: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(i + together, to + 1); j++) group.push(log.append(event(j)));
    await Promise.all(group);
  }
}

/** Verifies with the archive directory (default the log's; null: none). */
async function verify(s: Setup, archive: string | null = s.archive) {
  return verifyChain(s.store, await loadAuditKey(s.store, s.root), archive === null ? {} : { archive });
}

async function storedBlocks(store: KvStore): Promise<number> {
  let n = 0;
  for await (const _ of store.scanKeys({ prefix: LEGACY_LAYOUT.eventsPrefix })) n++;
  return n;
}

describe("audit retention", () => {
  it("archives events older than the retention into a segment, prunes them, and verify proves the whole trail", async () => {
    const s = await setup();
    await append(s.log, 1, 30, 4); // groups of 4: archives split only at group ends
    // Events 1..30 are at T0+1s..T0+30s; "now" one day after event 13: events up to 12 are older than a day.
    const done = await s.log.archive(T0 + 13_000 + DAY);
    expect(done).toEqual([{ chain: LEGACY_CHAIN, first: 1, last: 12, file: "0000000000000001-0000000000000012.jsonl.gz", bytes: expect.any(Number) }]);
    const base = await readBase(s.store, auditMacKey(await loadAuditKey(s.store, s.root)));
    expect(base).toMatchObject({ chain: LEGACY_CHAIN, seq: 12, prevSeq: 0, archive: done[0]?.file });
    expect(await storedBlocks(s.store)).toBe(5); // 13..16, 17..20, 21..24, 25..28, 29..30

    const report = await verify(s);
    expect(report).toMatchObject({ ok: true, checked: 30, headSeq: 30, base: { seq: 12 }, archive: { segments: 1, checked: 12 } });
    // The log's own verify goes through its archive directory too.
    expect(await s.log.verify()).toMatchObject({ ok: true, checked: 30 });

    // The segment is gzip'd JSON lines: a header naming the chain boundary, then the groups as stored.
    const text = gunzipSync(await readFile(join(chainDir(s.archive, LEGACY_CHAIN), done[0]!.file))).toString("utf8");
    const lines = text.trimEnd().split("\n");
    expect(JSON.parse(lines[0]!)).toMatchObject({ archive: "kms-audit", v: 1, chain: LEGACY_CHAIN, first: 1, last: 12, prevMac: "0".repeat(64), lastMac: base!.mac });
    expect(lines).toHaveLength(1 + 3 + 12);
    expect(JSON.parse(lines[1]!)).toMatchObject({ v: 2, n: 4 });
    // Lossless and deterministic: decoded and encoded again, the same bytes (two runs over one range write one file).
    const bytes = await readFile(join(chainDir(s.archive, LEGACY_CHAIN), done[0]!.file));
    const decoded = decodeSegment(bytes);
    expect(encodeSegment(decoded.header, decoded.blocks).equals(bytes)).toBe(true);

    // The log goes on after its base; a second run chains its segment onto the first.
    await append(s.log, 31, 40);
    const second = await s.log.archive(T0 + 29_000 + DAY);
    expect(second.map((d) => [d.first, d.last])).toEqual([[13, 28]]);
    expect(await verify(s)).toMatchObject({ ok: true, checked: 40, headSeq: 40, base: { seq: 28 }, archive: { segments: 2, checked: 28 } });
    const exported = [];
    for await (const e of archivedEvents(s.archive, LEGACY_CHAIN)) exported.push(e.seq);
    expect(exported).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
  });

  it("a pruned store verified without its archive is not OK: it says where it starts and that the archive is needed", async () => {
    const s = await setup();
    await append(s.log, 1, 10);
    await s.log.archive(T0 + 5_000 + DAY);
    const report = await verify(s, null);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({ seq: 4, reason: "archive-missing" });
    expect(report.failure?.detail).toMatch(/starts at event 5: events 1\.\.4 were archived/);
    // The store's own part was verified all the same.
    expect(report.checked).toBe(6);
    // An archive directory without the segments: archive-missing as well, naming the events.
    const empty = await verify(s, join(s.archive, "elsewhere"));
    expect(empty.failure).toMatchObject({ seq: 1, reason: "archive-missing" });
  });

  it("catches a missing, edited, cut, reordered or renamed segment", async () => {
    const s = await setup();
    await append(s.log, 1, 40, 2);
    await s.log.archive(T0 + 11_000 + DAY); // 1..10
    await s.log.archive(T0 + 21_000 + DAY); // 11..20
    await s.log.archive(T0 + 31_000 + DAY); // 21..30
    const files = await listSegments(s.archive, LEGACY_CHAIN);
    expect(files.map((f) => [f.first, f.last])).toEqual([[1, 10], [11, 20], [21, 30]]);
    expect((await verify(s)).ok).toBe(true);
    const [a, b, c] = files as [(typeof files)[0], (typeof files)[0], (typeof files)[0]];
    const keep = await Promise.all(files.map((f) => readFile(f.path)));
    const restore = async () => {
      for (const f of await listSegments(s.archive, LEGACY_CHAIN)) await rm(f.path);
      await Promise.all(files.map((f, i) => writeFile(f.path, keep[i]!)));
      expect((await verify(s)).ok).toBe(true);
    };

    // Missing: the middle segment.
    await rm(b.path);
    expect((await verify(s)).failure).toMatchObject({ seq: 11, reason: "archive-missing" });
    await restore();
    // Missing: the last one (named by the base).
    await rm(c.path);
    expect((await verify(s)).failure).toMatchObject({ seq: 21, reason: "archive-missing" });
    await restore();

    // Edited: one event's action changed inside the gzip.
    const edited = gunzipSync(keep[1]!).toString("utf8").replace('"requestId":"req-15"', '"requestId":"req-X5"');
    await writeFile(b.path, gzipSync(Buffer.from(edited)));
    expect((await verify(s)).failure).toMatchObject({ seq: 15, reason: "archive-invalid" });
    await restore();

    // Cut short: the gzip stream ends early; and a segment whose last group was dropped (header kept).
    await writeFile(a.path, keep[0]!.subarray(0, keep[0]!.length - 20));
    expect((await verify(s)).failure).toMatchObject({ seq: 1, reason: "archive-invalid" });
    await restore();
    const dropped = gunzipSync(keep[0]!).toString("utf8").trimEnd().split("\n").slice(0, -3).join("\n");
    await writeFile(a.path, gzipSync(Buffer.from(`${dropped}\n`)));
    expect((await verify(s)).failure).toMatchObject({ seq: 9, reason: "archive-invalid" });
    await restore();

    // Reordered: two groups swapped inside a segment.
    const l = gunzipSync(keep[1]!).toString("utf8").trimEnd().split("\n");
    const swapped = [l[0], ...l.slice(4, 7), ...l.slice(1, 4), ...l.slice(7)];
    await writeFile(b.path, gzipSync(Buffer.from(`${swapped.join("\n")}\n`)));
    expect((await verify(s)).failure).toMatchObject({ seq: 11, reason: "archive-invalid" });
    await restore();

    // Renamed: segment 2 stored under another range's name; the header says otherwise.
    await rename(b.path, join(chainDir(s.archive, LEGACY_CHAIN), "0000000000000011-0000000000000019.jsonl.gz"));
    expect((await verify(s)).failure).toMatchObject({ seq: 11, reason: "archive-invalid" });
    await restore();

    // The last segment replaced by a valid-looking copy of other bytes (the base names its digest).
    const recompressed = gzipSync(gunzipSync(keep[2]!), { level: 1 });
    await writeFile(c.path, recompressed);
    expect((await verify(s)).failure).toMatchObject({ seq: 21, reason: "archive-invalid" });
    await restore();
  });

  it("archives by count (KMS_AUDIT_RETENTION_EVENTS) and leaves a segment past the base to the next run", async () => {
    const s = await setup();
    await append(s.log, 1, 25);
    const done = await s.log.archive(T0, { dir: s.archive, maxEvents: 10 });
    expect(done.map((d) => [d.first, d.last])).toEqual([[1, 15]]);
    expect(await storedBlocks(s.store)).toBe(10);
    // A segment an interrupted run wrote past the base is not part of the trail: verify leaves it out, the next run replaces it.
    const stray = join(chainDir(s.archive, LEGACY_CHAIN), "0000000000000016-0000000000000020.jsonl.gz");
    await writeFile(stray, gzipSync(Buffer.from("not a segment\n")));
    expect(await verify(s)).toMatchObject({ ok: true, checked: 25, archive: { segments: 1 } });
    await append(s.log, 26, 30);
    expect(await s.log.archive(T0, { dir: s.archive, maxEvents: 10 })).toEqual([]); // young: perhaps another leader's, left alone
    expect((await s.log.archive(T0, { dir: s.archive, maxEvents: 10, straySegmentGraceMs: 0 })).map((d) => [d.first, d.last])).toEqual([[16, 20]]);
    expect((await readdir(chainDir(s.archive, LEGACY_CHAIN))).sort()).toEqual(["0000000000000001-0000000000000015.jsonl.gz", "0000000000000016-0000000000000020.jsonl.gz"]);
    expect(await verify(s)).toMatchObject({ ok: true, checked: 30, archive: { segments: 2 } });
  });

  it("a checkpoint older than the store's start verifies against the archive, and a rewritten archive fails it", async () => {
    const s = await setup();
    await append(s.log, 1, 20);
    const key = await loadAuditKey(s.store, s.root);
    const before = await verifyChain(s.store, key);
    expect(before.ok).toBe(true);
    const signer = await loadOrCreateCheckpointSigner(s.store, s.root);
    // The head at event 8, as a checkpoint written then would have it.
    const { readAudit } = await import("../helpers/audit-store.js");
    const snap = await readAudit(s.store);
    const cp = signer.sign({ seq: 8, mac: snap.macAt(8) }, T0);
    await s.log.archive(T0 + 15_000 + DAY); // archives 1..14
    const checkpoints = { set: { valid: [cp], rejected: 0 }, storeKey: signer.publicKey };
    expect(await verifyChain(s.store, key, { archive: s.archive, checkpoints })).toMatchObject({ ok: true, checked: 20, checkpoint: { seq: 8 } });
    const forged = signer.sign({ seq: 8, mac: "ab".repeat(32) }, T0);
    const bad = await verifyChain(s.store, key, { archive: s.archive, checkpoints: { set: { valid: [forged], rejected: 0 }, storeKey: signer.publicKey } });
    expect(bad.failure).toMatchObject({ seq: 8, reason: "checkpoint-mismatch" });
  });

  it("refuses to archive a chain that does not verify", async () => {
    const s = await setup();
    await append(s.log, 1, 10);
    const { readAudit, writeLines } = await import("../helpers/audit-store.js");
    const snap = await readAudit(s.store);
    const lines = new Map(snap.lines);
    lines.set(3, lines.get(3)!.replace("req-3", "req-Z"));
    await writeLines(s.store, snap, lines);
    await expect(s.log.archive(T0 + 9_000 + DAY)).rejects.toThrow(/does not verify at event 3/);
    expect(await readBase(s.store, auditMacKey(await loadAuditKey(s.store, s.root)))).toBeUndefined();
    expect(await listSegments(s.archive, LEGACY_CHAIN)).toEqual([]);
  });

  it("per-replica chains: the leader archives every chain; the deployment verifies through each one's segments, witnesses of archived events included", async () => {
    const s = await setup();
    const policy = { dir: s.archive, maxEvents: 4, maxAgeMs: undefined };
    await append(s.log, 1, 8); // the store's one chain, from before replicas
    const r1 = await AuditLog.open(s.store, s.root, { chain: "r1", witnessMs: 3_600_000, retention: policy });
    const r2 = await AuditLog.open(s.store, s.root, { chain: "r2", witnessMs: 3_600_000, retention: policy });
    try {
      await append(r2, 1, 10);
      await r1.witness(); // r1 records r2's head (event 10, plus r2's own witness of r1 if any)
      await r1.flush();
      await append(r1, 11, 20);
      await append(r2, 21, 30);
      const done = await r1.archive(T0);
      expect(new Set(done.map((d) => d.chain))).toEqual(new Set(["r1", "r2", LEGACY_CHAIN]));
      const { verifyDeployment } = await import("../../src/audit/deployment.js");
      const key = await loadAuditKey(s.store, s.root);
      const report = await verifyDeployment(s.store, key, { archive: s.archive });
      expect(report.ok).toBe(true);
      expect(report.witnessesChecked).toBeGreaterThan(0);
      for (const c of report.chains.filter((c) => c.chain !== LEGACY_CHAIN)) expect(c).toMatchObject({ ok: true, checked: c.headSeq, base: { seq: c.headSeq - 4 } });
      expect((await verifyDeployment(s.store, key)).failure).toMatchObject({ reason: "archive-missing" });
      // One replica's segment gone: the deployment fails on that chain.
      const [first] = await listSegments(s.archive, "r2");
      await rm(first!.path);
      expect((await verifyDeployment(s.store, key, { archive: s.archive })).failure).toMatchObject({ chain: "r2", seq: 1, reason: "archive-missing" });
    } finally {
      await r1.close();
      await r2.close();
    }
  });

  it("keeps one segment's deletes within the store's batch limits (etcd's --max-txn-ops)", async () => {
    const s = await setup();
    await append(s.log, 1, 40);
    // The store as etcd with --max-txn-ops 10 would be: the base, its guard and at most 8 deleted blocks per batch.
    const limited = Object.create(s.store, { limits: { value: { maxOps: 10, maxBytes: Number.POSITIVE_INFINITY } } }) as KvStore;
    const key = auditMacKey(await loadAuditKey(s.store, s.root));
    const { archiveChain } = await import("../../src/audit/retention.js");
    const done = await archiveChain(limited, key, LEGACY_LAYOUT, { dir: s.archive, maxEvents: 4 }, T0);
    expect(done.map((d) => [d.first, d.last])).toEqual([[1, 8], [9, 16], [17, 24], [25, 32], [33, 36]]);
    expect(await verify(s)).toMatchObject({ ok: true, checked: 40, archive: { segments: 5 } });
  });

  it("CLI: --archive for verify and export", async () => {
    const { parseArgs } = await import("../../src/cli/audit.js");
    expect(parseArgs(["verify", "--archive", "/srv/kms-archive"])).toMatchObject({ command: "verify", archive: "/srv/kms-archive" });
    expect(parseArgs(["export", "--archive=/a", "--action", "kms:PurgeKey"])).toMatchObject({ command: "export", archive: "/a", filter: { action: "kms:PurgeKey" } });
  });

  it("config: KMS_AUDIT_RETENTION_DAYS / _EVENTS, the archive beside the data directory by default, never inside it", () => {
    const c = loadConfig({ KMS_DATA_DIR: "/srv/kms/data", KMS_AUDIT_RETENTION_DAYS: "90", KMS_AUDIT_RETENTION_EVENTS: "1000000" });
    expect(c.auditArchive).toEqual({ dir: "/srv/kms/data-audit-archive", maxAgeMs: 90 * DAY, maxEvents: 1_000_000 });
    expect(loadConfig({ KMS_DATA_DIR: "/srv/kms/data" }).auditArchive).toEqual({ dir: "/srv/kms/data-audit-archive", maxAgeMs: undefined, maxEvents: undefined });
    expect(() => loadConfig({ KMS_DATA_DIR: "/srv/kms/data", KMS_AUDIT_ARCHIVE_DIR: "/srv/kms/data/archive" })).toThrow(ConfigError);
    expect(() => loadConfig({ KMS_AUDIT_RETENTION_DAYS: "0" })).toThrow(/KMS_AUDIT_RETENTION_DAYS must be an integer in \[1, 36500\]/);
  });
});
