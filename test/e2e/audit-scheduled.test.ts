/**
 * The scheduler's changes in the audit trail, through the real server: an
 * automatic key rotation, a key purge, a data key purge and a secret purge
 * done by a job pass are each exported as a system event (system:scheduler,
 * transport internal, the subject and its account), and the chain verifies.
 * Then retention through the leader's job: with KMS_AUDIT_RETENTION_EVENTS
 * old events leave the store for the archive directory, the service's own
 * verify and the CLI's prove the whole trail, export writes every event
 * once, and verify without the archive says it is needed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { SYSTEM_PRINCIPAL } from "../../src/audit/system.js";
import { runAuditCli } from "../../src/cli/audit.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tencentKms, tencentSsm } from "../helpers/tencent.js";

const DAY = 86_400_000;
const ACCOUNT = "100000000001";
const dirs: string[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.server.close().catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Exported {
  seq: number;
  principalName: string;
  transport: string;
  action: string;
  keyIds: string[];
  account?: string;
  result: string;
}

async function cli(argv: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (c: Buffer) => (stdout += c.toString()));
  err.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await runAuditCli(argv, env, { stdout: out, stderr: err });
  return { code, stdout, stderr };
}

const lines = (text: string): Exported[] => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Exported);

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const base = await mkdtemp(join(tmpdir(), "kms-sched-audit-"));
  dirs.push(base);
  const ts = await startTestServer({ dataDir: join(base, "data"), env: { KMS_AUDIT_ARCHIVE_DIR: join(base, "archive"), ...env } });
  servers.push(ts);
  return ts;
}

describe("scheduled work in the audit trail", () => {
  it("records every purge and automatic rotation a job pass does as a system event, in the chain", async () => {
    const ts = await server();
    const kms = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
    const ssm = tencentSsm(ts.httpUrl, ts.secretId, ts.secretKey);
    const rotating = (await kms.CreateKey({ Alias: "rotating" })).KeyId!;
    await kms.EnableKeyRotation({ KeyId: rotating, RotateDays: 7 });
    const doomed = (await kms.CreateKey({ Alias: "doomed" })).KeyId!;
    await kms.DisableKey({ KeyId: doomed });
    await kms.ScheduleKeyDeletion({ KeyId: doomed, PendingWindowInDays: 7 });
    const dataKey = (await kms.GenerateDataKey({ KeyId: rotating, KeySpec: "AES_256", IsHostedByKms: 1, DataKeyName: "dk-doomed" })).DataKeyId!;
    await kms.DisableDataKey({ DataKeyId: dataKey });
    await kms.ScheduleDataKeyDeletion({ DataKeyId: dataKey, PendingWindowInDays: 7 });
    await ssm.CreateSecret({ SecretName: "doomed-secret", SecretString: "s3cret" });
    await ssm.DisableSecret({ SecretName: "doomed-secret" });
    await ssm.DeleteSecret({ SecretName: "doomed-secret", RecoveryWindowInDays: 7 });

    ts.clock.advance(7 * DAY + 1000);
    const done = await ts.server.scheduler.runOnce();
    expect(done.map((d) => d.kind).sort()).toEqual(["datakey-deletion", "key-deletion", "rotation", "secret-purge"]);
    expect((await ts.server.audit.verify()).ok).toBe(true);
    await ts.server.close();

    const exported = await cli(["export", "--data-dir", ts.dataDir], ts.env);
    expect(exported.code).toBe(0);
    const system = lines(exported.stdout).filter((e) => e.principalName === SYSTEM_PRINCIPAL);
    const shape = { transport: "internal", result: "Success", account: ACCOUNT };
    expect(system.map((e) => [e.action, e.keyIds]).sort()).toEqual(
      [
        ["kms:PurgeKey", [doomed]],
        ["kms:RotateKey", [rotating]],
        ["kms:PurgeDataKey", [dataKey]],
        ["ssm:PurgeSecret", ["doomed-secret"]],
      ].sort(),
    );
    for (const e of system) expect(e).toMatchObject(shape);
    const verified = await cli(["verify", "--data-dir", ts.dataDir], ts.env);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checked: lines(exported.stdout).length });
  });

  it("a stale schedule entry (deletion cancelled) writes no system event", async () => {
    const ts = await server();
    const kms = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
    const keyId = (await kms.CreateKey({ Alias: "cancelled" })).KeyId!;
    await kms.DisableKey({ KeyId: keyId });
    await kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
    await kms.CancelKeyDeletion({ KeyId: keyId });
    ts.clock.advance(8 * DAY);
    expect((await ts.server.scheduler.runOnce()).filter((d) => d.kind === "key-deletion")).toEqual([]);
    const page = await ts.server.audit.query({ action: "kms:PurgeKey" }, { limit: 10 });
    expect(page.events).toEqual([]);
  });

  it("retention: the leader's job archives old events; verify proves archive + store; export writes each event once", async () => {
    const ts = await server({ KMS_AUDIT_RETENTION_EVENTS: "5" });
    const kms = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
    for (let i = 0; i < 12; i++) await kms.CreateKey({ Alias: `k${i}` });
    const done = (await ts.server.scheduler.runOnce()).filter((d) => d.kind === "audit-archive");
    expect(done.length).toBeGreaterThan(0);
    expect(done[0]?.subject).toMatch(/^@store events 1\.\.\d+ to 0{15}1-\d{16}\.jsonl\.gz$/);
    const online = await ts.server.audit.verify();
    expect(online).toMatchObject({ ok: true });
    expect(online.chains[0]?.base?.seq).toBeGreaterThan(0);
    await ts.server.close();

    const verified = await cli(["verify", "--data-dir", ts.dataDir], ts.env);
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout) as { ok: boolean; checked: number; headSeq: number; base: { seq: number }; archive: { segments: number; checked: number } };
    expect(report).toMatchObject({ ok: true, checked: report.headSeq, archive: { segments: 1, checked: report.base.seq } });
    const exported = lines((await cli(["export", "--data-dir", ts.dataDir], ts.env)).stdout);
    expect(exported.map((e) => e.seq)).toEqual(Array.from({ length: report.headSeq }, (_, i) => i + 1));
    expect(exported.filter((e) => e.action === "kms:CreateKey")).toHaveLength(12);

    // Without its archive the store alone is not the whole trail.
    const elsewhere = await mkdtemp(join(tmpdir(), "kms-no-archive-"));
    dirs.push(elsewhere);
    const missing = await cli(["verify", "--data-dir", ts.dataDir, "--archive", elsewhere], ts.env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).failure).toMatchObject({ seq: 1, reason: "archive-missing" });
  });
});
