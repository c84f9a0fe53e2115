/** Persistence across restarts, and the root key: generated, supplied, wrong, missing. */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyState, KeyUsage } from "../../gen/kms/v1/kms_pb.js";
import { startKms } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { adminClient, codeOf, connectClients } from "../helpers/clients.js";
import { etcdSkip, startEtcd } from "../helpers/etcd.js";
import { etcdEnv } from "../helpers/replicas.js";
import { newDataDir, startTestServer } from "../helpers/server.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await newDataDir();
  dirs.push(d);
  return d;
}

describe("restart", () => {
  it("keeps keys, states, aliases and decryptability", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir });
    let c = connectClients(first);
    const { keyId } = await c.grpc.createKey({ alias: "persist", description: "survives", tags: [{ tagKey: "a", tagValue: "b" }] });
    const disabled = (await c.grpc.createKey({ alias: "persist-disabled" })).keyId;
    await c.grpc.disableKey({ keyId: disabled });
    const enc = await c.grpc.encrypt({ keyId, plaintext: new TextEncoder().encode("across restarts"), encryptionContext: '{"r":"1"}' });
    c.close();
    await first.stop();

    const second = await startTestServer({ dataDir, rootKey: first.rootKey, clock: first.clock });
    c = connectClients(second);
    const dec = await c.grpc.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: '{"r":"1"}' });
    expect(new TextDecoder().decode(dec.plaintext)).toBe("across restarts");
    expect((await c.grpc.describeKey({ keyId })).keyMetadata).toMatchObject({ alias: "persist", description: "survives" });
    expect((await c.grpc.describeKey({ keyId: disabled })).keyMetadata!.keyState).toBe(KeyState.DISABLED);
    expect((await c.grpc.getServiceStatus({})).cmkUserCount).toBe(2);
    expect((await c.grpc.listKeyDetail({ tagFilters: [{ tagKey: "a", tagValue: ["b"] }] })).totalCount).toBe(1);
    await expect(c.grpc.createKey({ alias: "persist" })).rejects.toThrow(/already in use/);
    c.close();
    await second.stop();
  });

  it("purges at start a key whose deletion fell due while the service was down", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir });
    const c = connectClients(first);
    const { keyId } = await c.grpc.createKey({ alias: "due-while-down" });
    await c.grpc.disableKey({ keyId });
    await c.grpc.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    c.close();
    await first.stop();
    first.clock.advance(8 * 86_400_000);
    const second = await startTestServer({ dataDir, rootKey: first.rootKey, clock: first.clock });
    expect(await second.server.deps.repo.getKey(keyId)).toBeUndefined();
    expect(second.server.deps.repo.count).toBe(0);
    await second.stop();
  });
});

describe("shutdown", () => {
  it("drains a call in flight: it completes, is acknowledged, and is there after restart", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir });
    const c = connectClients(first);
    const repo = first.server.deps.repo;
    const commit = repo.commit.bind(repo);
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    // Hold the write so the call is provably in flight when shutdown starts.
    repo.commit = async (ops, delta) => {
      entered();
      await new Promise((r) => setTimeout(r, 300));
      return commit(ops, delta);
    };
    const pending = c.grpc.createKey({ alias: "in-flight" });
    await inFlight;
    const closing = first.stop();
    const created = await pending;
    await closing;
    c.close();
    const second = await startTestServer({ dataDir, rootKey: first.rootKey });
    expect((await second.server.deps.repo.getKey(created.keyId))?.alias).toBe("in-flight");
    await second.stop();
  });
});

describe("root key", () => {
  it("a wrong root key stops the start and changes nothing", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir });
    const c = connectClients(first);
    const { keyId } = await c.grpc.createKey({ alias: "sealed" });
    c.close();
    await first.stop();

    const wrong = randomBytes(32).toString("base64");
    const env = { ...first.env, KMS_ROOT_KEY: wrong };
    await expect(startKms(loadConfig(env), { log: silentLogger })).rejects.toThrow(/root key does not match/);

    const again = await startTestServer({ dataDir, rootKey: first.rootKey });
    expect((await again.server.deps.repo.getKey(keyId))?.alias).toBe("sealed");
    await again.stop();
  });

  it("refuses to invent a key for a sealed store", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir });
    await first.stop();
    const env: Record<string, string> = { ...first.env, KMS_ROOT_KEY: "" };
    await expect(startKms(loadConfig(env), { log: silentLogger })).rejects.toThrow(/neither KMS_ROOT_KEY nor/);
    await expect(stat(join(dataDir, "root.key"))).rejects.toThrow();
  });

  it("rejects a malformed KMS_ROOT_KEY", () => {
    expect(() => loadConfig({ KMS_ROOT_KEY: Buffer.alloc(16).toString("base64") })).toThrow(/exactly 32 bytes/);
    expect(() => loadConfig({ KMS_ROOT_KEY: "not base64!" })).toThrow(/exactly 32 bytes/);
  });
});

/** Runs the build `npm start` runs (dist/main.js) as an operator would, reading its log lines. */
function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ["dist/main.js"], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms = 15_000) => {
    const until = Date.now() + ms;
    while (!re.test(log)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${re} in:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return re.exec(log)!;
  };
  return { child, exited, waitFor, log: () => log };
}

describe("the process", () => {
  beforeAll(() => {
    execFileSync("npm", ["run", "--silent", "build"], { stdio: "ignore" });
  }, 60_000);

  it("generates a 0600 root key with a warning, logs each listener (JSON lines), serves, and drains on SIGTERM", async () => {
    const dataDir = await tempDir();
    const p = startProcess({ KMS_DATA_DIR: dataDir, KMS_GRPC_ADDR: "127.0.0.1:0", KMS_HTTP_ADDR: "127.0.0.1:0", KMS_ROOT_KEY: "", KMS_METRICS_ADDR: "127.0.0.1:0" });
    const grpcPort = Number((await p.waitFor(/\(h2c\) listening on 127\.0\.0\.1:(\d+)/))[1]);
    const httpPort = Number((await p.waitFor(/\(HTTP\/1\.1\) listening on 127\.0\.0\.1:(\d+)/))[1]);
    const metricsPort = Number((await p.waitFor(/metrics listening on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    expect(p.log()).toMatch(/"level":"warn"[^\n]*"msg":"generated a root key/);
    expect((await stat(join(dataDir, "root.key"))).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(join(dataDir, "root.key"), "utf8")).trim(), "base64")).toHaveLength(32);

    // The first start bootstraps the root and says where its credentials are.
    const credentialsFile = join(dataDir, "root-credentials.json");
    expect(p.log()).toContain(credentialsFile);
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(await readFile(credentialsFile, "utf8")) as { Uin: string; SecretId: string; SecretKey: string; Token: string };
    expect(credentials.SecretId).toMatch(/^AKID[A-Za-z0-9]{32}$/);
    const anonymous = connectClients({ grpcUrl: `http://127.0.0.1:${grpcPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, token: "not-a-token" });
    expect(await codeOf(anonymous.grpc.listKeys({}))).toBe("AuthFailure.TokenFailure");
    anonymous.close();
    const c = connectClients({ grpcUrl: `http://127.0.0.1:${grpcPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, token: credentials.Token });
    const { keyId } = await c.grpc.createKey({ alias: "proc" });
    const enc = await c.connectJson.encrypt({ keyId, plaintext: new TextEncoder().encode("p") });
    // Private-key work runs in the bundled worker (dist/worker.js).
    const signer = (await c.grpc.createKey({ alias: "proc-signer", keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC })).keyId;
    const message = Buffer.from("signed by the built worker");
    const { signature } = await c.grpc.signByAsymmetricKey({ keyId: signer, algorithm: "ECC_P256_R1", message });
    expect((await c.grpc.verifyByAsymmetricKey({ keyId: signer, algorithm: "ECC_P256_R1", message, signatureValue: signature })).signatureValid).toBe(true);
    c.close();
    expect(p.log()).not.toContain(Buffer.from(enc.ciphertextBlob).toString("base64"));
    expect(p.log()).not.toContain(credentials.Token);
    expect(p.log()).not.toContain(credentials.SecretKey);
    // The bundled server serves its metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^kms_calls_total\{action="kms:Encrypt",transport="connect",code="Success"\} 1$/m);

    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.log()).toMatch(/SIGTERM received, draining[\s\S]*stopped/);
    for (const line of p.log().trim().split("\n")) expect(JSON.parse(line)).toHaveProperty("msg");
  });

  it("exits 1 with the reason when the root key is wrong", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir });
    await first.stop();
    const p = startProcess({ ...first.env, KMS_ROOT_KEY: randomBytes(32).toString("base64") });
    expect(await p.exited).toBe(1);
    expect(p.log()).toMatch(/cannot start: the root key does not match/);
  });

  it("exits 1 with the reason on bad configuration", async () => {
    const p = startProcess({ KMS_GRPC_ADDR: "nowhere" });
    expect(await p.exited).toBe(1);
    expect(p.log()).toMatch(/KMS_GRPC_ADDR must be host:port/);
  });

  it.skipIf(etcdSkip !== undefined)("KMS_WORKERS=2 on etcd: two worker replicas serve one port, a killed worker is started again, SIGTERM drains both", async () => {
    const cluster = await startEtcd({ members: 1 });
    try {
      const token = `root-${randomBytes(24).toString("base64url")}`;
      const p = startProcess({ ...etcdEnv(cluster, "workers-test/"), KMS_WORKERS: "2", KMS_REPLICA_ID: "box", KMS_DATA_DIR: await tempDir(), KMS_GRPC_ADDR: "127.0.0.1:0", KMS_HTTP_ADDR: "127.0.0.1:0", KMS_ROOT_KEY: randomBytes(32).toString("base64"), KMS_ROOT_TOKEN: token });
      const grpcPort = Number((await p.waitFor(/\(h2c\) listening on 127\.0\.0\.1:(\d+)/, 30_000))[1]);
      const httpPort = Number((await p.waitFor(/\(HTTP\/1\.1\) listening on 127\.0\.0\.1:(\d+)/))[1]);
      expect(p.log()).toMatch(/2 workers \(replicas box-0\.\.1\) on etcd/);
      const endpoint = { grpcUrl: `http://127.0.0.1:${grpcPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, token };
      // Connections are handed to the workers in turn: calls over several land on both, each writing its own audit chain.
      const clients = Array.from({ length: 4 }, () => connectClients(endpoint));
      const { keyId } = await clients[0]!.grpc.createKey({ alias: "on-workers" });
      for (const c of clients) await c.grpc.encrypt({ keyId, plaintext: new Uint8Array(1) });
      for (const c of clients) c.close();
      const admin = adminClient(endpoint);
      const report = await admin.client.verifyAuditLog({});
      admin.close();
      expect(report.ok).toBe(true);
      expect(report.chains.map((c) => c.chain)).toEqual(["box-0", "box-1"]);
      // A worker killed -9 is started again under its slot's name; the port serves throughout.
      const workers = async () => (await readFile(`/proc/${p.child.pid}/task/${p.child.pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean).map(Number);
      const [victim] = await workers();
      process.kill(victim as number, "SIGKILL");
      await p.waitFor(/worker \d exited \(SIGKILL\); starting it again/);
      for (let i = 0; i < 100 && (await workers()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await workers()).toHaveLength(2);
      const after = connectClients(endpoint);
      await after.grpc.encrypt({ keyId, plaintext: new Uint8Array(1) });
      after.close();
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      expect(p.log()).toMatch(/SIGTERM received, draining 2 worker\(s\)[\s\S]*stopped/);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
