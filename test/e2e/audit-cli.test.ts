/**
 * The offline audit CLI (src/cli/audit.ts) against a real data directory:
 * a server makes some audited calls and stops, then the CLI runs as a child
 * process the way an operator runs it. Then one stored event is edited and
 * verification must point at it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs, parseTime, UsageError } from "../../src/cli/audit.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { readAudit, writeLines } from "../helpers/audit-store.js";
import { connectClients } from "../helpers/clients.js";
import { newDataDir, startTestServer, type TestServer } from "../helpers/server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(REPO, "src/cli/audit.ts");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An environment without the runner's KMS_* variables, so only what a test passes counts. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("KMS_")) env[k] = v;
  return { ...env, ...extra };
}

function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO, env: cleanEnv(env), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface ExportedEvent {
  seq: number;
  time: number;
  principalUin: string;
  action: string;
  keyIds: string[];
  result: string;
  transport: string;
  mac: string;
}

function parseLines(stdout: string): ExportedEvent[] {
  expect(stdout === "" || stdout.endsWith("\n")).toBe(true);
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as ExportedEvent);
}

describe("argument parsing", () => {
  it("reads commands, options in both spellings, and times as ISO or milliseconds", () => {
    expect(parseArgs(["verify"])).toEqual({ help: false, command: "verify", dataDir: undefined, filter: {} });
    expect(parseArgs(["export", "--data-dir", "/d", "--action=kms:Encrypt", "--from", "2026-11-23T12:00:00Z", "--to", "1800000000000", "--principal", "100000000001", "--key", "k", "--result", "Success"])).toEqual({
      help: false,
      command: "export",
      dataDir: "/d",
      filter: { action: "kms:Encrypt", fromMs: Date.UTC(2026, 10, 23, 12), toMs: 1_800_000_000_000, principalUin: "100000000001", keyId: "k", result: "Success" },
    });
    expect(parseArgs(["--help"])).toEqual({ help: true });
    expect(parseTime("--from", "2026-11-23")).toBe(Date.UTC(2026, 10, 23));
  });

  it("refuses what it cannot mean", () => {
    const bad = [[], ["frobnicate"], ["verify", "export"], ["export", "--bogus", "x"], ["export", "--action"], ["export", "--action", "a", "--action", "b"], ["export", "--from", "yesterday"], ["export", "--principal", "root"], ["export", "--from", "2000", "--to", "1000"], ["verify", "--action", "kms:Encrypt"], ["export", "-x"]];
    for (const argv of bad) expect(() => parseArgs(argv), argv.join(" ")).toThrow(UsageError);
  });
});

describe("offline audit CLI", () => {
  let ts: TestServer;
  let env: Record<string, string>;
  let keyId: string;

  beforeAll(async () => {
    ts = await startTestServer();
    env = { KMS_DATA_DIR: ts.dataDir, KMS_ROOT_KEY: ts.rootKey };
    const clients = connectClients(ts);
    try {
      const created = await clients.grpc.createKey({ alias: "audit-cli" });
      keyId = created.keyId;
      const enc = await clients.grpc.encrypt({ keyId, plaintext: Buffer.from("audited") });
      await clients.grpc.decrypt({ ciphertextBlob: enc.ciphertextBlob });
      await clients.connectJson.listKeys({});
      await clients.grpc.describeKey({ keyId });
    } finally {
      clients.close();
    }
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
  });

  it("refuses to run while the server holds the store", async () => {
    const r = await runCli(["verify"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/locked by another process: stop the KMS server first/);
    expect(r.stdout).toBe("");
    await ts.stop();
  });

  it("verify: an intact chain exits 0 with a one-line report", async () => {
    const r = await runCli(["verify"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; checked: number; headSeq: number; failure?: unknown };
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(report.headSeq);
    expect(report.headSeq).toBeGreaterThanOrEqual(5);
    expect(report.failure).toBeUndefined();
  });

  it("export: every event as JSON lines, in chain order", async () => {
    const r = await runCli(["export"], env);
    expect(r.code).toBe(0);
    const events = parseLines(r.stdout);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const actions = events.map((e) => e.action);
    for (const a of ["kms:CreateKey", "kms:Encrypt", "kms:Decrypt", "kms:ListKeys", "kms:DescribeKey"]) expect(actions).toContain(a);
    for (const e of events) {
      expect(e.result).toBe("Success");
      expect(e.mac).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(events.find((e) => e.action === "kms:ListKeys")?.transport).toBe("connect");
  });

  it("export: filters narrow the output", async () => {
    // The test server's clock stands still at this time, so [t, t+1) holds every event and [t+1, ...) none.
    const t = Date.UTC(2026, 10, 23, 12, 0, 0);
    // Each run takes LevelDB's lock, so they go one at a time, not in parallel.
    const byAction = parseLines((await runCli(["export", "--action", "kms:Encrypt"], env)).stdout);
    expect(byAction).toHaveLength(1);
    expect(byAction[0]?.keyIds).toEqual([keyId]);

    const byKey = parseLines((await runCli(["export", `--key=${keyId}`], env)).stdout);
    expect(byKey.map((e) => e.action).sort()).toEqual(["kms:CreateKey", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"]);
    expect(byKey.every((e) => e.time === t)).toBe(true);

    expect(parseLines((await runCli(["export", "--from", String(t), "--to", String(t + 1)], env)).stdout).length).toBeGreaterThanOrEqual(5);
    expect((await runCli(["export", "--from", new Date(t + 1).toISOString()], env)).stdout).toBe("");
    expect((await runCli(["export", "--principal", "999999999999", "--result", "Success"], env)).stdout).toBe("");
  });

  it("usage mistakes exit 2 with the usage", async () => {
    const r = await runCli(["export", "--action"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--action needs a value/);
    expect(r.stderr).toMatch(/usage: kms-audit/);
  });

  it("a wrong root key exits 2 and says so, without printing key material", async () => {
    const wrong = randomBytes(32).toString("base64");
    const r = await runCli(["verify"], { ...env, KMS_ROOT_KEY: wrong });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/root key does not match/);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toContain(wrong);
    expect(r.stderr).not.toContain(ts.rootKey);
  });

  it("no root key at all exits 2 and creates none", async () => {
    const r = await runCli(["verify"], { KMS_DATA_DIR: ts.dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/neither KMS_ROOT_KEY nor .*root\.key provides one/);
    await expect(access(join(ts.dataDir, "root.key"))).rejects.toThrow();
  });

  it("a directory without a store exits 2 and is left without one", async () => {
    const empty = await newDataDir();
    try {
      const r = await runCli(["export", "--data-dir", empty], { KMS_ROOT_KEY: ts.rootKey });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no KMS store in/);
      await expect(access(join(empty, "db"))).rejects.toThrow();
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("verify: an edited event breaks the chain at that event's group commit (exit 1)", async () => {
    let at = 0;
    const store = await openLevelStore(join(ts.dataDir, "db"), { sync: true });
    try {
      const snapshot = await readAudit(store);
      const line = snapshot.lines.get(3);
      expect(line).toBeDefined();
      const record = JSON.parse(line as string) as Record<string, unknown>;
      expect(record.seq).toBe(3);
      // A plausible forgery: the outcome rewritten, everything else (MAC included) untouched.
      record.result = record.result === "Success" ? "UnauthorizedOperation" : "Success";
      await writeLines(store, snapshot, new Map(snapshot.lines).set(3, JSON.stringify(record)));
      at = snapshot.blockStart(3);
    } finally {
      await store.close();
    }

    const r = await runCli(["verify"], env);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; checked: number; failure?: { seq: number; reason: string; detail: string } };
    expect(report.ok).toBe(false);
    expect(report.checked).toBe(at - 1);
    expect(report.failure).toMatchObject({ seq: at, reason: "mac-mismatch" });
    // Export still reads the (edited) events: it reports what is stored, verify judges it.
    const exported = await runCli(["export", "--from", "0"], env);
    expect(exported.code).toBe(0);
    expect(parseLines(exported.stdout).length).toBeGreaterThanOrEqual(5);
  });
});
