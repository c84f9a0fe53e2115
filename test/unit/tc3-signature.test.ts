import { describe, it, expect } from "vitest";
import {
  SignatureError,
  UNSIGNED_PAYLOAD,
  parseTc3Authorization,
  sha256Hex,
  stripPort,
  tc3PayloadHash,
  tc3Signature,
  v1Signature,
  v1StringToSign,
  verifyTc3,
  verifyV1,
} from "../../src/transport/api3/tc3-signature.js";
import type {
  SecretKeyLookup,
  SignatureErrorKind,
  Tc3Request,
  V1SignatureMethod,
} from "../../src/transport/api3/tc3-signature.js";

// Inputs shared by the five vectors of shared/api/tc3.md.
const SECRET_ID = "AKIDtest";
const SECRET_KEY = "sk";
const TIMESTAMP = 1795423739;
const DATE = "2026-11-23";
const HOST = "127.0.0.1:18080";
const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const BODY = '{"KeyIds":["a","b"]}';
const GET_QUERY = "KeyIds.0=a&KeyIds.1=b";
const SIGNED = ["content-type", "host"];

const VECTOR_NODE_POST = "28a575f502f15508d3a7af1afabaacaf5a7e2faebd5802225d2651feec54026f";
const VECTOR_NODE_GET = "ee6ae67a0604963b239383de07884e4391c59130020ce80a0d55aa222ddbcc95";
const VECTOR_GO_POST = "9aa0a67b32d4116b6b1b8d1cf63d03c4cdbdc2ab5f7be50a2d647a1e3bb22734";
const VECTOR_UNSIGNED = "395446217ba94204ec5c1d9500f898c3e6665d3af54de7e7b3a7554d8b284d9b";
const VECTOR_V1_STRING =
  "POST127.0.0.1:18080/?Action=DescribeKeys&KeyIds.0=a&KeyIds.1=b&Language=en-US&Nonce=30225&Region=ap-guangzhou" +
  "&RequestClient=SDK_NODEJS_4.1.313&SecretId=AKIDtest&SignatureMethod=HmacSHA256&Timestamp=1795423740&Version=2019-01-18";
const VECTOR_V1 = "c8PysfjGHI+KhFKJMrCjTdByzoBhvR7n8DNqs7iwUMk=";

const lookup: SecretKeyLookup = (id) => (id === SECRET_ID ? SECRET_KEY : undefined);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function authorization(signature: string, service: string, date = DATE, signed = SIGNED.join(";")): string {
  return `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${date}/${service}/tc3_request, SignedHeaders=${signed}, Signature=${signature}`;
}

interface SignOptions {
  method?: "GET" | "POST";
  body?: string;
  rawQuery?: string;
  service?: string;
  /** Host value the client puts in its canonical headers. */
  signedHost?: string;
  secretKey?: string;
  timestamp?: number;
  date?: string;
  unsigned?: boolean;
}

/** Builds a request the way an SDK would, signing with our own tc3Signature. */
function signedRequest(o: SignOptions = {}): Tc3Request {
  const method = o.method ?? "POST";
  const body = o.body ?? (method === "POST" ? BODY : "");
  const rawQuery = o.rawQuery ?? (method === "GET" ? GET_QUERY : "");
  const service = o.service ?? "kms";
  const timestamp = String(o.timestamp ?? TIMESTAMP);
  const date = o.date ?? DATE;
  const contentType = method === "POST" ? JSON_TYPE : FORM_TYPE;
  const signature = tc3Signature({
    secretKey: o.secretKey ?? SECRET_KEY,
    method,
    canonicalQueryString: method === "GET" ? rawQuery : "",
    headers: { "content-type": contentType, host: o.signedHost ?? HOST },
    signedHeaders: SIGNED,
    payloadHash: tc3PayloadHash(utf8(body), o.unsigned ?? false),
    timestamp,
    date,
    service,
  });
  const headers: Record<string, string> = {
    "content-type": contentType,
    host: HOST,
    "x-tc-timestamp": timestamp,
    authorization: authorization(signature, service, date),
  };
  if (o.unsigned) headers["x-tc-content-sha256"] = UNSIGNED_PAYLOAD;
  return { method, rawQuery, headers, body: utf8(body) };
}

function withHeaders(request: Tc3Request, patch: Record<string, string | undefined>): Tc3Request {
  return { ...request, headers: { ...request.headers, ...patch } };
}

function expectKind(fn: () => unknown, kind: SignatureErrorKind): SignatureError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SignatureError);
  const error = caught as SignatureError;
  expect(error.kind).toBe(kind);
  return error;
}

describe("TC3 test vectors (tc3.md)", () => {
  const cases: ReadonlyArray<{
    name: string;
    method: "GET" | "POST";
    contentType: string;
    canonicalHost: string;
    service: string;
    query: string;
    body: string;
    unsigned: boolean;
    expected: string;
  }> = [
    { name: "Node POST DescribeKeys", method: "POST", contentType: JSON_TYPE, canonicalHost: "127.0.0.1", service: "127", query: "", body: BODY, unsigned: false, expected: VECTOR_NODE_POST },
    { name: "Node GET DescribeKeys", method: "GET", contentType: FORM_TYPE, canonicalHost: "127.0.0.1", service: "127", query: GET_QUERY, body: "", unsigned: false, expected: VECTOR_NODE_GET },
    { name: "Go/Python-style POST", method: "POST", contentType: JSON_TYPE, canonicalHost: HOST, service: "kms", query: "", body: BODY, unsigned: false, expected: VECTOR_GO_POST },
    { name: "UNSIGNED-PAYLOAD POST", method: "POST", contentType: JSON_TYPE, canonicalHost: HOST, service: "kms", query: "", body: BODY, unsigned: true, expected: VECTOR_UNSIGNED },
  ];

  for (const c of cases) {
    it(`${c.name}: computes the signature`, () => {
      const signature = tc3Signature({
        secretKey: SECRET_KEY,
        method: c.method,
        canonicalQueryString: c.query,
        headers: { "content-type": c.contentType, host: c.canonicalHost },
        signedHeaders: SIGNED,
        payloadHash: tc3PayloadHash(utf8(c.body), c.unsigned),
        timestamp: String(TIMESTAMP),
        date: DATE,
        service: c.service,
      });
      expect(signature).toBe(c.expected);
    });

    it(`${c.name}: verifyTc3 accepts the request as sent`, () => {
      const headers: Record<string, string> = {
        "content-type": c.contentType,
        host: HOST, // always sent with the port, whatever was signed
        "x-tc-timestamp": String(TIMESTAMP),
        authorization: authorization(c.expected, c.service),
        "x-tc-action": "DescribeKeys",
        "x-tc-version": "2019-01-18",
      };
      if (c.unsigned) headers["x-tc-content-sha256"] = UNSIGNED_PAYLOAD;
      const request: Tc3Request = { method: c.method, rawQuery: c.query, headers, body: utf8(c.body) };
      expect(verifyTc3(request, lookup, TIMESTAMP)).toEqual({ secretId: SECRET_ID, service: c.service });
    });
  }

  it("UNSIGNED-PAYLOAD hashes the literal, not the body", () => {
    expect(tc3PayloadHash(utf8(BODY), true)).toBe(sha256Hex(UNSIGNED_PAYLOAD));
    expect(tc3PayloadHash(utf8(BODY), false)).toBe(sha256Hex(BODY));
  });

  it("UNSIGNED-PAYLOAD leaves the body out of the signature", () => {
    const request = signedRequest({ unsigned: true });
    expect(verifyTc3({ ...request, body: utf8('{"KeyIds":["z"]}') }, lookup, TIMESTAMP).secretId).toBe(SECRET_ID);
  });

  it("hashes the raw body bytes, so Python's spaced JSON verifies as sent", () => {
    const request = signedRequest({ body: '{"KeyIds": ["a", "b"]}' });
    expect(verifyTc3(request, lookup, TIMESTAMP).service).toBe("kms");
  });
});

describe("v1 test vector (tc3.md)", () => {
  const params: Record<string, string> = {
    Action: "DescribeKeys",
    "KeyIds.0": "a",
    "KeyIds.1": "b",
    Language: "en-US",
    Nonce: "30225",
    Region: "ap-guangzhou",
    RequestClient: "SDK_NODEJS_4.1.313",
    SecretId: SECRET_ID,
    SignatureMethod: "HmacSHA256",
    Timestamp: "1795423740",
    Version: "2019-01-18",
    Signature: VECTOR_V1,
  };

  it("builds the string to sign, sorted and without Signature", () => {
    expect(v1StringToSign("POST", HOST, "/", params)).toBe(VECTOR_V1_STRING);
  });

  it("computes the signature", () => {
    expect(v1Signature(SECRET_KEY, "HmacSHA256", VECTOR_V1_STRING)).toBe(VECTOR_V1);
  });

  it("verifyV1 accepts the request as sent", () => {
    expect(verifyV1(params, "POST", HOST, "/", lookup, 1795423740)).toEqual({
      secretId: SECRET_ID,
      signatureMethod: "HmacSHA256",
    });
  });
});

describe("verifyTc3 rejections", () => {
  it("accepts a signature built by the helper (sanity)", () => {
    expect(verifyTc3(signedRequest(), lookup, TIMESTAMP)).toEqual({ secretId: SECRET_ID, service: "kms" });
  });

  it("rejects a timestamp more than 300 s in the past", () => {
    expectKind(() => verifyTc3(signedRequest(), lookup, TIMESTAMP + 301), "SignatureExpire");
  });

  it("rejects a timestamp more than 300 s in the future", () => {
    expectKind(() => verifyTc3(signedRequest(), lookup, TIMESTAMP - 301), "SignatureExpire");
  });

  it("accepts timestamps up to 300 s either side", () => {
    expect(verifyTc3(signedRequest(), lookup, TIMESTAMP - 300).secretId).toBe(SECRET_ID);
    expect(verifyTc3(signedRequest(), lookup, TIMESTAMP + 300).secretId).toBe(SECRET_ID);
    expect(verifyTc3(signedRequest(), lookup, TIMESTAMP - 120).secretId).toBe(SECRET_ID);
  });

  it("rejects a missing or non-integer X-TC-Timestamp as InvalidAuthorization", () => {
    const request = signedRequest();
    for (const value of [undefined, "", "abc", "1795423739.5", "-1795423739", " 1795423739", "1e9"]) {
      expectKind(() => verifyTc3(withHeaders(request, { "x-tc-timestamp": value }), lookup, TIMESTAMP), "InvalidAuthorization");
    }
  });

  it("rejects an unknown SecretId", () => {
    expectKind(() => verifyTc3(signedRequest(), () => undefined, TIMESTAMP), "SecretIdNotFound");
  });

  it("rejects a request signed with another secret key", () => {
    expectKind(() => verifyTc3(signedRequest({ secretKey: "other" }), lookup, TIMESTAMP), "SignatureFailure");
  });

  it("rejects a body tampered by one byte", () => {
    const request = signedRequest();
    const body = Uint8Array.from(request.body);
    body[2] = (body[2] ?? 0) ^ 0x01;
    expectKind(() => verifyTc3({ ...request, body }, lookup, TIMESTAMP), "SignatureFailure");
  });

  it("rejects a tampered GET query and ignores the query of a POST", () => {
    const get = signedRequest({ method: "GET" });
    expect(verifyTc3(get, lookup, TIMESTAMP).secretId).toBe(SECRET_ID);
    expectKind(() => verifyTc3({ ...get, rawQuery: "KeyIds.0=a&KeyIds.1=c" }, lookup, TIMESTAMP), "SignatureFailure");
    expect(verifyTc3({ ...signedRequest(), rawQuery: "x=1" }, lookup, TIMESTAMP).secretId).toBe(SECRET_ID);
  });

  it("rejects a credential date other than the UTC date of X-TC-Timestamp", () => {
    // Signed consistently with the wrong date, so only the date check can fail it.
    expectKind(() => verifyTc3(signedRequest({ date: "2026-11-22" }), lookup, TIMESTAMP), "SignatureFailure");
  });

  it("uses the service the client declared, whatever it is", () => {
    expect(verifyTc3(signedRequest({ service: "127" }), lookup, TIMESTAMP).service).toBe("127");
    expect(verifyTc3(signedRequest({ service: "ssm" }), lookup, TIMESTAMP).service).toBe("ssm");
  });

  it("retries the Host without its port, and only that", () => {
    expect(verifyTc3(signedRequest({ signedHost: "127.0.0.1" }), lookup, TIMESTAMP).secretId).toBe(SECRET_ID);
    expectKind(() => verifyTc3(signedRequest({ signedHost: "localhost" }), lookup, TIMESTAMP), "SignatureFailure");
    expectKind(() => verifyTc3(signedRequest({ signedHost: "127.0.0.1:8080" }), lookup, TIMESTAMP), "SignatureFailure");
  });

  it("rejects a request missing a signed header", () => {
    expectKind(() => verifyTc3(withHeaders(signedRequest(), { "content-type": undefined }), lookup, TIMESTAMP), "SignatureFailure");
  });

  it("rejects a missing Authorization header", () => {
    expectKind(() => verifyTc3(withHeaders(signedRequest(), { authorization: undefined }), lookup, TIMESTAMP), "InvalidAuthorization");
  });

  it("rejects a signature of the right shape but wrong value", () => {
    const request = signedRequest();
    expectKind(() => verifyTc3(withHeaders(request, { authorization: authorization("0".repeat(64), "kms") }), lookup, TIMESTAMP), "SignatureFailure");
  });

  it("never puts the secret key or the expected signature in a message", () => {
    const secretKey = "Sup3rS3cretK3yValue";
    const good = signedRequest({ secretKey });
    const expected = /Signature=([0-9a-f]{64})/.exec(good.headers["authorization"] ?? "")?.[1] ?? "";
    const tampered = { ...good, body: utf8(BODY + " ") };
    const error = expectKind(() => verifyTc3(tampered, () => secretKey, TIMESTAMP), "SignatureFailure");
    expect(error.message).not.toContain(secretKey);
    expect(error.message).not.toContain(expected);
  });
});

describe("parseTc3Authorization", () => {
  const sig = "a".repeat(64);

  it("parses the header as the SDKs send it", () => {
    expect(parseTc3Authorization(authorization(sig, "kms"))).toEqual({
      secretId: SECRET_ID,
      date: DATE,
      service: "kms",
      signedHeaders: ["content-type", "host"],
      signature: sig,
    });
  });

  it("tolerates missing or extra whitespace around commas and any field order", () => {
    const variants = [
      `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${DATE}/kms/tc3_request,SignedHeaders=content-type;host,Signature=${sig}`,
      `TC3-HMAC-SHA256  Credential=${SECRET_ID}/${DATE}/kms/tc3_request ,  SignedHeaders=content-type;host,   Signature=${sig} `,
      `TC3-HMAC-SHA256 Signature=${sig}, Credential=${SECRET_ID}/${DATE}/kms/tc3_request, SignedHeaders=content-type;host`,
    ];
    for (const header of variants) expect(parseTc3Authorization(header).signature).toBe(sig);
  });

  it("accepts a longer SignedHeaders list", () => {
    const header = authorization(sig, "kms", DATE, "content-type;host;x-tc-action");
    expect(parseTc3Authorization(header).signedHeaders).toEqual(["content-type", "host", "x-tc-action"]);
  });

  const credential = `Credential=${SECRET_ID}/${DATE}/kms/tc3_request`;
  const malformed: ReadonlyArray<[string, string]> = [
    ["empty", ""],
    ["algorithm only", "TC3-HMAC-SHA256"],
    ["wrong algorithm", `HMAC-SHA256 ${credential}, SignedHeaders=content-type;host, Signature=${sig}`],
    ["lower-case algorithm", `tc3-hmac-sha256 ${credential}, SignedHeaders=content-type;host, Signature=${sig}`],
    ["no Credential", `TC3-HMAC-SHA256 SignedHeaders=content-type;host, Signature=${sig}`],
    ["no SignedHeaders", `TC3-HMAC-SHA256 ${credential}, Signature=${sig}`],
    ["no Signature", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;host`],
    ["repeated field", `TC3-HMAC-SHA256 ${credential}, ${credential}, SignedHeaders=content-type;host, Signature=${sig}`],
    ["unknown field", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;host, Signature=${sig}, Extra=1`],
    ["field without =", `TC3-HMAC-SHA256 ${credential}, SignedHeaders, Signature=${sig}`],
    ["credential too short", `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${DATE}/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`],
    ["credential too long", `TC3-HMAC-SHA256 Credential=${SECRET_ID}/x/${DATE}/kms/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`],
    ["credential bad terminator", `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${DATE}/kms/aws4_request, SignedHeaders=content-type;host, Signature=${sig}`],
    ["credential bad date", `TC3-HMAC-SHA256 Credential=${SECRET_ID}/20261123/kms/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`],
    ["credential empty SecretId", `TC3-HMAC-SHA256 Credential=/${DATE}/kms/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`],
    ["credential empty service", `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${DATE}//tc3_request, SignedHeaders=content-type;host, Signature=${sig}`],
    ["empty SignedHeaders", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=, Signature=${sig}`],
    ["upper-case SignedHeaders", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=Content-Type;Host, Signature=${sig}`],
    ["empty SignedHeaders entry", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;;host, Signature=${sig}`],
    ["repeated SignedHeaders entry", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=host;host, Signature=${sig}`],
    ["signature too short", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;host, Signature=${sig.slice(1)}`],
    ["signature too long", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;host, Signature=${sig}a`],
    ["signature upper-case hex", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;host, Signature=${"A".repeat(64)}`],
    ["signature not hex", `TC3-HMAC-SHA256 ${credential}, SignedHeaders=content-type;host, Signature=${"g".repeat(64)}`],
  ];
  for (const [name, header] of malformed) {
    it(`rejects ${name}`, () => {
      expectKind(() => parseTc3Authorization(header), "InvalidAuthorization");
    });
  }

  it("verifyTc3 reports a wrong-length signature as InvalidAuthorization", () => {
    const request = signedRequest();
    const good = /Signature=([0-9a-f]{64})/.exec(request.headers["authorization"] ?? "")?.[1] ?? "";
    for (const signature of [good.slice(0, 63), `${good}0`, good.slice(0, 32)]) {
      const header = authorization(signature, "kms");
      expectKind(() => verifyTc3(withHeaders(request, { authorization: header }), lookup, TIMESTAMP), "InvalidAuthorization");
    }
  });
});

describe("stripPort", () => {
  it("strips a port from names, IPv4 and bracketed IPv6 only", () => {
    expect(stripPort("127.0.0.1:18080")).toBe("127.0.0.1");
    expect(stripPort("kms.example.com:443")).toBe("kms.example.com");
    expect(stripPort("[::1]:8080")).toBe("[::1]");
    expect(stripPort("[::1]")).toBe("[::1]");
    expect(stripPort("kms.example.com")).toBe("kms.example.com");
    expect(stripPort("::1")).toBe("::1");
  });
});

describe("verifyV1", () => {
  const NOW = 1795423740;

  function v1Params(method: V1SignatureMethod | undefined, host = HOST, secretKey = SECRET_KEY): Record<string, string> {
    const params: Record<string, string> = {
      Action: "DescribeKeys",
      "KeyIds.0": "a",
      Nonce: "4711",
      Region: "ap-guangzhou",
      SecretId: SECRET_ID,
      Timestamp: String(NOW),
      Version: "2019-01-18",
    };
    if (method !== undefined) params["SignatureMethod"] = method;
    const stringToSign = v1StringToSign("POST", host, "/", params);
    params["Signature"] = v1Signature(secretKey, method ?? "HmacSHA1", stringToSign);
    return params;
  }

  it("round-trips HmacSHA1", () => {
    expect(verifyV1(v1Params("HmacSHA1"), "POST", HOST, "/", lookup, NOW)).toEqual({
      secretId: SECRET_ID,
      signatureMethod: "HmacSHA1",
    });
  });

  it("round-trips HmacSHA256", () => {
    expect(verifyV1(v1Params("HmacSHA256"), "POST", HOST, "/", lookup, NOW).signatureMethod).toBe("HmacSHA256");
  });

  it("defaults to HmacSHA1 when SignatureMethod is absent", () => {
    expect(verifyV1(v1Params(undefined), "POST", HOST, "/", lookup, NOW).signatureMethod).toBe("HmacSHA1");
  });

  it("rejects an unknown SignatureMethod", () => {
    const params = { ...v1Params("HmacSHA256"), SignatureMethod: "HmacMD5" };
    expectKind(() => verifyV1(params, "POST", HOST, "/", lookup, NOW), "SignatureFailure");
  });

  it("rejects a SignatureMethod that differs from the one used to sign", () => {
    // Signed as HmacSHA256 over a string naming HmacSHA1: the declared method is part of what is signed.
    const sha256 = v1Params("HmacSHA256");
    const sha1 = v1Params("HmacSHA1");
    expectKind(() => verifyV1({ ...sha1, Signature: sha256["Signature"] ?? "" }, "POST", HOST, "/", lookup, NOW), "SignatureFailure");
  });

  it("tries the host without its port", () => {
    expect(verifyV1(v1Params("HmacSHA256", "127.0.0.1"), "POST", HOST, "/", lookup, NOW).secretId).toBe(SECRET_ID);
    expectKind(() => verifyV1(v1Params("HmacSHA256", "localhost"), "POST", HOST, "/", lookup, NOW), "SignatureFailure");
  });

  it("rejects an unknown or missing SecretId", () => {
    expectKind(() => verifyV1(v1Params("HmacSHA256"), "POST", HOST, "/", () => undefined, NOW), "SecretIdNotFound");
    const { SecretId: _omitted, ...withoutId } = v1Params("HmacSHA256");
    expectKind(() => verifyV1(withoutId, "POST", HOST, "/", lookup, NOW), "SecretIdNotFound");
  });

  it("rejects timestamps more than 300 s either side and accepts the edges", () => {
    const params = v1Params("HmacSHA256");
    expectKind(() => verifyV1(params, "POST", HOST, "/", lookup, NOW + 301), "SignatureExpire");
    expectKind(() => verifyV1(params, "POST", HOST, "/", lookup, NOW - 301), "SignatureExpire");
    expect(verifyV1(params, "POST", HOST, "/", lookup, NOW - 300).secretId).toBe(SECRET_ID);
    expect(verifyV1(params, "POST", HOST, "/", lookup, NOW + 300).secretId).toBe(SECRET_ID);
  });

  it("rejects a missing Timestamp or Signature as InvalidAuthorization", () => {
    const { Timestamp: _t, ...noTimestamp } = v1Params("HmacSHA256");
    expectKind(() => verifyV1(noTimestamp, "POST", HOST, "/", lookup, NOW), "InvalidAuthorization");
    const { Signature: _s, ...noSignature } = v1Params("HmacSHA256");
    expectKind(() => verifyV1(noSignature, "POST", HOST, "/", lookup, NOW), "InvalidAuthorization");
  });

  it("rejects a wrong secret key, a tampered parameter and a wrong method or path", () => {
    expectKind(() => verifyV1(v1Params("HmacSHA256", HOST, "other"), "POST", HOST, "/", lookup, NOW), "SignatureFailure");
    const params = v1Params("HmacSHA256");
    expectKind(() => verifyV1({ ...params, "KeyIds.0": "b" }, "POST", HOST, "/", lookup, NOW), "SignatureFailure");
    expectKind(() => verifyV1(params, "GET", HOST, "/", lookup, NOW), "SignatureFailure");
    expectKind(() => verifyV1(params, "POST", HOST, "/v2/index.php", lookup, NOW), "SignatureFailure");
  });

  it("does not leak the secret key or the expected signature", () => {
    const secretKey = "Sup3rS3cretK3yValue";
    const params = v1Params("HmacSHA256", HOST, secretKey);
    const expected = params["Signature"] ?? "";
    const error = expectKind(
      () => verifyV1({ ...params, Signature: "AAAA" }, "POST", HOST, "/", () => secretKey, NOW),
      "SignatureFailure",
    );
    expect(error.message).not.toContain(secretKey);
    expect(error.message).not.toContain(expected);
  });
});
