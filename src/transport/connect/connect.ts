/**
 * The Connect protocol (unary POST, proto3 JSON or binary), over HTTP/1.1 and
 * HTTP/2: a wire codec around the call pipeline. Route and credentials come
 * from the headers before the body is read; JSON is decoded strictly (unknown
 * fields and enum values refused; Tencent's enum spellings accepted). Errors
 * follow the Connect spec: an HTTP status from the code, and a JSON body
 * {code, message, details:[kms.v1.ErrorInfo]}; the API code also goes in the
 * kms-error-code header.
 */
import { create, toBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { ErrorInfoSchema } from "../../../gen/kms/v1/kms_pb.js";
import { decodeBinary, decodeJson } from "../../contract/decode.js";
import { newRequestId } from "../../crypto/random.js";
import { GrpcStatus, KmsError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Outcome } from "../../pipeline/outcome.js";
import type { CallPipeline } from "../../pipeline/pipeline.js";
import type { MessageInit } from "../../pipeline/routes.js";
import { mediaType, pathOf, readBody, type HttpRequest } from "../http/body.js";
import { ERROR_CODE_HEADER, MIN_REVISION_HEADER, REGION_HEADER, REQUEST_ID_HEADER, revisionHeader } from "../http/headers.js";
import { credentialsOf, peerOf, sessionOf } from "../http/peer.js";
import type { HttpResponse } from "../http/response.js";

export interface ConnectOptions {
  readMaxBytes: number;
  log: Logger;
}

/** Connect's code names by gRPC status number. */
const CODE_NAMES: Readonly<Record<number, string>> = {
  1: "canceled",
  2: "unknown",
  3: "invalid_argument",
  4: "deadline_exceeded",
  5: "not_found",
  6: "already_exists",
  7: "permission_denied",
  8: "resource_exhausted",
  9: "failed_precondition",
  10: "aborted",
  11: "out_of_range",
  12: "unimplemented",
  13: "internal",
  14: "unavailable",
  15: "data_loss",
  16: "unauthenticated",
};

/** HTTP status of a Connect error (the Connect spec's table). */
const HTTP_STATUS: Readonly<Record<number, number>> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

const MEDIA = { "application/json": "json", "application/proto": "proto" } as const;

function errorBody(outcome: Outcome, status: number, requestId: string): string {
  const info = toBinary(ErrorInfoSchema, create(ErrorInfoSchema, { code: outcome.code, requestId }));
  const value = Buffer.from(info).toString("base64").replace(/=+$/, "");
  return JSON.stringify({ code: CODE_NAMES[status] ?? "unknown", message: outcome.message, details: [{ type: ErrorInfoSchema.typeName, value }] });
}

/**
 * The Connect status of an outcome. A message over the size limit is
 * resource_exhausted in Connect's protocol (connect-es clients expect it),
 * and a method that does not exist is an HTTP 404.
 */
function connectStatus(outcome: Outcome): { status: number; http: number } {
  if (outcome.code === "RequestSizeLimitExceeded") return { status: GrpcStatus.ResourceExhausted, http: 429 };
  if (outcome.code === "InvalidAction") return { status: GrpcStatus.Unimplemented, http: 404 };
  return { status: outcome.status, http: HTTP_STATUS[outcome.status] ?? 500 };
}

function encode(schema: DescMessage, output: MessageInit, json: boolean): Uint8Array | string {
  const message = create(schema, output);
  return json ? toJsonString(schema, message) : toBinary(schema, message);
}

/**
 * A body in a format this service does not speak is not a call of any protocol
 * here: HTTP 415, as the Connect and gRPC HTTP mappings say, with the formats
 * it does speak.
 */
function unsupportedMedia(req: HttpRequest, res: HttpResponse): void {
  req.resume();
  res.writeHead(415, { "accept-post": "application/json, application/proto, application/grpc, application/grpc-web+proto, application/grpc-web+json", [REQUEST_ID_HEADER]: newRequestId() });
  res.end();
}

export function createConnectHandler(pipeline: CallPipeline, opts: ConnectOptions): (req: HttpRequest, res: HttpResponse) => void {
  return (req, res) => {
    const media = MEDIA[mediaType(req) as keyof typeof MEDIA];
    // A method this service has, asked for in a format it does not speak: 415. A path it does not have: 404 below.
    if (!media && pipeline.routes.byGrpcPath(pathOf(req))) return unsupportedMedia(req, res);
    const peer = peerOf(req.socket);
    pipeline
      .serve("connect", peer.source, async (call) => {
        const route = pipeline.routes.byGrpcPath(pathOf(req));
        if (!route) throw new KmsError("InvalidAction", `no method ${pathOf(req).slice(0, 120)}`);
        pipeline.setRoute(call, route);
        if (req.method !== "POST" || !media) throw new KmsError("InvalidParameter", "Connect unary calls are POST requests of application/json or application/proto");
        await pipeline.admit(call, req.headers[MIN_REVISION_HEADER]);
        pipeline.identify(call, credentialsOf(req.headers.authorization, peer, sessionOf(req)));
        pipeline.setRegion(call, req.headers[REGION_HEADER] as string | undefined);
        const encoding = req.headers["content-encoding"];
        if (encoding !== undefined && encoding !== "identity") throw new KmsError("UnsupportedOperation", `content-encoding ${String(encoding).slice(0, 32)} is not supported; send identity`);
        const body = await readBody(req, opts.readMaxBytes);
        return media === "json" ? decodeJson(route.method.input, body) : decodeBinary(route.method.input, body);
      })
      .then((served) => {
        const requestId = served.call.requestId;
        if (served.ok) {
          res.writeHead(200, { "content-type": media === "proto" ? "application/proto" : "application/json", [REQUEST_ID_HEADER]: requestId, ...revisionHeader(served.call.revision) });
          res.end(encode(served.route.method.output, served.output, media !== "proto"));
          return;
        }
        req.resume();
        const { status, http } = connectStatus(served.outcome);
        res.writeHead(http, { "content-type": "application/json", [REQUEST_ID_HEADER]: requestId, [ERROR_CODE_HEADER]: served.outcome.code });
        res.end(errorBody(served.outcome, status, requestId));
      })
      .catch((err: unknown) => opts.log.error("connect: answer not sent", err));
  };
}
