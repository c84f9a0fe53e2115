/**
 * Tencent Cloud API 3.0 request signatures, as the official SDKs compute them:
 * TC3-HMAC-SHA256 (header `Authorization`) and the older v1 form signature
 * (HmacSHA256 / HmacSHA1). Pure functions over already-read request parts; the
 * HTTP layer owns reading the body, the clock and the key store.
 *
 * See shared/api/tc3.md for the algorithm and the Node / Go / Python differences.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Why a request was refused; the gateway maps each kind to `AuthFailure.<kind>`. */
export type SignatureErrorKind = "InvalidAuthorization" | "SignatureExpire" | "SignatureFailure" | "SecretIdNotFound";

/**
 * A refused signature. Messages are safe to send to the caller: they never carry
 * the secret key, the expected signature or any intermediate of it.
 */
export class SignatureError extends Error {
  override readonly name = "SignatureError";

  constructor(
    readonly kind: SignatureErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Request headers keyed by lower-cased name, as the HTTP layer hands them over. */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

/** Resolves a SecretId to its SecretKey; `undefined` when the id is unknown. */
export type SecretKeyLookup = (secretId: string) => string | undefined;

/** The algorithm name, in both the Authorization header and the string to sign. */
export const TC3_ALGORITHM = "TC3-HMAC-SHA256";

/** Value of `X-TC-Content-SHA256` by which Go / Python clients opt out of hashing the body. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** Largest accepted distance, either direction, between the request timestamp and now. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Hex SHA-256 of a string (UTF-8) or raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmacSha256(key: string | Uint8Array, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** Constant-time string equality; unequal lengths are rejected first (a length is no secret here). */
function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Own-property read, so names like `constructor` never reach Object.prototype. */
function own(record: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  if (!Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  return typeof value === "string" ? value : undefined;
}

/** UTC `YYYY-MM-DD` of unix seconds, or undefined outside the Date range. */
export function utcDate(unixSeconds: number): string | undefined {
  const d = new Date(unixSeconds * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

/**
 * Parses a unix-seconds timestamp as sent (`X-TC-Timestamp`, v1 `Timestamp`).
 * @throws SignatureError `InvalidAuthorization` when absent or not a non-negative integer
 */
export function parseTimestamp(value: string | undefined, field: string): number {
  if (value === undefined || !/^[0-9]+$/.test(value)) {
    throw new SignatureError("InvalidAuthorization", `${field} is missing or not an integer`);
  }
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds)) {
    throw new SignatureError("InvalidAuthorization", `${field} is out of range`);
  }
  return seconds;
}

/**
 * @throws SignatureError `SignatureExpire` when more than {@link MAX_CLOCK_SKEW_SECONDS} from now
 */
export function checkTimestampWindow(timestamp: number, nowSeconds: number): void {
  if (Math.abs(timestamp - nowSeconds) > MAX_CLOCK_SKEW_SECONDS) {
    throw new SignatureError("SignatureExpire", "signature expired: timestamp is more than 5 minutes from server time");
  }
}

/** `host:port` → `host`; `[v6]:port` → `[v6]`; anything else unchanged. */
export function stripPort(host: string): string {
  const match = /^(\[[^\]]*\]|[^:[\]]*):[0-9]+$/.exec(host);
  return match?.[1] ?? host;
}

/** Host forms to try: as received, then without its port (the Node SDK signs the bare host name). */
function hostForms(host: string): string[] {
  const bare = stripPort(host);
  return bare === host ? [host] : [host, bare];
}

// ---------------------------------------------------------------------------
// TC3-HMAC-SHA256
// ---------------------------------------------------------------------------

/** The parts of a TC3 `Authorization` header. */
export interface Tc3Authorization {
  readonly secretId: string;
  /** Credential date, `YYYY-MM-DD`. */
  readonly date: string;
  /** Service the client declared in the scope (`kms`, or `127` from the Node SDK against an IP). */
  readonly service: string;
  /** Declared signed header names, lower-case, in the order sent. */
  readonly signedHeaders: string[];
  /** 64 lower-case hex characters. */
  readonly signature: string;
}

// RFC 9110 token characters, lower-case only: SignedHeaders must name headers in lower case.
const SIGNED_HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const CREDENTIAL_PART = /^[\x21-\x7e]+$/;
const CREDENTIAL_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

function invalidAuthorization(message: string): SignatureError {
  return new SignatureError("InvalidAuthorization", message);
}

/** Splits `k1=v1, k2=v2` into a map; duplicates and unknown keys are malformed. */
function authorizationFields(list: string): Map<string, string> {
  const allowed = new Set(["Credential", "SignedHeaders", "Signature"]);
  const fields = new Map<string, string>();
  for (const part of list.split(",")) {
    // The SDKs send ", " between fields; trimming also forgives other optional whitespace.
    const item = part.trim();
    const eq = item.indexOf("=");
    if (eq <= 0) throw invalidAuthorization("Authorization field is not key=value");
    const key = item.slice(0, eq);
    if (!allowed.has(key)) throw invalidAuthorization("Authorization has an unknown field");
    if (fields.has(key)) throw invalidAuthorization("Authorization repeats a field");
    fields.set(key, item.slice(eq + 1));
  }
  return fields;
}

function parseCredential(credential: string): Pick<Tc3Authorization, "secretId" | "date" | "service"> {
  const parts = credential.split("/");
  const [secretId, date, service, terminator] = parts;
  if (parts.length !== 4 || secretId === undefined || date === undefined || service === undefined) {
    throw invalidAuthorization("Credential must be <SecretId>/<YYYY-MM-DD>/<service>/tc3_request");
  }
  if (!CREDENTIAL_PART.test(secretId)) throw invalidAuthorization("Credential has an invalid SecretId");
  if (!CREDENTIAL_DATE.test(date)) throw invalidAuthorization("Credential date must be YYYY-MM-DD");
  if (!CREDENTIAL_PART.test(service)) throw invalidAuthorization("Credential has an invalid service");
  if (terminator !== "tc3_request") throw invalidAuthorization("Credential must end with tc3_request");
  return { secretId, date, service };
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(";");
  if (!names.every((name) => SIGNED_HEADER_NAME.test(name))) {
    throw invalidAuthorization("SignedHeaders must be a non-empty list of lower-case header names joined by ';'");
  }
  if (new Set(names).size !== names.length) throw invalidAuthorization("SignedHeaders repeats a header");
  return names;
}

/**
 * Parses `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>`.
 * Field order is free; whitespace around the commas is tolerated.
 * @throws SignatureError `InvalidAuthorization` on any deviation
 */
export function parseTc3Authorization(header: string): Tc3Authorization {
  const trimmed = header.trim();
  const space = trimmed.search(/\s/);
  if (space < 0 || trimmed.slice(0, space) !== TC3_ALGORITHM) {
    throw invalidAuthorization(`Authorization must use ${TC3_ALGORITHM}`);
  }
  const fields = authorizationFields(trimmed.slice(space).trim());
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw invalidAuthorization("Authorization needs Credential, SignedHeaders and Signature");
  }
  if (!HEX_SIGNATURE.test(signature)) throw invalidAuthorization("Signature must be 64 lower-case hex characters");
  return { ...parseCredential(credential), signedHeaders: parseSignedHeaders(signedHeaders), signature };
}

/**
 * The hashed payload line of the canonical request. With UNSIGNED-PAYLOAD the
 * SDKs (Go `sha256hex("UNSIGNED-PAYLOAD")`, Python, Java alike) hash the literal
 * instead of the body; tc3.md vector 4 is computed that way.
 */
export function tc3PayloadHash(body: string | Uint8Array, unsignedPayload: boolean): string {
  return sha256Hex(unsignedPayload ? UNSIGNED_PAYLOAD : body);
}

/** Everything {@link tc3Signature} needs; all strings exactly as they enter the canonical request. */
export interface Tc3SignatureInput {
  readonly secretKey: string;
  /** `POST` or `GET`. */
  readonly method: string;
  /** GET: the raw query exactly as sent (after `?`); POST: `""`. */
  readonly canonicalQueryString: string;
  /** Lower-cased name → value; must hold every signed header, `host` in the form to sign. */
  readonly headers: HeaderMap;
  /** Signed header names as declared by the client. */
  readonly signedHeaders: readonly string[];
  /** Hex SHA-256 of the payload, see {@link tc3PayloadHash}. */
  readonly payloadHash: string;
  /** `X-TC-Timestamp` exactly as sent. */
  readonly timestamp: string;
  /** Credential date, `YYYY-MM-DD`. */
  readonly date: string;
  readonly service: string;
}

/**
 * `name:value\n` per signed header, sorted, lower-cased name, trimmed value.
 * @throws SignatureError `SignatureFailure` when a declared header is absent from the request
 */
export function tc3CanonicalHeaders(headers: HeaderMap, signedHeaders: readonly string[]): string {
  return [...signedHeaders]
    .map((name) => name.toLowerCase())
    .sort()
    .map((name) => {
      const value = own(headers, name);
      if (value === undefined) throw new SignatureError("SignatureFailure", `signed header ${name} is missing`);
      return `${name}:${value.trim()}\n`;
    })
    .join("");
}

/** CanonicalRequest = Method \n / \n Query \n CanonicalHeaders \n SignedHeaders \n HashedPayload. */
export function tc3CanonicalRequest(input: Omit<Tc3SignatureInput, "secretKey" | "timestamp" | "date" | "service">): string {
  return [
    input.method,
    "/",
    input.canonicalQueryString,
    tc3CanonicalHeaders(input.headers, input.signedHeaders),
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
}

/** StringToSign = algorithm \n timestamp \n date/service/tc3_request \n hex(SHA256(CanonicalRequest)). */
export function tc3StringToSign(timestamp: string, date: string, service: string, canonicalRequest: string): string {
  return [TC3_ALGORITHM, timestamp, `${date}/${service}/tc3_request`, sha256Hex(canonicalRequest)].join("\n");
}

/** Derives kSigning from the secret key, date and service. */
function tc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  const kDate = hmacSha256(`TC3${secretKey}`, date);
  const kService = hmacSha256(kDate, service);
  return hmacSha256(kService, "tc3_request");
}

/**
 * Computes the hex TC3-HMAC-SHA256 signature of a request.
 * @throws SignatureError `SignatureFailure` when a signed header is absent from `headers`
 */
export function tc3Signature(input: Tc3SignatureInput): string {
  const stringToSign = tc3StringToSign(input.timestamp, input.date, input.service, tc3CanonicalRequest(input));
  return createHmac("sha256", tc3SigningKey(input.secretKey, input.date, input.service))
    .update(stringToSign, "utf8")
    .digest("hex");
}

/** An API 3.0 request as read off the wire. */
export interface Tc3Request {
  readonly method: string;
  /** Everything after `?` exactly as sent, `""` when there is none. */
  readonly rawQuery: string;
  /** Lower-cased name → value. */
  readonly headers: HeaderMap;
  /** The raw body bytes, never a re-serialisation. */
  readonly body: Uint8Array;
}

/** Who signed a request. */
export interface VerifiedCaller {
  readonly secretId: string;
  /** Service declared in the credential scope; not checked here. */
  readonly service: string;
}

/**
 * Verifies a TC3-HMAC-SHA256 request: header shape, timestamp window, credential
 * date, SecretId, then the signature with the Host as received and without its port.
 * `parsed`: the Authorization header as the caller already parsed it (parseTc3Authorization of the same header).
 * @throws SignatureError of the first failing check
 */
export function verifyTc3(request: Tc3Request, lookupSecretKey: SecretKeyLookup, nowSeconds: number, parsed?: Tc3Authorization): VerifiedCaller {
  const header = own(request.headers, "authorization");
  if (header === undefined) throw invalidAuthorization("Authorization header is missing");
  const auth = parsed ?? parseTc3Authorization(header);

  const timestampText = own(request.headers, "x-tc-timestamp");
  const timestamp = parseTimestamp(timestampText, "X-TC-Timestamp");
  checkTimestampWindow(timestamp, nowSeconds);
  if (utcDate(timestamp) !== auth.date) {
    throw new SignatureError("SignatureFailure", "credential date does not match the UTC date of X-TC-Timestamp");
  }

  const secretKey = lookupSecretKey(auth.secretId);
  if (secretKey === undefined) throw new SignatureError("SecretIdNotFound", "SecretId not found");

  const unsigned = own(request.headers, "x-tc-content-sha256")?.trim() === UNSIGNED_PAYLOAD;
  const base = {
    secretKey,
    method: request.method,
    canonicalQueryString: request.method === "GET" ? request.rawQuery : "",
    signedHeaders: auth.signedHeaders,
    payloadHash: tc3PayloadHash(request.body, unsigned),
    timestamp: timestampText ?? "",
    date: auth.date,
    service: auth.service,
  };
  const host = own(request.headers, "host");
  // Only retry without the port when the host is actually signed; otherwise both tries are the same.
  const hosts = host !== undefined && auth.signedHeaders.includes("host") ? hostForms(host) : [host];
  for (const candidate of hosts) {
    const headers = candidate === undefined ? request.headers : { ...request.headers, host: candidate };
    if (constantTimeEqual(tc3Signature({ ...base, headers }), auth.signature)) {
      return { secretId: auth.secretId, service: auth.service };
    }
  }
  throw new SignatureError("SignatureFailure", "signature does not match");
}

// ---------------------------------------------------------------------------
// v1 (HmacSHA256 / HmacSHA1)
// ---------------------------------------------------------------------------

/** The HMACs a v1 request may name in `SignatureMethod`. */
export type V1SignatureMethod = "HmacSHA256" | "HmacSHA1";

/** Who signed a v1 request. */
export interface V1VerifiedCaller {
  readonly secretId: string;
  readonly signatureMethod: V1SignatureMethod;
}

/**
 * METHOD + host[:port] + path + "?" + k=v&… over every parameter but `Signature`,
 * sorted by key in code-unit order (as `Array.prototype.sort` in the SDKs), values not URL-encoded.
 */
export function v1StringToSign(
  method: string,
  hostWithPort: string,
  path: string,
  params: Readonly<Record<string, string>>,
): string {
  const query = Object.keys(params)
    .filter((key) => key !== "Signature")
    .sort()
    .map((key) => `${key}=${params[key] ?? ""}`)
    .join("&");
  return `${method}${hostWithPort}${path}?${query}`;
}

/** Base64 of HMAC-SHA256 or HMAC-SHA1 of the string to sign under the secret key. */
export function v1Signature(secretKey: string, method: V1SignatureMethod, stringToSign: string): string {
  const algorithm = method === "HmacSHA256" ? "sha256" : "sha1";
  return createHmac(algorithm, secretKey).update(stringToSign, "utf8").digest("base64");
}

/** `SignatureMethod` defaults to HmacSHA1 when absent, as the v1 spec says. */
function v1Method(value: string | undefined): V1SignatureMethod {
  if (value === undefined) return "HmacSHA1";
  if (value === "HmacSHA256" || value === "HmacSHA1") return value;
  throw new SignatureError("SignatureFailure", "SignatureMethod must be HmacSHA256 or HmacSHA1");
}

/**
 * Verifies a v1-signed request from its decoded parameters. Tries the Host as
 * received, then without its port. Nonce replay is not tracked here (no state).
 * @param method HTTP method, `POST` or `GET`
 * @throws SignatureError of the first failing check
 */
export function verifyV1(
  params: Readonly<Record<string, string>>,
  method: string,
  hostHeader: string,
  path: string,
  lookupSecretKey: SecretKeyLookup,
  nowSeconds: number,
): V1VerifiedCaller {
  const signature = own(params, "Signature");
  if (signature === undefined || signature === "") throw invalidAuthorization("Signature parameter is missing");

  checkTimestampWindow(parseTimestamp(own(params, "Timestamp"), "Timestamp"), nowSeconds);
  const signatureMethod = v1Method(own(params, "SignatureMethod"));

  const secretId = own(params, "SecretId");
  const secretKey = secretId === undefined || secretId === "" ? undefined : lookupSecretKey(secretId);
  if (secretId === undefined || secretKey === undefined) {
    throw new SignatureError("SecretIdNotFound", "SecretId not found");
  }

  for (const host of hostForms(hostHeader)) {
    const expected = v1Signature(secretKey, signatureMethod, v1StringToSign(method, host, path, params));
    if (constantTimeEqual(expected, signature)) return { secretId, signatureMethod };
  }
  throw new SignatureError("SignatureFailure", "signature does not match");
}
