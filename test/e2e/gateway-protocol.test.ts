/**
 * The API 3.0 protocol at the byte level: requests signed by hand the way the
 * Go and Python SDKs sign them, every signature and input failure with its
 * code, limits, and access keys managed through the admin RPCs.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessKeyStatus } from "../../gen/kms/v1/admin_pb.js";
import { ManualClock } from "../../src/clock.js";
import { adminClient, codeOf } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { send, sdkCode, tc3Headers, tencentKms, type HandSigned, type RawAnswer } from "../helpers/tencent.js";

let ts: TestServer;
let host: string;
let keyIds: string[];

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_MAX_BODY_BYTES: "4096", KMS_ALLOW_UNSIGNED_PAYLOAD: "true" } });
  host = ts.httpUrl.replace("http://", "");
  const sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
  keyIds = [(await sdk.CreateKey({ Alias: "proto-a" })).KeyId!, (await sdk.CreateKey({ Alias: "proto-b" })).KeyId!];
});
afterAll(async () => {
  await ts.dispose();
});

function signed(over: Partial<HandSigned> & { body: string }): Promise<RawAnswer> {
  const r: HandSigned = { action: "DescribeKeys", secretId: ts.secretId, secretKey: ts.secretKey, host, ...over };
  return send(ts.httpUrl, tc3Headers(r), r.body);
}

function expectEnvelope(a: RawAnswer): void {
  expect(a.status).toBe(200);
  expect(a.contentType).toBe("application/json");
  expect(a.body.Response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
}

async function codeFrom(p: Promise<RawAnswer>): Promise<string | undefined> {
  const a = await p;
  expectEnvelope(a);
  return a.body.Response.Error?.Code;
}

describe("signatures as each SDK makes them", () => {
  it("accepts the Go/Python form: service kms, host with port, spaced JSON", async () => {
    const body = `{"KeyIds": ["${keyIds[0]}", "${keyIds[1]}"]}`;
    const a = await signed({ body });
    expectEnvelope(a);
    expect(a.body.Response.Error).toBeUndefined();
    expect((a.body.Response.KeyMetadatas as { KeyId: string }[]).map((m) => m.KeyId)).toEqual(keyIds);
  });

  it("accepts the Node form: service from the host's first label, host without port", async () => {
    const a = await signed({ body: JSON.stringify({ KeyIds: keyIds }), service: "127", canonicalHost: "127.0.0.1" });
    expect(a.body.Response.Error).toBeUndefined();
  });

  it("accepts UNSIGNED-PAYLOAD as the Go and Python SDKs may send it, where the operator allows it", async () => {
    const a = await signed({ body: JSON.stringify({ KeyIds: keyIds }), unsignedPayload: true });
    expect(a.body.Response.Error).toBeUndefined();
  });

  it("accepts a content type with a charset", async () => {
    const a = await signed({ body: JSON.stringify({ KeyIds: keyIds }), contentType: "application/json; charset=utf-8" });
    expect(a.body.Response.Error).toBeUndefined();
  });
});

describe("signature failures", () => {
  const body = () => JSON.stringify({ KeyIds: keyIds });
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ["a timestamp 301 s old", () => ({ timestamp: now() - 301 }), "AuthFailure.SignatureExpire"],
    ["a timestamp 301 s ahead", () => ({ timestamp: now() + 301 }), "AuthFailure.SignatureExpire"],
    ["a wrong secret key", () => ({ secretKey: "not-the-secret-key-0123456789ab" }), "AuthFailure.SignatureFailure"],
    ["an unknown SecretId", () => ({ secretId: `AKID${"Z".repeat(32)}` }), "AuthFailure.SecretIdNotFound"],
    ["a scope date other than the timestamp's", () => ({ date: "2001-01-01" }), "AuthFailure.SignatureFailure"],
    ["a foreign Host in the signature", () => ({ canonicalHost: "kms.tencentcloudapi.com" }), "AuthFailure.SignatureFailure"],
  ] as const)("refuses %s", async (_name, over, code) => {
    expect(await codeFrom(signed({ body: body(), ...over() }))).toBe(code);
  });

  it("refuses a tampered body", async () => {
    const headers = tc3Headers({ action: "DescribeKeys", secretId: ts.secretId, secretKey: ts.secretKey, host, body: body() });
    const tampered = body().replace(keyIds[0]!, keyIds[1]!).replace(keyIds[1]!, keyIds[0]!);
    expect(await codeFrom(send(ts.httpUrl, headers, `${tampered} `))).toBe("AuthFailure.SignatureFailure");
  });

  it("refuses malformed, missing and token-bearing authorisation", async () => {
    const headers = tc3Headers({ action: "DescribeKeys", secretId: ts.secretId, secretKey: ts.secretKey, host, body: body() });
    for (const auth of ["Basic abc", "TC3-HMAC-SHA256 Credential=x", `${headers.Authorization!.slice(0, -4)}zzzz`, ""]) {
      const code = await codeFrom(send(ts.httpUrl, { ...headers, Authorization: auth }, body()));
      expect(["AuthFailure.InvalidAuthorization", "AuthFailure.SignatureFailure"]).toContain(code);
    }
    const { Authorization: _, ...unsigned } = headers;
    expect(await codeFrom(send(ts.httpUrl, unsigned, body()))).toBe("AuthFailure.InvalidAuthorization");
    expect(await codeFrom(signed({ body: body(), token: "temporary" }))).toBe("AuthFailure.TokenFailure");
  });
});

describe("a replayed request", () => {
  it("is accepted inside the 5-minute window and refused outside it", async () => {
    const wall = new ManualClock(Date.now());
    const own = await startTestServer({ signatureClock: wall });
    const ownHost = own.httpUrl.replace("http://", "");
    const body = JSON.stringify({ NumberOfBytes: 8 });
    const headers = tc3Headers({ action: "GenerateRandom", body, secretId: own.secretId, secretKey: own.secretKey, host: ownHost, timestamp: Math.floor(wall.now() / 1000) });
    expect((await send(own.httpUrl, headers, body)).body.Response.Error).toBeUndefined();
    wall.advance(200_000);
    // TC3 carries no nonce: within the window a captured request is valid again (as with Tencent).
    expect((await send(own.httpUrl, headers, body)).body.Response.Error).toBeUndefined();
    wall.advance(101_000);
    expect((await send(own.httpUrl, headers, body)).body.Response.Error?.Code).toBe("AuthFailure.SignatureExpire");
    await own.dispose();
  });
});

describe("request routing and parameters", () => {
  it.each([
    ["no action", { action: "" }, "{}", "MissingParameter"],
    ["an unknown action", { action: "DeleteEverything" }, "{}", "InvalidAction"],
    ["another API version", { version: "2017-03-12" }, "{}", "NoSuchVersion"],
    ["a region not served", { region: "eu-frankfurt" }, "{}", "UnsupportedRegion"],
    ["malformed JSON", {}, '{"KeyIds": [', "InvalidParameter"],
    ["a JSON array body", {}, "[1,2]", "InvalidParameter"],
    ["a missing required parameter", {}, "{}", "MissingParameter"],
    ["an unknown parameter", {}, '{"KeyIds":["x"],"Extra":1}', "UnknownParameter"],
    ["a wrong type", {}, '{"KeyIds":"not-a-list"}', "InvalidParameter"],
    ["a wrong element type", {}, '{"KeyIds":[1]}', "InvalidParameter"],
  ] as const)("answers %s with its code", async (_name, over, body, code) => {
    expect(await codeFrom(signed({ body, ...over }))).toBe(code);
  });

  it("refuses a body over the size limit without reading it all", async () => {
    const body = JSON.stringify({ KeyIds: Array.from({ length: 200 }, () => "00000000-0000-4000-8000-000000000000") });
    expect(body.length).toBeGreaterThan(4096);
    expect(await codeFrom(signed({ body }))).toBe("RequestSizeLimitExceeded");
  });

  it("answers an over-long GET query in the envelope, not with a bare 431", async () => {
    const res = await fetch(`${ts.httpUrl}/?Action=GetRegions&Pad=${"x".repeat(5000)}`, { headers: { Host: host } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(((await res.json()) as RawAnswer["body"]).Response.Error?.Code).toBe("RequestSizeLimitExceeded");
  });

  it("leaves the Connect paths on the same port to Connect", async () => {
    const res = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/GetRegions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ts.token}` }, body: "{}" });
    expect(await res.json()).toEqual({ Regions: ["ap-guangzhou"] });
  });

  it("echoes the SDK's trace id", async () => {
    const body = JSON.stringify({ NumberOfBytes: 4 });
    const headers = { ...tc3Headers({ action: "GenerateRandom", body, secretId: ts.secretId, secretKey: ts.secretKey, host }), "X-TC-TraceId": "trace-123" };
    const res = await fetch(ts.httpUrl, { method: "POST", headers, body });
    expect(res.headers.get("x-tc-traceid")).toBe("trace-123");
  });
});

describe("rate limit", () => {
  it("rejects only the excess, per caller and per action", async () => {
    const own = await startTestServer({ env: { KMS_RATE_LIMIT: "5" } });
    const sdk = tencentKms(own.httpUrl, own.secretId, own.secretKey);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => sdk.GetRegions()));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(6);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("RequestLimitExceeded");
    // Another action of the same caller has its own bucket.
    await sdk.GetServiceStatus();
    // Another caller too.
    const admin = adminClient(own);
    const { accessKey, secretKey } = await admin.client.createAccessKey({ description: "second caller" });
    await tencentKms(own.httpUrl, accessKey!.secretId, secretKey).GetRegions();
    admin.close();
    await own.dispose();
  });
});

describe("access keys", () => {
  it("are created, listed without secrets, disabled, enabled and deleted, with immediate effect", async () => {
    const admin = adminClient(ts);
    const { accessKey, secretKey } = await admin.client.createAccessKey({ description: "ci" });
    expect(accessKey!.secretId).toMatch(/^AKID[A-Za-z0-9]{32}$/);
    expect(secretKey).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(accessKey!.status).toBe(AccessKeyStatus.ENABLED);
    const sdk = tencentKms(ts.httpUrl, accessKey!.secretId, secretKey);
    await sdk.GetRegions();

    const listed = await admin.client.listAccessKeys({});
    expect(listed.accessKeys.map((k) => k.secretId)).toEqual(expect.arrayContaining([ts.secretId, accessKey!.secretId]));
    expect(JSON.stringify(listed.accessKeys.map((k) => ({ ...k, uin: String(k.uin), principalUin: String(k.principalUin), createTime: String(k.createTime) })))).not.toContain(secretKey);

    await admin.client.disableAccessKey({ secretId: accessKey!.secretId });
    expect(await sdkCode(sdk.GetRegions())).toBe("AuthFailure.SecretIdNotFound");
    await admin.client.enableAccessKey({ secretId: accessKey!.secretId });
    await sdk.GetRegions();
    await admin.client.deleteAccessKey({ secretId: accessKey!.secretId });
    expect(await sdkCode(sdk.GetRegions())).toBe("AuthFailure.SecretIdNotFound");

    expect(await codeOf(admin.client.deleteAccessKey({ secretId: accessKey!.secretId }))).toBe("ResourceNotFound");
    expect(await codeOf(admin.client.disableAccessKey({ secretId: "AKIDshort" }))).toBe("InvalidParameterValue");
    expect(await codeOf(admin.client.createAccessKey({ description: "x".repeat(1025) }))).toBe("InvalidParameter");
    admin.close();
  });

  it("are sealed at rest, survive restarts, and a generated root pair is handed over in a 0600 file", async () => {
    const own = await startTestServer({ env: { KMS_ROOT_SECRET_ID: "", KMS_ROOT_SECRET_KEY: "" } });
    const file = join(own.dataDir, "root-credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const root = JSON.parse(await readFile(file, "utf8")) as { SecretId: string; SecretKey: string };
    await tencentKms(own.httpUrl, root.SecretId, root.SecretKey).GetRegions();
    await own.stop();

    // The secret appears nowhere in the store's files.
    const dbDir = join(own.dataDir, "db");
    for (const name of await readdir(dbDir)) expect((await readFile(join(dbDir, name))).includes(Buffer.from(root.SecretKey)), name).toBe(false);

    const again = await startTestServer({ dataDir: own.dataDir, rootKey: own.rootKey, env: { KMS_ROOT_SECRET_ID: "", KMS_ROOT_SECRET_KEY: "" } });
    await tencentKms(again.httpUrl, root.SecretId, root.SecretKey).GetRegions();
    await again.dispose();
  });
});
