/**
 * Metrics and logs through the real server: /metrics on its own listener
 * with every family of metrics, one JSON log line per call with its fields,
 * and no secret (plaintext, data key, token, secret key, root key, ...) in
 * any log line or metric.
 */
import { randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetricsService } from "../../gen/kms/v1/metrics_pb.js";
import { createJsonLogger } from "../../src/log.js";
import { adminClient, bearer, codeOf, connectClients, type ConnectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tencentKms } from "../helpers/tencent.js";

let ts: TestServer;
let clients: ConnectClients;
const lines: string[] = [];

beforeAll(async () => {
  const log = createJsonLogger("debug", { write: (line: string) => void lines.push(line) });
  ts = await startTestServer({ log, env: { KMS_METRICS_ADDR: "127.0.0.1:0", KMS_LOG_LEVEL: "debug" } });
  clients = connectClients(ts);
});
afterAll(async () => {
  clients.close();
  await ts.dispose();
});

async function scrape(path = "/metrics", init: RequestInit = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${ts.server.metrics!.port}${path}`, init);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one sample line, e.g. sample(text, 'kms_keys{state="Enabled"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every secret the calls below handle, in the spellings a leak could take. */
const secrets: string[] = [];
function secret(value: string | Uint8Array): void {
  const bytes = typeof value === "string" ? Buffer.from(value) : Buffer.from(value);
  secrets.push(bytes.toString("base64"), bytes.toString("hex"));
  if (typeof value === "string") secrets.push(value);
  else secrets.push(bytes.toString("base64url"));
}

describe("metrics and logs", () => {
  it("are fed by real calls on every transport, and never carry a secret", async () => {
    const plaintext = `top secret ${randomBytes(16).toString("hex")}`;
    secret(plaintext);
    secret(ts.token);
    secret(ts.secretKey);
    secret(Buffer.from(ts.rootKey, "base64"));

    const key = await clients.grpc.createKey({ alias: "metrics-1" });
    const enc = await clients.grpc.encrypt({ keyId: key.keyId, plaintext: Buffer.from(plaintext), encryptionContext: '{"app":"obs"}' });
    const dec = await clients.connectJson.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: '{"app":"obs"}' });
    expect(Buffer.from(dec.plaintext).toString()).toBe(plaintext);
    const dataKey = await clients.grpc.generateDataKey({ keyId: key.keyId, numberOfBytes: 32 });
    secret(dataKey.plaintext);
    const sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
    const sdkKey = await sdk.GenerateDataKey({ KeyId: key.keyId, NumberOfBytes: 32 });
    secret(Buffer.from(sdkKey.Plaintext!, "base64"));
    const admin = adminClient(ts);
    const p = await admin.client.createPrincipal({ name: "observed" });
    const token = await admin.client.createToken({ principalUin: p.principal!.uin });
    secret(token.secret);
    const ak = await admin.client.createAccessKey({ principalUin: p.principal!.uin });
    secret(ak.secretKey);
    admin.close();
    const sig = await clients.grpc.createKey({ alias: "metrics-sig", keyUsage: 6 });
    await clients.grpc.signByAsymmetricKey({ keyId: sig.keyId, algorithm: "ECC_P256_R1", message: Buffer.from(plaintext), messageType: 1 });
    // Refusals: an unknown key, and a caller with a bad token (Connect JSON, so the answer's RequestId is at hand).
    await clients.grpc.describeKey({ keyId: "00000000-0000-0000-0000-000000000000" }).catch(() => undefined);
    const refused = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/ListKeys`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer wrong-${plaintext.replace(/ /g, "-")}` }, body: "{}" });
    expect(refused.status).toBe(401);
    const refusedId = refused.headers.get("kms-request-id");
    await ts.server.audit.flush();

    const m = await scrape();
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(m.text, 'kms_calls_total{action="kms:Encrypt",transport="grpc",code="Success"}')).toBe(1);
    expect(sample(m.text, 'kms_calls_total{action="kms:Decrypt",transport="connect",code="Success"}')).toBe(1);
    expect(sample(m.text, 'kms_calls_total{action="kms:GenerateDataKey",transport="api3",code="Success"}')).toBe(1);
    expect(sample(m.text, 'kms_calls_total{action="kms:DescribeKey",transport="grpc",code="ResourceUnavailable.CmkNotFound"}')).toBe(1);
    expect(sample(m.text, 'kms_calls_total{action="kms:ListKeys",transport="connect",code="AuthFailure.TokenFailure"}')).toBe(1);
    expect(sample(m.text, 'kms_calls_total{action="kmsadmin:CreateToken",transport="grpc",code="Success"}')).toBe(1);
    expect(sample(m.text, 'kms_call_duration_seconds_count{action="kms:Encrypt"}')).toBe(1);
    expect(sample(m.text, 'kms_call_duration_seconds_bucket{le="10",action="kms:Encrypt"}')).toBe(1);
    expect(sample(m.text, 'kms_keys{state="Enabled"}')).toBe(2);
    expect(sample(m.text, 'kms_keys{state="Disabled"}')).toBe(0);
    expect(sample(m.text, "kms_asymmetric_queue_length")).toBe(0);
    expect(sample(m.text, 'kms_store_batch_duration_seconds_count{durable="true"}')).toBeGreaterThanOrEqual(4);
    expect(sample(m.text, "kms_audit_commit_duration_seconds_count")).toBeGreaterThanOrEqual(4);
    expect(sample(m.text, 'kms_scheduler_lag_seconds{kind="key-deletion"}')).toBe(0);
    expect(m.text).toMatch(/^nodejs_eventloop_lag_seconds /m);

    // One JSON line per call, with its fields.
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = records.filter((r) => r.msg === "call");
    expect(calls.length).toBeGreaterThanOrEqual(11);
    const encLine = calls.find((r) => r.action === "kms:Encrypt");
    expect(encLine).toMatchObject({ level: "debug", uin: "100000000001", transport: "grpc", code: "Success" });
    expect(Object.keys(encLine!).sort()).toEqual(["action", "code", "latencyMs", "level", "msg", "requestId", "time", "transport", "uin"]);
    expect(typeof encLine!.latencyMs).toBe("number");
    expect(calls.find((r) => r.requestId === refusedId)).toMatchObject({ action: "kms:ListKeys", transport: "connect", code: "AuthFailure.TokenFailure", uin: "" });
    expect(calls.find((r) => r.transport === "api3")).toMatchObject({ action: "kms:GenerateDataKey", code: "Success" });

    // No secret anywhere.
    const everything = `${lines.join("")}\n${m.text}`;
    expect(secrets.length).toBeGreaterThanOrEqual(20);
    for (const s of secrets) expect(everything.includes(s), `a secret (${s.length} chars) leaked`).toBe(false);
    expect(everything).not.toContain("top secret");
  });

  it("measure the scheduler's lag and the keys' states as they change", async () => {
    const key = await clients.grpc.createKey({ alias: "metrics-doomed" });
    await clients.grpc.disableKey({ keyId: key.keyId });
    expect(sample((await scrape()).text, 'kms_keys{state="Disabled"}')).toBe(1);
    await clients.grpc.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 });
    ts.clock.advance(8 * 86_400_000);
    let m = await scrape();
    expect(sample(m.text, 'kms_keys{state="PendingDelete"}')).toBe(1);
    expect(sample(m.text, 'kms_scheduler_lag_seconds{kind="key-deletion"}')).toBe(86_400);
    await ts.server.scheduler.runOnce();
    m = await scrape();
    expect(sample(m.text, 'kms_scheduler_lag_seconds{kind="key-deletion"}')).toBe(0);
    expect(sample(m.text, 'kms_keys{state="PendingDelete"}')).toBe(0);
  });

  it("answer only GET /metrics", async () => {
    expect((await scrape("/")).status).toBe(404);
    expect((await scrape("/metrics/../admin")).status).toBe(404);
    expect((await scrape("/metrics", { method: "POST", body: "x" })).status).toBe(405);
    expect((await scrape("/metrics", { method: "HEAD" })).status).toBe(200);
  });
});

/** A MetricsService client over Connect (the console's protocol) with a bearer token. */
function metricsClient(s: TestServer, token: string) {
  return createClient(MetricsService, createConnectTransport({ baseUrl: s.httpUrl, httpVersion: "1.1", useBinaryFormat: true, interceptors: [bearer(token)] }));
}

describe("GetMetrics (the registry through the API)", () => {
  it("answers the listener's exposition to the root, and counts calls as they happen", async () => {
    const client = metricsClient(ts, ts.token);
    await clients.grpc.generateRandom({ numberOfBytes: 8 });
    const series = 'kms_calls_total{action="kms:GenerateRandom",transport="grpc",code="Success"}';
    const before = await client.getMetrics({});
    expect(before.enabled).toBe(true);
    const n = sample(before.text, series) ?? 0;
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await clients.grpc.generateRandom({ numberOfBytes: 8 });
    const after = await client.getMetrics({});
    expect(sample(after.text, series)).toBe(n + 3);
    // The same registry the listener renders: every series name of one is in the other.
    const names = (text: string) => new Set(text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]));
    expect(names(after.text)).toEqual(names((await scrape()).text));
    // The read itself is counted and audited like any call.
    const again = await client.getMetrics({});
    expect(sample(again.text, 'kms_calls_total{action="kmsadmin:GetMetrics",transport="connect",code="Success"}')).toBeGreaterThanOrEqual(2);
    await ts.server.audit.flush();
    const admin = adminClient(ts);
    const events = await admin.client.queryAuditEvents({ action: "kmsadmin:GetMetrics", limit: 100 });
    admin.close();
    expect(events.events.length).toBeGreaterThanOrEqual(3);
    expect(events.events.every((e) => e.result === "Success")).toBe(true);
  });

  it("a sub-user needs kmsadmin:GetMetrics; a bad token is refused", async () => {
    const admin = adminClient(ts);
    const p = (await admin.client.createPrincipal({ name: "metrics-reader" })).principal!;
    const token = (await admin.client.createToken({ principalUin: p.uin })).secret;
    const client = metricsClient(ts, token);
    expect(await codeOf(client.getMetrics({}))).toBe("UnauthorizedOperation");
    await admin.client.createPolicy({ name: "read-metrics", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kmsadmin:GetMetrics"], resource: ["*"] }] }) });
    await admin.client.attachPolicy({ principalUin: p.uin, policyName: "read-metrics" });
    const r = await client.getMetrics({});
    expect(r.enabled).toBe(true);
    expect(r.text).toContain("# TYPE kms_calls_total counter");
    admin.close();
    expect(await codeOf(metricsClient(ts, "not-a-token").getMetrics({}))).toBe("AuthFailure.TokenFailure");
  });
});

describe("defaults", () => {
  it("metrics are off and per-call lines are not written unless asked", async () => {
    const own: string[] = [];
    const s = await startTestServer({ log: createJsonLogger("debug", { write: (l: string) => void own.push(l) }) });
    try {
      expect(s.server.metrics).toBeUndefined();
      // Through the API, metrics off is an answer, not an error.
      expect(await metricsClient(s, s.token).getMetrics({})).toMatchObject({ enabled: false, text: "" });
      const c = connectClients(s);
      await c.grpc.generateRandom({ numberOfBytes: 8 });
      c.close();
      const records = own.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.filter((r) => r.msg === "call")).toEqual([]);
      expect(records.every((r) => r.level !== "debug")).toBe(true);
    } finally {
      await s.dispose();
    }
  });

  it("KMS_CALL_LOG_LEVEL=info writes the per-call line at info", async () => {
    const own: string[] = [];
    const s = await startTestServer({ log: createJsonLogger("info", { write: (l: string) => void own.push(l) }), env: { KMS_CALL_LOG_LEVEL: "info" } });
    try {
      const c = connectClients(s);
      await c.grpc.generateRandom({ numberOfBytes: 8 });
      c.close();
      const calls = own.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === "call");
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ level: "info", action: "kms:GenerateRandom", code: "Success" });
    } finally {
      await s.dispose();
    }
  });
});
