/**
 * gRPC (unary) on the h2c port, served straight over node:http2.
 *
 * Why not connect-node for this protocol: measured here (npm run bench),
 * connect-node's gRPC path costs 400-770 µs of CPU per call with no work
 * (per-call AbortSignal/DOMException and async-iterable plumbing), ten times
 * a bare node:http2 echo; and it answers malformed frames with INTERNAL and
 * no API code, before any interceptor runs. Unary gRPC is small: one
 * length-prefixed message in, one out, status in trailers. gRPC-Web and
 * Connect stay with connect-node (app.ts routes by content type).
 *
 * Every answer carries kms-request-id; every failure grpc-status,
 * grpc-message, the API 3.0 code in kms-error-code, and google.rpc.Status
 * with a kms.v1.ErrorInfo detail in grpc-status-details-bin (where connect-es
 * and other gRPC clients read error details).
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { performance } from "node:perf_hooks";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import type { Directory } from "../access/directory.js";
import type { CallMeta, Gate, GatedMethod } from "../access/gate.js";
import type { Identity } from "../call.js";
import { GrpcStatus, KmsError, type ErrorCode } from "../errors.js";
import { newRequestId } from "../crypto/random.js";
import type { Logger } from "../log.js";
import { authenticate, peerOf } from "./authenticate.js";
import { ERROR_CODE_HEADER, REQUEST_ID_HEADER, type InFlight } from "./interceptors.js";

/** The standard gRPC health check: answered without credentials, as load balancers call it. */
const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";
/** grpc.health.v1.HealthCheckResponse { status: SERVING (1) }. */
const SERVING = Uint8Array.of(0x08, 0x01);

const GRPC_CONTENT_TYPE = /^application\/grpc(?:\+proto)?(?:;.*)?$/i;

/** True for gRPC proper (not gRPC-Web, not Connect). */
export function isGrpcRequest(headers: IncomingHttpHeaders): boolean {
  return GRPC_CONTENT_TYPE.test(String(headers["content-type"] ?? ""));
}

/** Percent-encoding of grpc-message (gRPC over HTTP/2 spec). */
function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** google.rpc.Status { code, message, details: [Any(kms.v1.ErrorInfo)] }, written by hand: two small messages. */
function statusDetails(status: number, message: string, code: ErrorCode, requestId: string): string {
  const info = toBinary(ErrorInfoSchema, create(ErrorInfoSchema, { code, requestId }));
  const any = new BinaryWriter().tag(1, WireType.LengthDelimited).string(`type.googleapis.com/${ErrorInfoSchema.typeName}`).tag(2, WireType.LengthDelimited).bytes(info).finish();
  const st = new BinaryWriter().tag(1, WireType.Varint).int32(status).tag(2, WireType.LengthDelimited).string(message).tag(3, WireType.LengthDelimited).bytes(any).finish();
  return Buffer.from(st).toString("base64");
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = 0;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/** The error as gRPC status, message and API code; unexpected errors are logged and answered generically. */
function describe(err: unknown, requestId: string, log: Logger): { status: number; message: string; code: ErrorCode } {
  if (err instanceof KmsError) {
    if (err.code === "InternalError") log.error(`request ${requestId}: ${err.message}`, err.cause);
    return { status: err.grpcCode, message: err.message, code: err.code };
  }
  log.error(`request ${requestId}: unexpected error`, err);
  return { status: GrpcStatus.Internal, message: "internal error", code: "InternalError" };
}

export interface GrpcHandlerOptions {
  /** Every gated method of every service on this port. */
  methods: readonly GatedMethod[];
  directory: Directory;
  gate: Gate;
  /** Region of calls (gRPC requests cannot name one). */
  region: string;
  inFlight: InFlight;
  log: Logger;
  /** Largest request message, in bytes. */
  readMaxBytes: number;
}

/**
 * Handles a gRPC request on its HTTP/2 stream (the caller checked
 * isGrpcRequest). The stream API, not the compat request/response pair: the
 * pair costs two objects and their listeners per call (measured, about a
 * tenth of the server's CPU per Encrypt).
 */
export function createGrpcHandler(opts: GrpcHandlerOptions): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void {
  const routes = new Map<string, GatedMethod>(opts.methods.map((m) => [`/${m.method.parent.typeName}/${m.method.name}`, m]));
  return (stream, headers) => {
    const startedAt = performance.now();
    const requestId = newRequestId();
    let answered = false;

    // A stream the client reset mid-call takes no answer; respond() on it would throw, and nothing may throw from here.
    const gone = () => stream.destroyed || stream.closed;
    const fail = (err: unknown) => {
      if (answered || gone()) return;
      answered = true;
      const { status, message, code } = describe(err, requestId, opts.log);
      // Trailers-only response: status in the one HEADERS frame that ends the stream.
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          [REQUEST_ID_HEADER]: requestId,
          "grpc-status": String(status),
          "grpc-message": encodeGrpcMessage(message),
          [ERROR_CODE_HEADER]: code,
          "grpc-status-details-bin": statusDetails(status, message, code, requestId),
        },
        { endStream: true },
      );
    };
    const succeed = (payload: Uint8Array) => {
      if (answered || gone()) return;
      answered = true;
      stream.respond({ ":status": 200, "content-type": "application/grpc", [REQUEST_ID_HEADER]: requestId }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(payload));
    };
    stream.on("error", () => undefined); // a client that goes away mid-answer is not our error

    const url = headers[":path"] ?? "";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (path === HEALTH_CHECK_PATH) {
      stream.resume();
      stream.once("end", () => succeed(SERVING));
      return;
    }
    const route = routes.get(path);
    const peer = peerOf(stream.session?.socket);
    const meta: CallMeta = { requestId, transport: "grpc", source: peer.source, region: opts.region };
    let identity: Identity | undefined;
    // Until the gate has the call, refusals are audited here.
    const refuse = (err: unknown) => {
      opts.gate.rejected(route?.action ?? "kms:Unknown", err, meta, startedAt, identity);
      fail(err);
    };
    try {
      identity = authenticate(opts.directory, headers.authorization, peer);
    } catch (err) {
      stream.resume();
      return refuse(err);
    }
    if (!route) {
      stream.resume();
      return refuse(new KmsError("InvalidAction", `no method ${url.slice(0, 120)}`));
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      stream.resume();
      return refuse(new KmsError("UnsupportedOperation", `grpc-encoding ${String(encoding).slice(0, 32)} is not supported; send identity`));
    }

    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (c: Buffer) => {
      if (answered) return;
      size += c.length;
      if (size > opts.readMaxBytes + 5) {
        refuse(new KmsError("RequestSizeLimitExceeded", `the request message exceeds ${opts.readMaxBytes} bytes`));
        return;
      }
      chunks.push(c);
    });
    stream.on("end", () => {
      if (answered) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5)
        return refuse(new KmsError("InvalidParameter", "the request is not exactly one length-prefixed gRPC message"));
      if (body[0] !== 0) return refuse(new KmsError("InvalidParameter", "the request message is flagged compressed, but no grpc-encoding was negotiated"));
      let message: MessageShape<DescMessage>;
      try {
        message = fromBinary(route.method.input, body.subarray(5));
      } catch {
        return refuse(new KmsError("InvalidParameter", `the request is not a valid ${route.method.input.typeName}`));
      }
      opts.inFlight.enter();
      route
        .invoke(message, identity as Identity, meta)
        .then((out) => succeed(toBinary(route.method.output, create(route.method.output, out as never))), fail)
        .catch((err: unknown) => opts.log.error(`request ${requestId}: answer not sent`, err))
        .finally(() => opts.inFlight.leave());
    });
  };
}
