/**
 * The API 3.0 entry on the HTTP/1.1 listener: a wire codec around the call
 * pipeline. It reads the body (bounded), hands the signature (TC3-HMAC-SHA256
 * or v1 HmacSHA256/HmacSHA1) to the pipeline to identify the caller, routes
 * (X-TC-Version, X-TC-Action) through the route table, translates Tencent's
 * JSON or form parameters, and answers in the envelope. Every answer, error
 * or not, is HTTP 200 with Content-Type application/json, as the official
 * SDKs require.
 */
import type { ServerResponse } from "node:http";
import { create, type DescMessage } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { KmsError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Credentials } from "../../pipeline/credentials.js";
import type { Call, CallPipeline } from "../../pipeline/pipeline.js";
import type { Route } from "../../pipeline/routes.js";
import { mediaType, readBody, type HttpRequest } from "../http/body.js";
import { peerOf } from "../http/peer.js";
import { MIN_REVISION_HEADER, revisionHeader } from "../http/headers.js";
import { CONTENT_TYPE, errorBody, successBody } from "./envelope.js";
import { parseQuery, unflatten, type ParamTree } from "./params.js";
import { SignatureLedger } from "./replay.js";
import { parseTc3Authorization, SignatureError, stripPort, UNSIGNED_PAYLOAD, verifyTc3, verifyV1, type Tc3Authorization } from "./tc3-signature.js";
import { fromApi, toApi, type InputSource, type JsonValue } from "./translate.js";

export interface GatewayOptions {
  maxBodyBytes: number;
  /** Accept TC3 requests whose body is not signed (X-TC-Content-SHA256: UNSIGNED-PAYLOAD). */
  allowUnsignedPayload: boolean;
  log: Logger;
  /** Wall-clock seconds for the signature window (not the domain clock: signatures are made with real time). */
  nowSeconds?: () => number;
}

/** A request as parsed, before its signature is checked. */
interface ApiRequest {
  credentials: Extract<Credentials, { kind: "signature" }>;
  /** The signature as sent, for the replay ledger. */
  signature: string;
  /** TC3: the service the credential scope names (v1 names none). */
  service: string | undefined;
  /** Temporary credentials, which this service does not issue. */
  token: boolean;
  action: string;
  version: string | undefined;
  region: string | undefined;
  input: { [key: string]: JsonValue | ParamTree[string] };
  source: InputSource;
}

const SIGNATURE_CODES = {
  InvalidAuthorization: "AuthFailure.InvalidAuthorization",
  SignatureExpire: "AuthFailure.SignatureExpire",
  SignatureFailure: "AuthFailure.SignatureFailure",
  SecretIdNotFound: "AuthFailure.SecretIdNotFound",
} as const;

function headerMap(req: HttpRequest): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : v;
  return out;
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

/** A signature check for the pipeline: its SignatureError becomes the API's AuthFailure code. */
function signature(check: (secretKeyOf: (secretId: string) => string | undefined) => string): ApiRequest["credentials"] {
  return {
    kind: "signature",
    verify: (secretKeyOf) => {
      try {
        return check(secretKeyOf);
      } catch (err) {
        throw signatureFailure(err);
      }
    },
  };
}

/**
 * What this service asks of a TC3 signature beyond its arithmetic: the host
 * and the content type signed (what the SDKs sign; less leaves the request
 * open to rewriting), and the body signed unless the operator allows
 * UNSIGNED-PAYLOAD.
 */
function tc3Policy(headers: Record<string, string>, opts: GatewayOptions): Tc3Authorization {
  let auth;
  try {
    auth = parseTc3Authorization(headers.authorization ?? "");
  } catch (err) {
    throw signatureFailure(err);
  }
  if (!auth.signedHeaders.includes("host") || !auth.signedHeaders.includes("content-type"))
    throw new KmsError("AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host");
  if (!opts.allowUnsignedPayload && headers["x-tc-content-sha256"]?.trim() === UNSIGNED_PAYLOAD)
    throw new KmsError("AuthFailure.SignatureFailure", "UNSIGNED-PAYLOAD is not accepted by this service: sign the body");
  return auth;
}

/**
 * The credential scope names the product the client meant (kms, ssm). The
 * Node SDK puts the first label of the endpoint's host there instead (127
 * for 127.0.0.1), so that is accepted too; anything else is a signature made
 * for another service.
 */
function assertScope(api: ApiRequest, route: Route, host: string | undefined): void {
  if (api.service === undefined) return;
  const firstLabel = stripPort(host ?? "").split(".")[0];
  if (api.service !== route.api?.product && api.service !== firstLabel)
    throw new KmsError("AuthFailure.SignatureFailure", `the credential scope names service ${api.service.slice(0, 32)}; this action belongs to ${route.api?.product ?? "?"}`);
}

/** Extracts the signature, action, version, region and the action's parameters. */
function parseRequest(req: HttpRequest, body: Buffer, now: number, opts: GatewayOptions): ApiRequest {
  const headers = headerMap(req);
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const rawQuery = q >= 0 ? url.slice(q + 1) : "";
  const path = q >= 0 ? url.slice(0, q) : url;
  const method = (req.method ?? "GET").toUpperCase();
  const type = mediaType(req);
  if (type === "multipart/form-data") throw new KmsError("InvalidParameter", "multipart/form-data is not supported by this service");

  if (headers.authorization !== undefined) {
    const auth = tc3Policy(headers, opts);
    const form = method === "GET" ? rawQuery : type === "application/x-www-form-urlencoded" ? body.toString("utf8") : undefined;
    return {
      credentials: signature((secretKeyOf) => verifyTc3({ method, rawQuery, headers, body }, secretKeyOf, now, auth).secretId),
      signature: auth.signature,
      service: auth.service,
      token: Boolean(headers["x-tc-token"]),
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
  return {
    credentials: signature((secretKeyOf) => verifyV1(params, method, headers.host ?? "", path, secretKeyOf, now).secretId),
    signature: params.Signature,
    service: undefined,
    token: Boolean(params.Token),
    action: params.Action ?? "",
    version: params.Version,
    region: params.Region,
    input: unflatten(pairs),
    source: "form",
  };
}

/**
 * The route of (version, action), with the documented code for each way it
 * can be missing: an action no version offers is InvalidAction; an action
 * asked for in a version that does not offer it (KMS's Encrypt at SSM's
 * 2019-09-23, or any action at an unknown version) is NoSuchVersion, naming
 * the versions that do. Actions both products have (GetServiceStatus,
 * GetRegions) are told apart by the version alone.
 */
function routeOf(pipeline: CallPipeline, api: ApiRequest): Route {
  if (api.action === "") throw new KmsError("MissingParameter", "The parameter `Action` is missing");
  if (!pipeline.routes.anyApiAction(api.action)) throw new KmsError("InvalidAction", `The action ${api.action.slice(0, 64)} is not supported`);
  if (api.version === undefined || api.version === "") throw new KmsError("MissingParameter", "The parameter `Version` is missing");
  const route = pipeline.routes.byApiAction(api.version, api.action);
  if (!route) {
    const offered = pipeline.routes.apiVersions().filter((v) => pipeline.routes.byApiAction(v, api.action));
    throw new KmsError("NoSuchVersion", `${api.action} is offered in version ${offered.join(" and ")}, not ${api.version.slice(0, 32)}`);
  }
  return route;
}

/** Reads, identifies, routes and translates one request (the pipeline does the rest). */
async function accept(pipeline: CallPipeline, ledger: SignatureLedger, req: HttpRequest, call: Call, opts: GatewayOptions, now: number): Promise<ReturnType<typeof fromApi>> {
  const named = req.headers["x-tc-action"];
  const early = typeof named === "string" ? pipeline.routes.anyApiAction(named) : undefined;
  if (early) pipeline.nameAction(call, early.action);
  const body = await readBody(req, opts.maxBodyBytes);
  if ((req.url ?? "").length > opts.maxBodyBytes) throw new KmsError("RequestSizeLimitExceeded", `the query string exceeds ${opts.maxBodyBytes} bytes`);
  const api = parseRequest(req, body, now, opts);
  await pipeline.admit(call, req.headers[MIN_REVISION_HEADER]);
  pipeline.identify(call, api.credentials);
  if (api.token) throw new KmsError("AuthFailure.TokenFailure", "temporary credentials (X-TC-Token, Token) are not issued by this service");
  const route = routeOf(pipeline, api);
  pipeline.setRoute(call, route);
  pipeline.setRegion(call, api.region);
  assertScope(api, route, req.headers.host);
  const mutating = route.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
  ledger.admit({ signature: api.signature, action: api.action, version: api.version ?? "", region: call.region, source: call.source, mutating });
  return fromApi(route.method.input, api.input as { [key: string]: JsonValue }, api.source, route.api?.required ?? {});
}

export function createGatewayHandler(pipeline: CallPipeline, opts: GatewayOptions): (req: HttpRequest, res: ServerResponse) => void {
  const nowSeconds = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const ledger = new SignatureLedger(() => nowSeconds() * 1000);
  return (req, res) => {
    pipeline
      .serve("api3", peerOf(req.socket).source, (call) => accept(pipeline, ledger, req, call, opts, nowSeconds()))
      .then((served) => {
        const text = served.ok
          ? successBody(toApi(served.route.method.output, create(served.route.method.output as DescMessage, served.output) as unknown as Record<string, unknown>), served.call.requestId)
          : errorBody(served.outcome, served.call.requestId);
        const headers: Record<string, string> = { "Content-Type": CONTENT_TYPE, "Content-Length": String(Buffer.byteLength(text)), ...(served.ok ? revisionHeader(served.call.revision) : {}) };
        const traceId = req.headers["x-tc-traceid"];
        if (typeof traceId === "string") headers["X-TC-TraceId"] = traceId;
        res.writeHead(200, headers);
        res.end(text);
      })
      .catch((err: unknown) => opts.log.error("api3: answer not sent", err));
  };
}
