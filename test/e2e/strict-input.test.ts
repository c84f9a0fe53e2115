/**
 * Strict input through the real server (issue #17, item 1): Connect JSON,
 * gRPC-Web (JSON and binary) and gRPC refuse unknown fields and enum values
 * with the documented parameter error, accept Tencent's enum spellings, and
 * every answer carries kms-request-id, decode errors included. A method that
 * does not exist answers UNIMPLEMENTED before any credential is looked at.
 */
import { connect, type ClientHttp2Session } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateKeyRequestSchema } from "../../gen/kms/v1/kms_pb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let session: ClientHttp2Session;

beforeAll(async () => {
  ts = await startTestServer();
  session = connect(ts.grpcUrl);
});
afterAll(async () => {
  session.close();
  await ts.dispose();
});

const KMS = "/kms.v1.KeyManagementService";
const REQUEST_ID = /^[0-9a-f-]{36}$/;

interface Answer {
  http: number;
  code: string | null;
  requestId: string | null;
  json: Record<string, unknown> | undefined;
}

async function connectJson(method: string, body: string, token: string | null = ts.token): Promise<Answer> {
  const res = await fetch(`${ts.httpUrl}${KMS}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  return { http: res.status, code: res.headers.get("kms-error-code"), requestId: res.headers.get("kms-request-id"), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const frame = (payload: Uint8Array) => {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt32BE(payload.length, 1);
  b.set(payload, 5);
  return b;
};

/** The messages and trailers of a gRPC-Web answer (trailers-only answers carry the status in the headers). */
function grpcWebFrames(body: Buffer): { messages: Buffer[]; trailers: Record<string, string> } {
  const messages: Buffer[] = [];
  const trailers: Record<string, string> = {};
  for (let at = 0; at < body.length; ) {
    const flags = body[at] as number;
    const len = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if (flags & 0x80) for (const line of payload.toString().split("\r\n").filter(Boolean)) trailers[line.slice(0, line.indexOf(":"))] = line.slice(line.indexOf(":") + 1).trim();
    else messages.push(payload);
  }
  return { messages, trailers };
}

async function grpcWeb(method: string, payload: Uint8Array, json: boolean, token: string | null = ts.token) {
  const res = await fetch(`${ts.httpUrl}${KMS}/${method}`, {
    method: "POST",
    headers: { "content-type": json ? "application/grpc-web+json" : "application/grpc-web+proto", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: frame(payload),
  });
  const { messages, trailers } = grpcWebFrames(Buffer.from(await res.arrayBuffer()));
  return {
    status: res.headers.get("grpc-status") ?? trailers["grpc-status"],
    code: res.headers.get("kms-error-code"),
    requestId: res.headers.get("kms-request-id"),
    message: messages[0] ? (json ? (JSON.parse(messages[0].toString()) as Record<string, unknown>) : messages[0]) : undefined,
  };
}

function grpc(path: string, body: Buffer, token: string | null = ts.token): Promise<{ status?: string; code?: string; requestId?: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...(token ? { authorization: `Bearer ${token}` } : {}) });
    let head: Record<string, unknown> = {};
    req.on("response", (h) => (head = h));
    req.on("trailers", (t) => (head = { ...head, ...t }));
    req.on("data", () => undefined);
    req.on("end", () => resolve({ status: head["grpc-status"] as string, code: head["kms-error-code"] as string, requestId: head["kms-request-id"] as string }));
    req.on("error", reject);
    req.end(body);
  });
}

describe("Connect JSON", () => {
  it("creates an ECC signing key from Tencent's usage name, and the key signs", async () => {
    const created = await connectJson("CreateKey", '{"Alias":"sig-1","KeyUsage":"ASYMMETRIC_SIGN_VERIFY_ECC"}');
    expect(created.http).toBe(200);
    expect(created.requestId).toMatch(REQUEST_ID);
    const meta = created.json as Record<string, unknown>;
    expect(meta.KeyUsage).toBe("KEY_USAGE_ASYMMETRIC_SIGN_VERIFY_ECC");
    const signed = await connectJson("SignByAsymmetricKey", JSON.stringify({ KeyId: meta.KeyId, Algorithm: "ECC_P256_R1", Message: Buffer.from("hi").toString("base64"), MessageType: "RAW" }));
    expect(signed.http).toBe(200);
    expect(typeof signed.json?.Signature).toBe("string");
  });

  it("accepts the contract's enum names and Tencent's PascalCase states", async () => {
    expect((await connectJson("CreateKey", '{"Alias":"sig-2","KeyUsage":"KEY_USAGE_ASYMMETRIC_SIGN_VERIFY_ECC"}')).http).toBe(200);
    const listed = await connectJson("ListKeyDetail", '{"KeyState":"Enabled","KeyUsage":"ASYMMETRIC_SIGN_VERIFY_ECC","Limit":10}');
    expect(listed.http).toBe(200);
    expect(listed.json?.TotalCount).toBe(2);
  });

  it("refuses an unknown field with UnknownParameter and creates nothing", async () => {
    const before = await connectJson("ListKeys", "{}");
    const a = await connectJson("CreateKey", '{"Bogus":1}');
    expect(a).toMatchObject({ http: 400, code: "UnknownParameter" });
    expect(a.requestId).toMatch(REQUEST_ID);
    expect(a.json?.code).toBe("invalid_argument");
    const b = await connectJson("CreateKey", '{"Alias":"sig-3","Description":"x","Tags":[{"TagKey":"a","TagValue":"b","Colour":"red"}]}');
    expect(b.code).toBe("UnknownParameter");
    expect((await connectJson("ListKeys", "{}")).json?.TotalCount).toBe(before.json?.TotalCount);
  });

  it("refuses an unknown enum value with the field's documented code", async () => {
    const a = await connectJson("CreateKey", '{"Alias":"sig-4","KeyUsage":"ASYMMETRIC_SIGN_VERIFY_ECC_P999"}');
    expect(a).toMatchObject({ http: 400, code: "InvalidParameterValue.InvalidKeyUsage" });
    expect(a.requestId).toMatch(REQUEST_ID);
    expect((await connectJson("CreateKey", '{"Alias":"sig-4","KeyUsage":42}')).code).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect((await connectJson("ListKeyDetail", '{"KeyState":"Melted"}')).code).toBe("InvalidParameterValue");
  });

  it("answers malformed JSON with InvalidParameter and a RequestId", async () => {
    const a = await connectJson("CreateKey", '{"Alias":');
    expect(a).toMatchObject({ http: 400, code: "InvalidParameter" });
    expect(a.requestId).toMatch(REQUEST_ID);
  });

  it("answers an unknown method with unimplemented before looking at credentials", async () => {
    const a = await connectJson("StealKeys", "{}", null);
    expect(a).toMatchObject({ http: 404, code: "InvalidAction" });
    expect(a.json?.code).toBe("unimplemented");
    expect(a.requestId).toMatch(REQUEST_ID);
  });
});

describe("gRPC-Web", () => {
  it("JSON: Tencent's usage name creates an ECC key; unknown fields and values are refused", async () => {
    const ok = await grpcWeb("CreateKey", Buffer.from('{"Alias":"web-1","KeyUsage":"ASYMMETRIC_SIGN_VERIFY_ECC"}'), true);
    expect(ok.status).toBe("0");
    expect(ok.requestId).toMatch(REQUEST_ID);
    expect((ok.message as Record<string, unknown>).KeyUsage).toBe("KEY_USAGE_ASYMMETRIC_SIGN_VERIFY_ECC");
    const bogus = await grpcWeb("CreateKey", Buffer.from('{"Bogus":1}'), true);
    expect(bogus).toMatchObject({ status: "3", code: "UnknownParameter" });
    expect(bogus.requestId).toMatch(REQUEST_ID);
    expect(await grpcWeb("CreateKey", Buffer.from('{"Alias":"web-2","KeyUsage":"NOPE"}'), true)).toMatchObject({ status: "3", code: "InvalidParameterValue.InvalidKeyUsage" });
  });

  it("binary: an unknown field number or enum number is refused", async () => {
    const known = toBinary(CreateKeyRequestSchema, create(CreateKeyRequestSchema, { alias: "web-3" }));
    const unknownField = Buffer.concat([known, new BinaryWriter().tag(999, WireType.Varint).int32(1).finish()]);
    const a = await grpcWeb("CreateKey", unknownField, false);
    expect(a).toMatchObject({ status: "3", code: "UnknownParameter" });
    expect(a.requestId).toMatch(REQUEST_ID);
    const usageField = CreateKeyRequestSchema.fields.find((f) => f.localName === "keyUsage")!.number;
    const badEnum = Buffer.concat([known, new BinaryWriter().tag(usageField, WireType.Varint).int32(77).finish()]);
    expect(await grpcWeb("CreateKey", badEnum, false)).toMatchObject({ status: "3", code: "InvalidParameterValue.InvalidKeyUsage" });
  });

  it("answers an unknown method with UNIMPLEMENTED without credentials", async () => {
    const a = await grpcWeb("StealKeys", Buffer.from("{}"), true, null);
    expect(a).toMatchObject({ status: "12", code: "InvalidAction" });
    expect(a.requestId).toMatch(REQUEST_ID);
  });
});

describe("gRPC", () => {
  it("refuses an unknown field and an unknown enum number, with a RequestId", async () => {
    const known = toBinary(CreateKeyRequestSchema, create(CreateKeyRequestSchema, { alias: "grpc-1" }));
    const a = await grpc(`${KMS}/CreateKey`, frame(Buffer.concat([known, new BinaryWriter().tag(999, WireType.LengthDelimited).string("x").finish()])));
    expect(a).toMatchObject({ status: "3", code: "UnknownParameter" });
    expect(a.requestId).toMatch(REQUEST_ID);
    const usageField = CreateKeyRequestSchema.fields.find((f) => f.localName === "keyUsage")!.number;
    expect(await grpc(`${KMS}/CreateKey`, frame(Buffer.concat([known, new BinaryWriter().tag(usageField, WireType.Varint).int32(77).finish()])))).toMatchObject({
      status: "3",
      code: "InvalidParameterValue.InvalidKeyUsage",
    });
  });

  it("answers an unknown method or service with UNIMPLEMENTED before authentication", async () => {
    for (const path of [`${KMS}/StealKeys`, "/no.such.Service/Method", "/grpc.health.v1.Health/Nope"]) {
      const a = await grpc(path, frame(Buffer.alloc(0)), null);
      expect(a, path).toMatchObject({ status: "12" });
      expect(a.requestId, path).toMatch(REQUEST_ID);
    }
    // With credentials that do not exist, still UNIMPLEMENTED (not an authentication error).
    expect(await grpc(`${KMS}/StealKeys`, frame(Buffer.alloc(0)), "not-a-token-at-all-but-long-enough-xx")).toMatchObject({ status: "12", code: "InvalidAction" });
    // A known method without credentials is an authentication error.
    expect(await grpc(`${KMS}/ListKeys`, frame(Buffer.alloc(0)), null)).toMatchObject({ status: "16" });
  });
});
