/**
 * The API 3.0 entry on the HTTP/1.1 listener: read the body (bounded), verify
 * the signature (TC3-HMAC-SHA256 or v1 HmacSHA256/HmacSHA1), route
 * X-TC-Action, rate-limit, translate, call the same action the gRPC service
 * calls, and answer in the envelope. Every answer, error or not, is HTTP 200
 * with Content-Type application/json, as the official SDKs require.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { create, type DescMessage } from "@bufbuild/protobuf";
import { performance } from "node:perf_hooks";
import type { Directory } from "../access/directory.js";
import type { CallMeta, Gate, GatedMethod } from "../access/gate.js";
import type { Identity } from "../call.js";
import { KmsError } from "../errors.js";
import { newRequestId } from "../crypto/random.js";
import type { Logger } from "../log.js";
import type { InFlight } from "../server/interceptors.js";
import { CONTENT_TYPE, errorBody, successBody } from "./envelope.js";
import { parseQuery, unflatten, type ParamTree } from "./params.js";
import type { RateLimiter } from "./rate-limit.js";
import { KMS_API_VERSION, REQUIRED } from "./routes.js";
import { SignatureError, verifyTc3, verifyV1 } from "./tc3-signature.js";
import { fromApi, toApi, type InputSource, type JsonValue } from "./translate.js";

export interface GatewayOptions {
  /** KeyManagementService behind the gate, by method name (= API 3.0 action). */
  methods: ReadonlyMap<string, GatedMethod>;
  gate: Gate;
  directory: Directory;
  rateLimiter: RateLimiter;
  maxBodyBytes: number;
  regions: readonly string[];
  inFlight: InFlight;
  log: Logger;
  /** Wall-clock seconds for the signature window (not the domain clock: signatures are made with real time). */
  nowSeconds?: () => number;
}

/** A request as parsed, before dispatch. */
interface ApiCall {
  secretId: string;
  /** Whom the verified SecretId names (read with its secret key, during verification). */
  identity: Identity | undefined;
  action: string;
  version: string | undefined;
  region: string | undefined;
  input: { [key: string]: ParamValueOrJson };
  source: InputSource;
}
type ParamValueOrJson = JsonValue | ParamTree[string];

const SIGNATURE_CODES = {
  InvalidAuthorization: "AuthFailure.InvalidAuthorization",
  SignatureExpire: "AuthFailure.SignatureExpire",
  SignatureFailure: "AuthFailure.SignatureFailure",
  SecretIdNotFound: "AuthFailure.SecretIdNotFound",
} as const;

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const tooLarge = () => new KmsError("RequestSizeLimitExceeded", `the request body exceeds ${max} bytes`);
    if (declared > max) {
      req.resume(); // drain and discard, so the answer can still be read by the client
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => failed || resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : v;
  return out;
}

function mediaType(headers: Record<string, string>): string {
  return (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

function parseJsonObject(body: Buffer): { [key: string]: JsonValue } {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new KmsError("InvalidParameter", "the request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new KmsError("InvalidParameter", "the request body must be a JSON object");
  return parsed as { [key: string]: JsonValue };
}

function signatureFailure(err: unknown): unknown {
  return err instanceof SignatureError ? new KmsError(SIGNATURE_CODES[err.kind], err.message) : err;
}

/** Verifies the request and extracts action, version, region and the action's parameters. */
function authenticate(req: IncomingMessage, body: Buffer, directory: Directory, now: number): ApiCall {
  const headers = headerMap(req);
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const rawQuery = q >= 0 ? url.slice(q + 1) : "";
  const path = q >= 0 ? url.slice(0, q) : url;
  const method = (req.method ?? "GET").toUpperCase();
  const type = mediaType(headers);
  if (type === "multipart/form-data") throw new KmsError("InvalidParameter", "multipart/form-data is not supported by this service");
  let found: ReturnType<Directory["accessKey"]>;
  const lookup = (id: string) => (found = directory.accessKey(id))?.secretKey;

  if (headers.authorization !== undefined) {
    let secretId: string;
    try {
      ({ secretId } = verifyTc3({ method, rawQuery, headers, body }, lookup, now));
    } catch (err) {
      throw signatureFailure(err);
    }
    if (headers["x-tc-token"]) throw new KmsError("AuthFailure.TokenFailure", "temporary credentials (X-TC-Token) are not issued by this service");
    const form = method === "GET" ? rawQuery : type === "application/x-www-form-urlencoded" ? body.toString("utf8") : undefined;
    return {
      secretId,
      identity: found?.identity,
      action: headers["x-tc-action"] ?? "",
      version: headers["x-tc-version"],
      region: headers["x-tc-region"],
      input: form === undefined ? parseJsonObject(body) : unflatten(parseQuery(form)),
      source: form === undefined ? "json" : "form",
    };
  }

  // No Authorization header: the v1 signature, carried in the parameters.
  const pairs = parseQuery(method === "GET" ? rawQuery : body.toString("utf8"));
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of pairs) params[k] = v;
  if (params.Signature === undefined) throw new KmsError("AuthFailure.InvalidAuthorization", "the request is not signed");
  let secretId: string;
  try {
    ({ secretId } = verifyV1(params, method, headers.host ?? "", path, lookup, now));
  } catch (err) {
    throw signatureFailure(err);
  }
  if (params.Token) throw new KmsError("AuthFailure.TokenFailure", "temporary credentials (Token) are not issued by this service");
  return { secretId, identity: found?.identity, action: params.Action ?? "", version: params.Version, region: params.Region, input: unflatten(pairs), source: "form" };
}

export function createGatewayHandler(opts: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const nowSeconds = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  /** The action named by the request, for the audit event of a call that fails before dispatch. */
  function actionNameOf(req: IncomingMessage): string {
    const named = req.headers["x-tc-action"];
    return typeof named === "string" && opts.methods.has(named) ? `kms:${named}` : "kms:Unknown";
  }

  async function answer(req: IncomingMessage, requestId: string): Promise<string> {
    const startedAt = performance.now();
    const meta: CallMeta = { requestId, transport: "api3", source: req.socket.remoteAddress ?? "", region: opts.regions[0] ?? "" };
    let identity: Identity | undefined;
    let action = actionNameOf(req);
    let dispatched = false;
    try {
      const body = await readBody(req, opts.maxBodyBytes);
      if ((req.url ?? "").length > opts.maxBodyBytes) throw new KmsError("RequestSizeLimitExceeded", `the query string exceeds ${opts.maxBodyBytes} bytes`);
      const call = authenticate(req, body, opts.directory, nowSeconds());
      identity = call.identity;
      if (!identity) throw new KmsError("AuthFailure.SecretIdNotFound", "SecretId not found");
      if (call.action === "") throw new KmsError("MissingParameter", "The parameter `Action` is missing");
      const gated = opts.methods.get(call.action);
      if (!gated) throw new KmsError("InvalidAction", `The action ${call.action.slice(0, 64)} is not supported`);
      action = gated.action;
      if (call.version === undefined || call.version === "") throw new KmsError("MissingParameter", "The parameter `Version` is missing");
      if (call.version !== KMS_API_VERSION) throw new KmsError("NoSuchVersion", `${call.action} is offered in version ${KMS_API_VERSION}`);
      if (call.region && !opts.regions.includes(call.region)) throw new KmsError("UnsupportedRegion", `region ${call.region.slice(0, 64)} is not served here`);
      if (call.region) meta.region = call.region;
      opts.rateLimiter.take(call.secretId, call.action);
      const input = fromApi(gated.method.input, call.input as { [key: string]: JsonValue }, call.source, REQUIRED);
      dispatched = true;
      const output = await gated.invoke(input, identity, meta);
      const message = create(gated.method.output as DescMessage, output) as unknown as Record<string, unknown>;
      return successBody(toApi(gated.method.output, message), requestId);
    } catch (err) {
      // The gate records what it dispatched; everything refused before that is recorded here.
      if (!dispatched) opts.gate.rejected(action, err, meta, startedAt, identity);
      throw err;
    }
  }

  return (req, res) => {
    const requestId = newRequestId();
    opts.inFlight.enter();
    answer(req, requestId)
      .catch((err: unknown) => {
        if (!(err instanceof KmsError) || err.code === "InternalError") opts.log.error(`gateway request ${requestId}`, err instanceof KmsError ? err.cause : err);
        return errorBody(err, requestId);
      })
      .then((text) => {
        const headers: Record<string, string> = { "Content-Type": CONTENT_TYPE, "Content-Length": String(Buffer.byteLength(text)) };
        const traceId = req.headers["x-tc-traceid"];
        if (typeof traceId === "string") headers["X-TC-TraceId"] = traceId;
        res.writeHead(200, headers);
        res.end(text);
      })
      .finally(() => opts.inFlight.leave());
  };
}
