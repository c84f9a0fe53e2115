/**
 * gRPC (unary) on the HTTP/2 port, served straight over node:http2 streams: a
 * wire codec around the call pipeline. Route and credentials come from the
 * headers, before any of the body is read; then one length-prefixed message
 * in, one out, status in trailers.
 *
 * Why not connect-node for this protocol: measured here (npm run bench), its
 * gRPC path cost 400-770 µs of CPU per call with no work, ten times a bare
 * node:http2 echo. The stream API, not the compat request/response pair: the
 * pair costs two objects and their listeners per call.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { decodeBinary } from "../../contract/decode.js";
import { KmsError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { CallPipeline } from "../../pipeline/pipeline.js";
import { outcomeOf, type Outcome } from "../../pipeline/outcome.js";
import { newRequestId } from "../../crypto/random.js";
import { ERROR_CODE_HEADER, MIN_REVISION_HEADER, REGION_HEADER, REQUEST_ID_HEADER, revisionHeader } from "../http/headers.js";
import type { StreamDeadlines } from "../http/listen.js";
import { credentialsOf, peerOf } from "../http/peer.js";
import { errorTrailers, frame, frameMessage, unframe } from "./framing.js";
import { checkHealth, HEALTH_PATHS, listHealth, watchHealth, type ServingState } from "./health.js";
import { BUILTIN_SERVICES, DescriptorIndex, REFLECTION_PATHS, ReflectionSession } from "./reflection.js";
import { readFrames, ServerStream } from "./stream.js";

const GRPC_CONTENT_TYPE = /^application\/grpc(?:\+proto)?(?:;.*)?$/i;

/** True for gRPC proper (not gRPC-Web, not Connect). */
export function isGrpcRequest(headers: IncomingHttpHeaders): boolean {
  return GRPC_CONTENT_TYPE.test(String(headers["content-type"] ?? ""));
}

export interface GrpcOptions {
  /** Largest request message, in bytes. */
  readMaxBytes: number;
  log: Logger;
  /** Whether the server serves (health checks), drained at shutdown. */
  serving: ServingState;
}

/** Largest health or reflection request message: a service or symbol name. */
const BUILTIN_READ_MAX_BYTES = 16 * 1024;

/** A stream the client reset mid-call takes no answer; respond() on it would throw, and nothing may throw from here. */
const gone = (stream: ServerHttp2Stream) => stream.destroyed || stream.closed;

function answer(stream: ServerHttp2Stream, deadlines: StreamDeadlines, requestId: string, framed: Buffer, revision?: bigint): void {
  deadlines.answered(stream);
  if (gone(stream)) return;
  stream.respond({ ":status": 200, "content-type": "application/grpc", [REQUEST_ID_HEADER]: requestId, ...revisionHeader(revision) }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(framed);
}

/** Trailers-only response: the status in the one HEADERS frame that ends the stream. */
function refuse(stream: ServerHttp2Stream, deadlines: StreamDeadlines, requestId: string, outcome: Outcome): void {
  deadlines.answered(stream);
  stream.resume(); // drain what the client still sends
  if (gone(stream)) return;
  const headers = { ":status": 200, "content-type": "application/grpc", [REQUEST_ID_HEADER]: requestId, ...errorTrailers(outcome, requestId, ERROR_CODE_HEADER) };
  stream.respond(headers, { endStream: true });
}

/** The request body, at most `max` message bytes; refused as soon as it is longer. */
function readBody(stream: ServerHttp2Stream, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max + 5) {
        stream.off("data", onData);
        reject(new KmsError("RequestSizeLimitExceeded", `the request message exceeds ${max} bytes`));
        return;
      }
      chunks.push(c);
    };
    // Every stream closes, most after their request ended: the error (and its stack trace) only for one that did not.
    let ended = false;
    stream.on("data", onData);
    stream.once("end", () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    stream.once("close", () => ended || reject(new KmsError("InvalidParameter", "the client closed the stream before the request ended")));
  });
}

/** A built-in service's method, served on the stream itself, outside the call pipeline. */
type Builtin = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, deadlines: StreamDeadlines) => void;

/** One request message, then `run` on it; any failure answers with its status. */
function unary(opts: GrpcOptions, run: (stream: ServerHttp2Stream, deadlines: StreamDeadlines, request: Uint8Array, requestId: string) => void): Builtin {
  return (stream, _headers, deadlines) => {
    const requestId = newRequestId();
    readBody(stream, BUILTIN_READ_MAX_BYTES)
      .then((body) => run(stream, deadlines, unframe(body), requestId))
      .catch((err: unknown) => refuse(stream, deadlines, requestId, outcomeOf(err, requestId, opts.log)));
  };
}

/**
 * Server reflection: a bidirectional stream, open to any authenticated caller
 * (credentials checked before anything is read). Each request gets its answer
 * in order; the stream ends OK when the client half-closes.
 */
function reflection(pipeline: CallPipeline, opts: GrpcOptions, index: () => DescriptorIndex): Builtin {
  return (stream, headers, deadlines) => {
    const peer = peerOf(stream.session?.socket);
    const admitted = pipeline.authenticate("grpc", peer.source, "reflection:ServerReflectionInfo", () => credentialsOf(headers.authorization, peer));
    if (!admitted.ok) return refuse(stream, deadlines, admitted.requestId, admitted.outcome);
    deadlines.untilIdle(stream);
    const out = new ServerStream(stream, admitted.requestId);
    const fail = (err: unknown) => out.fail(outcomeOf(err, admitted.requestId, opts.log));
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return fail(new KmsError("UnsupportedOperation", `grpc-encoding ${String(encoding).slice(0, 32)} is not supported; send identity`));
    const session = new ReflectionSession(index());
    readFrames(stream, BUILTIN_READ_MAX_BYTES, {
      onMessage: (request) => {
        if (!out.open) return;
        try {
          out.send(session.answer(request));
        } catch (err) {
          fail(err);
        }
      },
      onEnd: () => out.end(),
      onError: fail,
    });
  };
}

/** The health service and server reflection, by path: looked up once per call, before the pipeline's routes. */
function createBuiltins(pipeline: CallPipeline, opts: GrpcOptions): Map<string, Builtin> {
  const { serving } = opts;
  let index: DescriptorIndex | undefined;
  const indexOf = () => (index ??= new DescriptorIndex([...new Set(pipeline.routes.all().map((r) => r.method.parent)), ...BUILTIN_SERVICES]));
  const builtins = new Map<string, Builtin>([
    [HEALTH_PATHS.check, unary(opts, (stream, deadlines, request, requestId) => answer(stream, deadlines, requestId, frame(checkHealth(serving, request))))],
    [HEALTH_PATHS.list, unary(opts, (stream, deadlines, request, requestId) => answer(stream, deadlines, requestId, frame(listHealth(serving, request))))],
    [
      HEALTH_PATHS.watch,
      unary(opts, (stream, deadlines, request, requestId) => {
        deadlines.untilIdle(stream);
        watchHealth(serving, stream, new ServerStream(stream, requestId), request);
      }),
    ],
  ]);
  for (const path of REFLECTION_PATHS) builtins.set(path, reflection(pipeline, opts, indexOf));
  return builtins;
}

export function createGrpcHandler(pipeline: CallPipeline, opts: GrpcOptions): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, deadlines: StreamDeadlines) => void {
  const builtins = createBuiltins(pipeline, opts);
  return (stream, headers, deadlines) => {
    stream.on("error", () => undefined); // a client that goes away mid-answer is not our error
    const url = headers[":path"] ?? "";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    const builtin = builtins.get(path);
    if (builtin) return builtin(stream, headers, deadlines);
    const peer = peerOf(stream.session?.socket);
    pipeline
      .serve("grpc", peer.source, async (call) => {
        const route = pipeline.routes.byGrpcPath(path);
        if (!route) throw new KmsError("InvalidAction", `no method ${url.slice(0, 120)}`);
        pipeline.setRoute(call, route);
        const admitting = pipeline.admit(call, headers[MIN_REVISION_HEADER]);
        if (admitting) await admitting;
        pipeline.identify(call, credentialsOf(headers.authorization, peer, stream.session));
        pipeline.setRegion(call, headers[REGION_HEADER] as string | undefined);
        const encoding = headers["grpc-encoding"];
        if (encoding !== undefined && encoding !== "identity") throw new KmsError("UnsupportedOperation", `grpc-encoding ${String(encoding).slice(0, 32)} is not supported; send identity`);
        return decodeBinary(route.method.input, unframe(await readBody(stream, opts.readMaxBytes)));
      })
      .then((served) =>
        served.ok ? answer(stream, deadlines, served.call.requestId, frameMessage(served.route.method.output, served.output), served.call.revision) : refuse(stream, deadlines, served.call.requestId, served.outcome),
      )
      .catch((err: unknown) => opts.log.error("grpc: answer not sent", err));
  };
}
