/**
 * `npm run store -- copy` between a real server's LevelDB and a private etcd,
 * both ways: every record of every space arrives byte for byte (count and
 * SHA-256 on both sides), and the server runs on the copied-back store.
 * Plus the refusals: a non-empty target, a LevelDB a server holds, a missing
 * source, the same store twice.
 */
import { execFile } from "node:child_process";
import { access, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStoreArgs, runStoreCli, UsageError } from "../../src/cli/store.js";
import { openEtcdStore } from "../../src/store/etcd-store.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { KvStore } from "../../src/store/store.js";
import { adminClient, connectClients } from "../helpers/clients.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { newDataDir, startTestServer, type TestServer } from "../helpers/server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  const code = await runStoreCli(argv, env, { stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

interface Report {
  ok: boolean;
  copied?: number;
  from: { count: number; sha256: string };
  to: { count: number; sha256: string };
}

async function spacesOf(store: KvStore): Promise<Set<string>> {
  const spaces = new Set<string>();
  for await (const key of store.scanKeys({ prefix: "" })) spaces.add(key.split("/")[1] as string);
  return spaces;
}

describe("npm run store: arguments", () => {
  it("parses copy and verify, and refuses what it cannot mean", () => {
    expect(parseStoreArgs(["copy", "--from", "level:./d/db", "--to=etcd:http://127.0.0.1:2379,http://127.0.0.1:2380", "--wipe-target"])).toMatchObject({
      command: "copy",
      from: { kind: "level" },
      to: { kind: "etcd", endpoints: "http://127.0.0.1:2379,http://127.0.0.1:2380" },
      wipeTarget: true,
    });
    expect(parseStoreArgs(["--help"])).toEqual({ help: true });
    for (const bad of [
      [],
      ["move", "--from", "level:a", "--to", "level:b"],
      ["copy", "--from", "level:a"],
      ["copy", "--from", "mysql:a", "--to", "level:b"],
      ["copy", "--from", "level:", "--to", "level:b"],
      ["copy", "--from", "level:a", "--to", "level:a"],
      ["copy", "--from", "level:a", "--from", "level:c", "--to", "level:b"],
      ["verify", "--from", "level:a", "--to", "level:b", "--wipe-target"],
      ["copy", "--from", "level:a", "--to", "level:b", "--force"],
    ])
      expect(() => parseStoreArgs(bad), bad.join(" ")).toThrow(UsageError);
  });

  it("runs as npm run store runs it, and a usage mistake exits 2 with the usage", async () => {
    const run = (args: string[]) =>
      new Promise<Run>((resolve) =>
        execFile(process.execPath, ["--import", "tsx", join(REPO, "src/cli/store.ts"), ...args], { cwd: REPO }, (e, stdout, stderr) =>
          resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, stdout, stderr }),
        ),
      );
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: kms-store <copy\|verify>/);
    const bad = await run(["copy"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from and --to are both required[\s\S]*usage:/);
  });
});

describe.skipIf(etcdSkip !== undefined)("npm run store: LevelDB ⇄ etcd", () => {
  let cluster: EtcdCluster;
  let server: TestServer;
  let levelDb: string;
  let etcdSpec: string;
  let ciphertext: Uint8Array;
  let copiedKeyId: string;
  const dirs: string[] = [];
  const env: Record<string, string> = { KMS_ETCD_PREFIX: "copy-test/", KMS_ETCD_MAX_TXN_OPS: "4096", KMS_ETCD_MAX_REQUEST_BYTES: String(8 * 1024 * 1024) };
  const openTarget = () => openEtcdStore({ endpoints: cluster.endpoints, prefix: "copy-test/" });

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
    etcdSpec = `etcd:${cluster.endpoints.join(",")}`;
    // A real server's store with a record in every space.
    server = await startTestServer();
    levelDb = join(server.dataDir, "db");
    const c = connectClients(server);
    const admin = adminClient(server);
    try {
      const { keyId } = await c.grpc.createKey({ alias: "copied" });
      copiedKeyId = keyId;
      ciphertext = (await c.grpc.encrypt({ keyId, plaintext: new TextEncoder().encode("moved intact"), encryptionContext: '{"m":"1"}' })).ciphertextBlob;
      const doomed = await c.grpc.createKey({ alias: "doomed" });
      await c.grpc.disableKey({ keyId: doomed.keyId });
      await c.grpc.scheduleKeyDeletion({ keyId: doomed.keyId, pendingWindowInDays: 7 });
      const external = await c.grpc.createKey({ alias: "byok", type: 2 });
      await c.grpc.getParametersForImport({ keyId: external.keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
      const { principal } = await admin.client.createPrincipal({ name: "mover" });
      const uin = principal?.uin as bigint;
      await admin.client.createToken({ principalUin: uin });
      await admin.client.createAccessKey({ principalUin: uin });
      await admin.client.createPolicy({
        name: "move-policy",
        document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:Encrypt"], resource: ["qcs::kms::uin/100000000001:key/*"] }] }),
      });
      await admin.client.attachPolicy({ principalUin: uin, policyName: "move-policy" });
    } finally {
      c.close();
      admin.close();
    }
    await server.stop();
  }, 120_000);

  afterAll(async () => {
    await server?.dispose().catch(() => undefined);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await cluster?.stop();
  });

  it("copies every record of every space into etcd and verifies count and digest", async () => {
    const source = await openLevelStore(levelDb, { sync: true });
    const spaces = await spacesOf(source);
    await source.close();
    for (const s of ["keys", "versions", "aliases", "principals", "access-keys", "tokens", "policies", "audit", "meta", "schedule", "import-tokens"]) expect(spaces, s).toContain(s);

    const run = await cli(["copy", "--from", `level:${levelDb}`, "--to", etcdSpec], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.copied).toBe(report.from.count);
    expect(report.to).toEqual(report.from);
    expect(report.from.count).toBeGreaterThan(20);

    const target = await openTarget();
    try {
      expect(await spacesOf(target)).toEqual(spaces);
    } finally {
      await target.close();
    }
  });

  it("refuses a non-empty target; --wipe-target deletes what it held and copies again", async () => {
    const refused = await cli(["copy", "--from", `level:${levelDb}`, "--to", etcdSpec], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the target etcd:.* is not empty \(it holds "v1\/.*"\): refusing to copy into it; --wipe-target/);
    expect(refused.stdout).toBe("");

    const target = await openTarget();
    await target.batch([{ type: "put", key: "v1/stray/left-over", value: new Uint8Array([1]) }]);
    await target.close();
    const run = await cli(["copy", "--from", `level:${levelDb}`, "--to", etcdSpec, "--wipe-target"], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/deleted \d+ keys from the target/);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.to).toEqual(report.from);
  });

  it("verify tells equal stores from different ones (exit 0, then 1)", async () => {
    const same = await cli(["verify", "--from", `level:${levelDb}`, "--to", etcdSpec], env);
    expect(same.code).toBe(0);
    expect((JSON.parse(same.stdout) as Report).ok).toBe(true);

    const target = await openTarget();
    const [key, value] = (await (async () => {
      for await (const e of target.scan({ prefix: "v1/keys/", limit: 1 })) return e;
      throw new Error("no key record");
    })()) as [string, Uint8Array];
    const altered = Uint8Array.from(value);
    altered[altered.length - 2] = (altered[altered.length - 2] as number) ^ 1;
    await target.batch([{ type: "put", key, value: altered }]);
    const differs = await cli(["verify", "--from", `level:${levelDb}`, "--to", etcdSpec], env);
    await target.batch([{ type: "put", key, value }]);
    await target.close();
    expect(differs.code).toBe(1);
    const report = JSON.parse(differs.stdout) as Report;
    expect(report.ok).toBe(false);
    expect(report.to.count).toBe(report.from.count);
    expect(report.to.sha256).not.toBe(report.from.sha256);
  });

  it("copies back into a new LevelDB, and the server runs on it: old ciphertext decrypts, the alias resolves, the audit chain verifies", async () => {
    const dataDir = await newDataDir();
    dirs.push(dataDir);
    const run = await cli(["copy", "--from", etcdSpec, "--to", `level:${join(dataDir, "db")}`], env);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Report).ok).toBe(true);
    // Same bytes as the original LevelDB, compared directly.
    const both = await cli(["verify", "--from", `level:${levelDb}`, "--to", `level:${join(dataDir, "db")}`]);
    expect(both.code).toBe(0);

    const again = await startTestServer({ dataDir, rootKey: server.rootKey });
    const c = connectClients(again);
    const admin = adminClient(again);
    try {
      const dec = await c.grpc.decrypt({ ciphertextBlob: ciphertext, encryptionContext: '{"m":"1"}' });
      expect(new TextDecoder().decode(dec.plaintext)).toBe("moved intact");
      expect((await c.grpc.describeKey({ keyId: copiedKeyId })).keyMetadata?.alias).toBe("copied");
      const report = await admin.client.verifyAuditLog({});
      expect(report).toMatchObject({ ok: true, failureReason: "" });
      expect(report.checked).toBeGreaterThan(5n);
    } finally {
      c.close();
      admin.close();
      await again.stop();
    }
  });

  it("refuses a LevelDB that a running server holds", async () => {
    const running = await startTestServer({ dataDir: server.dataDir, rootKey: server.rootKey });
    try {
      const run = await cli(["verify", "--from", `level:${levelDb}`, "--to", etcdSpec], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/is locked by another process: stop the KMS server first/);
    } finally {
      await running.stop();
    }
  });

  it("refuses a missing LevelDB source without creating one, and an unreachable etcd", async () => {
    const empty = await newDataDir();
    dirs.push(empty);
    const missing = await cli(["copy", "--from", `level:${join(empty, "db")}`, "--to", etcdSpec, "--wipe-target"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no LevelDB store in .*\/db/);
    await expect(access(join(empty, "db"))).rejects.toThrow();
    const unreachable = await cli(["copy", "--from", `level:${levelDb}`, "--to", "etcd:http://127.0.0.1:1"], { ...env });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach etcd at http:\/\/127\.0\.0\.1:1/);
  }, 30_000);
});
