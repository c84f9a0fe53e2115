/**
 * 4a. API 3.0 gateway fuzz: correctly signed requests with mutated JSON
 * (wrong types, huge values, deep nesting, unknown fields, broken bytes), form
 * and GET bodies, random actions/versions/regions, and bad headers and
 * signatures. Every answer must be HTTP 200, Content-Type application/json,
 * {"Response":{...,"RequestId"}} with, on error, a documented Code; never
 * InternalError; the process stays up.
 */
import { request, Agent } from "node:http";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { ERROR_CODES } from "../../src/errors.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { tc3Headers } from "../helpers/tencent.js";
import { mutateBytes, mutateJson, weirdValue, type JsonLike } from "./lib/mutate.js";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, enc, outcome } from "./lib/rpc.js";
import { newIdentity, pick, rnd, startServer, type KmsProcess } from "./lib/server.js";
import type { Mode } from "./mode.js";

interface Raw {
  status: number;
  contentType: string | undefined;
  text: string;
}

function rawSend(agent: Agent, url: string, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, agent, headers: { ...headers, "Content-Length": String(body.length) }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 15 s")));
    req.on("error", reject);
    req.end(body);
  });
}

interface Ctx {
  host: string;
  secretId: string;
  secretKey: string;
  keyId: string;
  blob: string;
}

function seedBody(action: string, c: Ctx): { [k: string]: JsonLike } {
  const all: { [k: string]: JsonLike } = {
    KeyId: c.keyId,
    KeyIds: [c.keyId],
    Alias: `gw-${randomBytes(4).toString("hex")}`,
    Description: "fuzz",
    Plaintext: Buffer.from("hello").toString("base64"),
    PlainText: Buffer.from("hello").toString("base64"),
    CiphertextBlob: c.blob,
    EncryptionContext: '{"a":"b"}',
    NumberOfBytes: 32,
    KeySpec: "AES_256",
    PendingWindowInDays: 7,
    Limit: 10,
    Offset: 0,
    RotateDays: 30,
    Message: Buffer.from("m").toString("base64"),
    Algorithm: "SM2DSA",
    Tags: [{ TagKey: "k", TagValue: "v" }],
    TagFilters: [{ TagKey: "k", TagValue: ["v"] }],
    SearchKeyAlias: "gw",
    KeyUsage: "ENCRYPT_DECRYPT",
    Type: 1,
  };
  const method = KeyManagementService.methods.find((m) => m.name === action);
  if (!method) return {};
  const out: { [k: string]: JsonLike } = {};
  for (const f of method.input.fields) {
    const v = all[f.jsonName];
    if (v !== undefined) out[f.jsonName] = v;
  }
  return out;
}

interface Input {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const ACTIONS = KeyManagementService.methods.map((m) => m.name);

function signed(c: Ctx, action: string, body: Buffer | string, over: Partial<Parameters<typeof tc3Headers>[0]> = {}): Record<string, string> {
  const text = typeof body === "string" ? body : undefined;
  return tc3Headers({ action, body: text ?? "", secretId: c.secretId, secretKey: c.secretKey, host: c.host, unsignedPayload: text === undefined, ...over });
}

function makeInput(c: Ctx): Input {
  const action = pick(ACTIONS);
  const json = (o: unknown) => JSON.stringify(o);
  switch (rnd(12)) {
    case 0:
    case 1:
    case 2: {
      const body = json(mutateJson(seedBody(action, c)));
      return { kind: "mutated JSON (signed)", method: "POST", path: "/", headers: signed(c, action, body), body: Buffer.from(body) };
    }
    case 3: {
      const b = mutateBytes(Buffer.from(json(seedBody(action, c))));
      return { kind: "mutated bytes (signed, unsigned payload)", method: "POST", path: "/", headers: signed(c, action, b), body: b };
    }
    case 4: {
      const body = json(Object.fromEntries(Object.keys(seedBody(action, c)).map((k) => [k, weirdValue()])));
      return { kind: "wrong types everywhere (signed)", method: "POST", path: "/", headers: signed(c, action, body), body: Buffer.from(body) };
    }
    case 5: {
      const n = pick([65_536 - 200, 65_537, 200_000, 1_000_000]);
      const body = json({ ...seedBody(action, c), Description: "d".repeat(n) });
      return { kind: "huge body", method: "POST", path: "/", headers: signed(c, action, body), body: Buffer.from(body) };
    }
    case 6: {
      const a = pick(["", "encrypt", "Encrypt ", "X".repeat(5000), "Décrypt", "__proto__", "constructor", "toString", "../Encrypt", action.toUpperCase()]);
      const body = json(seedBody(action, c));
      return { kind: "odd action", method: "POST", path: "/", headers: signed(c, a, body), body: Buffer.from(body) };
    }
    case 7: {
      const body = json(seedBody(action, c));
      const over = pick<Partial<Parameters<typeof tc3Headers>[0]>>([
        { version: pick(["", "2017-03-12", "x".repeat(300), "2019-01-18 "]) },
        { region: pick(["ap-nowhere", "", "ap-guangzhou\u0000", "r".repeat(500)]) },
        { timestamp: Math.floor(Date.now() / 1000) - 3600 },
        { timestamp: Math.floor(Date.now() / 1000) + 3600 },
        { secretKey: "wrong-secret-key-0123456789abcdef" },
        { secretId: `AKID${"0".repeat(32)}` },
        { secretId: "not-an-id" },
        { service: "cvm" },
        { date: "1999-01-01" },
        { token: "some-token" },
        { contentType: pick(["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=utf-8", ""]) },
        { canonicalHost: "evil.example" },
      ]);
      return { kind: "bad signature parameters", method: "POST", path: "/", headers: signed(c, action, body, over), body: Buffer.from(body) };
    }
    case 8: {
      const body = json(seedBody(action, c));
      const h = signed(c, action, body);
      const auth = h.Authorization ?? "";
      h.Authorization = pick([
        "",
        "garbage",
        auth.slice(0, rnd(auth.length)),
        auth.replace("TC3-HMAC-SHA256", "TC3-HMAC-SHA1"),
        auth.replace("SignedHeaders=content-type;host", "SignedHeaders=host"),
        auth.replace(/Signature=\w+/, "Signature="),
        auth.replace("Credential=", "Credential=/"),
        `${auth}, ${auth}`,
        auth + "x".repeat(10_000),
        "TC3-HMAC-SHA256 Credential=a/b/c/d/e/f/g, SignedHeaders=, Signature=zz",
      ]);
      if (rnd(3) === 0) h["X-TC-Timestamp"] = pick(["abc", "-1", "1e10", "", "99999999999999999999"]);
      return { kind: "bad Authorization header", method: "POST", path: "/", headers: h, body: Buffer.from(body) };
    }
    case 9: {
      // v1 signature path (no Authorization): form parameters, garbage values.
      const params = new URLSearchParams({ Action: action, Version: "2019-01-18", Region: "ap-guangzhou", SecretId: c.secretId, Timestamp: String(Math.floor(Date.now() / 1000)), Nonce: String(rnd(1e6)), Signature: randomBytes(20).toString("base64"), SignatureMethod: pick(["HmacSHA256", "HmacSHA1", "Nope", ""]) });
      for (const [k, v] of Object.entries(seedBody(action, c))) params.set(k, typeof v === "string" ? v : JSON.stringify(v));
      if (rnd(2)) params.set(pick(["KeyIds.0", "Tags.0.TagKey", "KeyIds.-1", "KeyIds.99999999", "Tags..x", "a.b.c.d"]), String(weirdValue()));
      const get = rnd(2) === 0;
      return get
        ? { kind: "v1 GET with a bad signature", method: "GET", path: `/?${params.toString()}`, headers: { Host: c.host }, body: Buffer.alloc(0) }
        : { kind: "v1 POST form with a bad signature", method: "POST", path: "/", headers: { Host: c.host, "Content-Type": "application/x-www-form-urlencoded" }, body: Buffer.from(params.toString()) };
    }
    case 10: {
      const body = Buffer.from(pick(["", "null", "[]", "[1,2]", "\"str\"", "1", "{", "{\"KeyId\":", "\u0000", "{\"a\":1,\"a\":2}", `{"KeyId":"${c.keyId}","KeyId":{"x":1}}`]));
      return { kind: "not a JSON object (signed)", method: "POST", path: "/", headers: signed(c, action, body.toString()), body };
    }
    default: {
      const body = json(seedBody(action, c));
      const h = signed(c, action, body);
      h[pick(["X-TC-Action", "X-TC-Version", "X-TC-Region", "Host", "Content-Type"])] = pick(["", "\t", "a".repeat(4000), "ÿ"]);
      return { kind: "bad X-TC header", method: "POST", path: "/", headers: h, body: Buffer.from(body) };
    }
  }
}

export async function fuzzGatewayScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("fuzz-gateway");
  const id = await newIdentity();
  let server: KmsProcess | undefined;
  const codes = new Tally();
  const kinds = new Tally();
  const bad: string[] = [];
  const internal: string[] = [];
  let tried = 0;
  let answered = 0;
  let successes = 0;
  let unsendable = 0;
  try {
    server = await startServer(id);
    const clients = clientsFor(server);
    const { keyId } = await clients.grpc.createKey({ alias: "fuzz-gw" }, CALL);
    const { ciphertextBlob } = await clients.grpc.encrypt({ keyId, plaintext: enc("fuzz"), encryptionContext: '{"a":"b"}' }, CALL);
    const c: Ctx = { host: `127.0.0.1:${server.httpPort}`, secretId: id.secretId, secretKey: id.secretKey, keyId, blob: Buffer.from(ciphertextBlob).toString("base64") };
    const known = new Set(Object.keys(ERROR_CODES));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const deadline = Date.now() + (mode.short ? 40_000 : 300_000);
    const worker = async () => {
      while (tried < mode.fuzzGateway && Date.now() < deadline) {
        tried++;
        const input = makeInput(c);
        kinds.add(input.kind);
        let r: Raw;
        try {
          r = await rawSend(agent, server!.httpUrl, input.method, input.path, input.headers, input.body);
        } catch (err) {
          if (!server!.alive()) throw new Error(`the server died on: ${input.kind}`);
          // node:http refuses to send some headers at all (control characters): nothing reached the server.
          if (/^ERR_INVALID_/.test((err as NodeJS.ErrnoException).code ?? "")) {
            unsendable++;
            continue;
          }
          bad.push(`${input.kind}: no answer (${(err as Error).message})`);
          continue;
        }
        answered++;
        let problem: string | undefined;
        let parsed: { Response?: { Error?: { Code?: unknown; Message?: unknown }; RequestId?: unknown } } | undefined;
        try {
          parsed = JSON.parse(r.text) as typeof parsed;
        } catch {
          problem = `HTTP ${r.status}, body is not JSON: "${r.text.slice(0, 80)}"`;
        }
        const resp = parsed?.Response;
        const code = resp?.Error?.Code;
        if (!problem && r.status !== 200) problem = `HTTP ${r.status}`;
        else if (!problem && (r.contentType ?? "").split(";")[0] !== "application/json") problem = `content-type ${r.contentType}`;
        else if (!problem && (typeof resp !== "object" || typeof resp.RequestId !== "string")) problem = "no Response.RequestId";
        else if (!problem && resp?.Error !== undefined && (typeof code !== "string" || !known.has(code) || typeof resp.Error.Message !== "string")) problem = `undocumented error ${JSON.stringify(resp.Error)}`;
        if (problem) bad.push(`${input.kind} ${input.headers["X-TC-Action"] ?? ""} (${input.method} ${input.path.length > 100 ? `${input.path.length}-char path` : input.path}, ${input.body.length}-byte body): ${problem}`);
        if (typeof code === "string") codes.add(code);
        else if (!problem) successes++;
        if (code === "InternalError") internal.push(`${input.kind} ${input.headers["X-TC-Action"] ?? ""}: ${String(resp?.Error?.Message)} body=${input.body.toString("utf8").slice(0, 160)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    agent.destroy();
    const alive = server.alive();
    rec.check("the process stays up (zero crashes)", alive);
    const st = await outcome(clients.grpc.getServiceStatus({}, CALL));
    rec.check("the service still answers after the fuzz", st.ok);
    clients.close();
    rec.check("every answer is HTTP 200 + application/json + Response envelope with a documented code", bad.length === 0, `${bad.length}: ${[...new Set(bad)].slice(0, 6).join(" | ")}`);
    rec.check("bad input never answers InternalError", internal.length === 0, `${internal.length}: ${[...new Set(internal)].slice(0, 4).join(" | ")}`);
    if (internal.length > 0)
      rec.finding(`API 3.0 gateway: malformed input answers InternalError (${internal.length} of ${tried}); e.g. ${internal[0]}`);
    rec.figure("inputs tried", tried);
    rec.figure("answered", answered);
    rec.figure("not sendable by node:http (skipped)", unsendable);
    rec.figure("bad answers", bad.length);
    rec.figure("InternalError answers", internal.length);
    rec.figure("accepted (success)", successes);
    rec.figure("crashes", alive ? 0 : 1);
    rec.data.codes = codes.toObject();
    rec.data.kinds = kinds.toObject();
    rec.data.bad = [...new Set(bad)].slice(0, 40);
    rec.data.internal = [...new Set(internal)].slice(0, 20);
  } finally {
    if (server?.alive()) await server.stop();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  return rec.result();
}
