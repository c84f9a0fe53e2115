/**
 * Finding 13: the audit log cut short offline (newest events deleted, head
 * rewound) or wiped still verifies on its own; against the signed checkpoints
 * written outside the data directory it is `truncated`, through the CLI
 * (npm run audit -- verify --checkpoint) and through the service's verify
 * (VerifyAuditLog), while an intact log verifies ok.
 */
import { randomBytes } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/event.js";
import { runAuditCli } from "../../src/cli/audit.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { AUDIT_HEAD_STORE_KEY } from "../../src/audit/chain.js";
import { keyspace } from "../../src/store/keyspace.js";
import type { BatchOp } from "../../src/store/store.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { truncateChain } from "../helpers/audit-store.js";
import { captureLog } from "../helpers/log-capture.js";
import { openTrustedDomain } from "../helpers/trust-domain.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const event = (i: number): AuditEvent => ({ time: 1_800_000_000_000 + i, principalUin: "100000000001", principalName: "root", credential: "t", source: "127.0.0.1", transport: "grpc", action: "kms:CreateKey", keyIds: [], result: "Success", requestId: `r${i}`, latencyMs: 1 });

async function setup(): Promise<{ env: Record<string, string>; file: string; dataDir: string }> {
  const base = await mkdtemp(join(tmpdir(), "kms-cp-"));
  dirs.push(base);
  const dataDir = join(base, "data");
  const file = join(base, "outside", "checkpoints.jsonl");
  await import("node:fs/promises").then((fs) => fs.mkdir(join(base, "outside")));
  return { dataDir, file, env: { KMS_DATA_DIR: dataDir, KMS_ROOT_KEY: randomBytes(32).toString("base64"), KMS_AUDIT_CHECKPOINT_FILE: file, KMS_AUDIT_CHECKPOINT_EVENTS: "10" } };
}

async function appendEvents(env: Record<string, string>, from: number, count: number): Promise<void> {
  const d = await openTrustedDomain(env);
  for (let i = from; i < from + count; i++) await d.audit.append(event(i));
  await d.close();
}

async function verifyCli(env: Record<string, string>, argv: string[]): Promise<{ code: number; report: { ok: boolean; headSeq: number; failure?: { seq: number; reason: string; detail: string }; checkpoint?: { seq: number } } }> {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  const code = await runAuditCli(["verify", ...argv], env, { stdout: out, stderr: new PassThrough() });
  return { code, report: JSON.parse(text.trim()) };
}

/** Deletes every event after `keep` and rewinds the head onto event `keep`: a valid, shorter chain. */
async function truncate(dataDir: string, keep: number): Promise<void> {
  const store = await openLevelStore(join(dataDir, "db"), { sync: true });
  // The events were appended one by one: each is its own group, so the chain can be cut after any of them.
  expect(await truncateChain(store, keep)).toBe(keep);
  await store.close();
}

describe("audit checkpoints", () => {
  it("an intact log verifies ok against its checkpoints", async () => {
    const { env, file } = await setup();
    await appendEvents(env, 0, 35);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    // Every 10 events, plus one at shutdown.
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ v: 1, seq: 35, mac: expect.stringMatching(/^[0-9a-f]{64}$/), key: expect.any(String), sig: expect.any(String) });
    const r = await verifyCli(env, ["--checkpoint", file]);
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({ ok: true, headSeq: 35, checkpoint: { seq: 35 } });
  });

  it("detects offline truncation that the chain alone accepts", async () => {
    const { env, file, dataDir } = await setup();
    await appendEvents(env, 0, 35);
    await truncate(dataDir, 20);
    // The finding: the shorter chain is valid on its own.
    const alone = await verifyCli({ ...env, KMS_AUDIT_CHECKPOINT_FILE: "" }, []);
    expect(alone.report).toMatchObject({ ok: true, headSeq: 20 });
    const r = await verifyCli(env, ["--checkpoint", file]);
    expect(r.code).toBe(1);
    expect(r.report.failure).toMatchObject({ seq: 35, reason: "truncated" });
    expect(r.report.failure!.detail).toContain("the stored chain ends at 20");
    // KMS_AUDIT_CHECKPOINT_FILE is the default.
    expect((await verifyCli(env, [])).report.failure?.reason).toBe("truncated");

    // The service says so at start and in VerifyAuditLog, and keeps saying so after appending more.
    const log = captureLog();
    const d = await openTrustedDomain(env, { log });
    expect(log.has(/the audit log ends at event 20 but .* has a checkpoint at event 35/)).toBe(true);
    for (let i = 100; i < 130; i++) await d.audit.append(event(i));
    await d.audit.flush();
    const live = await d.audit.verify();
    expect(live.ok).toBe(false);
    expect(live.failure?.reason).toBe("checkpoint-mismatch");
    await d.close();
    expect((await verifyCli(env, ["--checkpoint", file])).report.failure?.reason).toBe("checkpoint-mismatch");
  });

  it("detects a wiped log, and one wiped and started again with new keys", async () => {
    const { env, file, dataDir } = await setup();
    await appendEvents(env, 0, 25);
    const store = await openLevelStore(join(dataDir, "db"), { sync: true });
    const ops: BatchOp[] = [];
    for await (const k of store.scanKeys({ prefix: keyspace.auditPrefix })) ops.push({ type: "del", key: k });
    ops.push({ type: "del", key: AUDIT_HEAD_STORE_KEY });
    await store.batch(ops);
    await store.close();
    const wiped = await verifyCli(env, ["--checkpoint", file]);
    expect(wiped.code).toBe(1);
    expect(wiped.report.failure).toMatchObject({ seq: 25, reason: "truncated" });

    // Wiped with its keys, and the service run again: a new chain under new keys, longer than the old one.
    const s2 = await openLevelStore(join(dataDir, "db"), { sync: true });
    await s2.batch([
      { type: "del", key: keyspace.meta("audit-key") },
      { type: "del", key: keyspace.meta("audit-checkpoint-key") },
    ]);
    await s2.close();
    await appendEvents(env, 0, 40);
    const restarted = await verifyCli(env, ["--checkpoint", file]);
    expect(restarted.code).toBe(1);
    expect(restarted.report.failure?.reason).toBe("truncated");
    expect(restarted.report.failure?.detail).toContain("signed by another checkpoint key");
  });

  it("checkpoints older than the store's first event verify against the archive", async () => {
    const { env, file, dataDir } = await setup();
    await appendEvents(env, 0, 35); // checkpoints at 10, 20, 30 and 35
    const archive = `${dataDir}-audit-archive`; // the default KMS_AUDIT_ARCHIVE_DIR
    const d = await openTrustedDomain(env);
    expect((await d.audit.archive(Date.now(), { dir: archive, maxEvents: 8 })).at(-1)?.last).toBe(27);
    expect(await d.audit.verify()).toMatchObject({ ok: true, checked: 35 });
    await d.close();
    const r = await verifyCli(env, ["--checkpoint", file]);
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({ ok: true, headSeq: 35, checkpoint: { seq: 35 }, base: { seq: 27 }, archive: { checked: 27 } });
    // Without the archive the checkpoints at 10 and 20 cannot be checked: not OK.
    await rm(archive, { recursive: true });
    const missing = await verifyCli(env, ["--checkpoint", file]);
    expect(missing.code).toBe(1);
    expect(missing.report.failure).toMatchObject({ seq: 1, reason: "archive-missing" });
  });

  it("ignores forged checkpoint lines and counts them", async () => {
    const { env, file } = await setup();
    await appendEvents(env, 0, 12);
    const last = JSON.parse((await readFile(file, "utf8")).trim().split("\n").at(-1)!) as Record<string, unknown>;
    // A line claiming a later head, with the real key but a signature over something else: not a checkpoint.
    await appendFile(file, `${JSON.stringify({ ...last, seq: 999 })}\nnot json\n`);
    const r = await verifyCli(env, ["--checkpoint", file]);
    expect(r.report).toMatchObject({ ok: true, checkpoint: { seq: 12, rejected: 1 } });
  });

  it("refuses a checkpoint file inside the data directory", () => {
    expect(() => loadConfig({ KMS_DATA_DIR: "/srv/kms", KMS_AUDIT_CHECKPOINT_FILE: "/srv/kms/cp.jsonl" })).toThrow(ConfigError);
    expect(() => loadConfig({ KMS_DATA_DIR: "/srv/kms", KMS_AUDIT_CHECKPOINT_FILE: "/srv/kms-checkpoints/cp.jsonl" })).not.toThrow();
  });
});
