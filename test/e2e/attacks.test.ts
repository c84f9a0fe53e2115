/**
 * The attacks of the security review (issue #13), each reproduced against
 * the real server and shown to fail now. Transport findings: credentials
 * before bodies, bounded connections and streams, API 3.0 replay and
 * repurposing, scope and signed-header rules.
 */
import http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { send, tc3Headers, tencentKms, type HandSigned } from "../helpers/tencent.js";

let ts: TestServer;
let host: string;
let keyId: string;

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_MAX_STREAMS_PER_CONNECTION: "8", KMS_IDLE_TIMEOUT_MS: "500", KMS_REQUEST_TIMEOUT_MS: "1500", KMS_MAX_CONNECTIONS: "64" } });
  host = ts.httpUrl.replace("http://", "");
  keyId = (await tencentKms(ts.httpUrl, ts.secretId, ts.secretKey).CreateKey({ Alias: "attack-target" })).KeyId!;
});
afterAll(async () => {
  await ts.dispose();
});

/** The same request body with different spacing in each test, so no two tests share a signature within one second. */
let spacing = 0;
function bodyFor(value: object): string {
  return JSON.stringify(value).replace("{", `{${" ".repeat(++spacing)}`);
}

function signedRequest(over: Partial<HandSigned> & { action: string; body: string }): { headers: Record<string, string>; body: string } {
  const r: HandSigned = { secretId: ts.secretId, secretKey: ts.secretKey, host, ...over };
  return { headers: tc3Headers(r), body: r.body };
}

async function code(req: { headers: Record<string, string>; body: string }, from?: string): Promise<string | undefined> {
  const a = await send(ts.httpUrl, req.headers, req.body, "POST", "/", from);
  return a.body.Response.Error?.Code;
}

async function keyState(): Promise<string> {
  return (await tencentKms(ts.httpUrl, ts.secretId, ts.secretKey).DescribeKey({ KeyId: keyId })).KeyMetadata!.KeyState!;
}

describe("API 3.0 signatures (finding 3)", () => {
  it("refuses a captured DescribeKey replayed from elsewhere as DisableKey, ArchiveKey or in another region, and the key stays enabled", async () => {
    const captured = signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }) });
    expect(await code(captured)).toBeUndefined();
    for (const action of ["DisableKey", "ArchiveKey", "DeleteImportedKeyMaterial"]) {
      const repurposed = { ...captured, headers: { ...captured.headers, "X-TC-Action": action } };
      expect(await code(repurposed, "127.0.0.2"), action).toBe("AuthFailure.SignatureFailure");
    }
    expect(await keyState()).toBe("Enabled");
  });

  it("refuses a state-changing request replayed from elsewhere, and accepts the client's own repeat", async () => {
    const disable = signedRequest({ action: "DisableKey", body: bodyFor({ KeyId: keyId }) });
    expect(await code(disable)).toBeUndefined();
    const enable = { ...disable, headers: { ...disable.headers, "X-TC-Action": "EnableKey" } };
    // The same client calling EnableKey with the same body in the same second signs identically: accepted.
    expect(await code(enable)).toBeUndefined();
    expect(await code(disable, "127.0.0.2")).toBe("AuthFailure.SignatureFailure");
    expect(await keyState()).toBe("Enabled");
  });

  it("answers a read-only request again from elsewhere (only TLS stops its capture)", async () => {
    const describe = signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }) });
    expect(await code(describe)).toBeUndefined();
    expect(await code(describe, "127.0.0.3")).toBeUndefined();
  });

  it("refuses a signature that covers neither the host nor the content type", async () => {
    const bare = signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }), signedHeaders: ["x-tc-version"] });
    expect(await code(bare)).toBe("AuthFailure.InvalidAuthorization");
    const withAction = signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }), signedHeaders: ["content-type", "host", "x-tc-action"] });
    expect(await code(withAction)).toBeUndefined();
  });

  it("refuses a credential scope naming another service, and accepts kms and the Node SDK's host label", async () => {
    for (const service of ["cvm", "zzz", "ssm"]) expect(await code(signedRequest({ action: "DescribeKey", body: "{}", service })), service).toBe("AuthFailure.SignatureFailure");
    expect(await code(signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }), service: "kms" }))).toBeUndefined();
    expect(await code(signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }), service: "127", canonicalHost: "127.0.0.1" }))).toBeUndefined();
  });

  it("refuses UNSIGNED-PAYLOAD unless the operator allows it, so a captured header cannot carry another body", async () => {
    const unsigned = signedRequest({ action: "DescribeKey", body: bodyFor({ KeyId: keyId }), unsignedPayload: true });
    expect(await code(unsigned)).toBe("AuthFailure.SignatureFailure");
    expect(await code({ ...unsigned, body: JSON.stringify({ KeyId: "00000000-0000-4000-8000-000000000000" }) })).toBe("AuthFailure.SignatureFailure");
  });
});

/** A raw HTTP/2 session on the h2c port, once the server's SETTINGS have arrived. */
function session(): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(ts.grpcUrl);
    s.once("remoteSettings", () => resolve(s));
    s.once("error", reject);
  });
}

describe("resources (findings 1 and 2)", () => {
  it("refuses a Connect call without credentials before reading its body", async () => {
    const s = await session();
    const stream = s.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/Encrypt", "content-type": "application/json" });
    // Send the first bytes of a large body and never finish it: the answer must come anyway, from the headers alone.
    stream.write(Buffer.alloc(64 * 1024, 0x20));
    const status = await new Promise<number>((resolve) => stream.once("response", (h) => resolve(Number(h[":status"]))));
    expect(status).toBe(401);
    stream.close();
    s.close();
  });

  it("advertises a bounded number of streams per connection", async () => {
    const s = await session();
    expect(s.remoteSettings.maxConcurrentStreams).toBe(8);
    s.close();
  });

  it("closes an idle HTTP/2 connection that only sent its preface", async () => {
    const socket: Socket = connect(Number(new URL(ts.grpcUrl).port), "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      socket.on("data", () => undefined);
      socket.once("close", () => resolve(Date.now() - t0));
    });
    expect(closedAfter).toBeLessThan(5000);
  });

  it("cancels a stream whose body never finishes, and keeps serving others", async () => {
    const s = await session();
    const stream = s.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/GetRegions", "content-type": "application/grpc", authorization: `Bearer ${ts.token}` });
    const started = performance.now();
    stream.write(Buffer.from([0, 0, 0, 0, 10]));
    const ended = await new Promise<string>((resolve) => {
      stream.on("data", () => undefined);
      stream.once("close", () => resolve(`closed ${stream.rstCode}`));
    });
    // Cancelled (NGHTTP2_CANCEL) once KMS_REQUEST_TIMEOUT_MS (1500) has passed, not before.
    expect(ended).toBe(`closed ${http2.constants.NGHTTP2_CANCEL}`);
    expect(performance.now() - started).toBeGreaterThan(1400);
    s.close();
    expect((await tencentKms(ts.httpUrl, ts.secretId, ts.secretKey).GetRegions()).Regions).toEqual(["ap-guangzhou"]);
  });

  it("cancels a call whose body trickles in a byte at a time: the request timeout counts from its headers, not from its last byte", async () => {
    const s = await session();
    const stream = s.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/GetRegions", "content-type": "application/grpc", authorization: `Bearer ${ts.token}` });
    const started = performance.now();
    stream.write(Buffer.from([0, 0, 0, 0, 10]));
    const drip = setInterval(() => stream.closed || stream.write(Buffer.from([0x0a])), 300);
    const ended = await new Promise<string>((resolve) => {
      stream.on("data", () => undefined);
      stream.once("close", () => resolve(`closed ${stream.rstCode}`));
    });
    clearInterval(drip);
    expect(ended).toBe(`closed ${http2.constants.NGHTTP2_CANCEL}`);
    expect(performance.now() - started).toBeLessThan(3000);
    s.close();
  });
});

describe("audit growth and matching cost (findings 5 and 10)", () => {
  async function subUserToken(name: string, document?: object): Promise<string> {
    const { adminClient } = await import("../helpers/clients.js");
    const admin = adminClient(ts);
    const p = (await admin.client.createPrincipal({ name })).principal!;
    if (document) {
      await admin.client.createPolicy({ name: `${name}-policy`, document: JSON.stringify(document) });
      await admin.client.attachPolicy({ principalUin: p.uin, policyName: `${name}-policy` });
    }
    const { secret } = await admin.client.createToken({ principalUin: p.uin });
    admin.close();
    return secret;
  }

  async function connectJson(path: string, body: unknown, token?: string): Promise<Response> {
    return fetch(`${ts.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  }

  it("writes at most a bounded number of events for a flood of calls without credentials", async () => {
    await ts.server.audit.flush();
    const before = (await ts.server.audit.query({ result: "AuthFailure.InvalidAuthorization" }, { limit: 1000 })).events.length;
    const started = performance.now();
    await Promise.all(Array.from({ length: 400 }, () => connectJson("/kms.v1.KeyManagementService/ListKeys", {}).then((r) => r.status)));
    const seconds = Math.ceil((performance.now() - started) / 1000);
    await ts.server.audit.flush();
    const after = (await ts.server.audit.query({ result: "AuthFailure.InvalidAuthorization" }, { limit: 1000 })).events.length;
    expect(after - before).toBeGreaterThan(0);
    // 20 events a second per source, with a burst of 20: bounded by the flood's duration, not its size.
    expect(after - before).toBeLessThanOrEqual(20 * (seconds + 1));
    expect(after - before).toBeLessThan(400);
  });

  it("keeps an event small when a caller names a hundred 9,000-character key ids", async () => {
    const token = await subUserToken("no-policy-flooder");
    const huge = Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(9000, "x"));
    const res = await connectJson("/kms.v1.KeyManagementService/DescribeKeys", { KeyIds: huge }, token);
    const requestId = res.headers.get("kms-request-id") ?? "";
    await ts.server.audit.flush();
    const [event] = (await ts.server.audit.query({ action: "kms:DescribeKeys" }, { limit: 1000 })).events.filter((e) => e.requestId === requestId);
    expect(event).toBeDefined();
    expect(JSON.stringify(event).length).toBeLessThan(2048);
  });

  it("checks the context's size before any condition is matched: a pathological string_like against 100 KB answers at once", async () => {
    const pattern = `${"*a".repeat(200)}*b`;
    const token = await subUserToken("pathological", { version: "2.0", statement: [{ effect: "allow", action: ["kms:Encrypt"], resource: ["*"], condition: { string_like: { "kms:encryption_context/app": [pattern] } } }] });
    const context = JSON.stringify({ app: "a".repeat(100_000) });
    const t0 = performance.now();
    const res = await connectJson("/kms.v1.KeyManagementService/Encrypt", { KeyId: keyId, Plaintext: "aGk=", EncryptionContext: context }, token);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.headers.get("kms-error-code")).toBe("InvalidParameterValue");
  });
});
