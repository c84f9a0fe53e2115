/**
 * The gRPC-Web/Connect edge: request ids, authentication, in-flight
 * accounting for drain, and the one place where a KmsError becomes a
 * ConnectError. Anything that is not a KmsError answers Internal with a fixed
 * message; its cause is logged only.
 */
import { performance } from "node:perf_hooks";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import type { Directory } from "../access/directory.js";
import { actionName, type CallMeta, type Gate } from "../access/gate.js";
import type { Identity } from "../call.js";
import { KmsError, type ErrorCode } from "../errors.js";
import { newRequestId } from "../crypto/random.js";
import type { Logger } from "../log.js";
import { authenticate, type Peer } from "./authenticate.js";

export const REQUEST_ID_HEADER = "kms-request-id";
export const ERROR_CODE_HEADER = "kms-error-code";

/** Transport facts of the current request, set by the adapter's contextValues. */
export const peerKey = createContextKey<Peer>({ source: "" });

/** One call as the edge established it, for the service implementation. */
export interface EdgeCall {
  meta: CallMeta;
  identity: Identity | undefined;
  /** Set once the gate has the call (it records the audit event from then on). */
  dispatched: boolean;
}
export const callKey = createContextKey<EdgeCall>({ meta: { requestId: "", transport: "connect", source: "", region: "" }, identity: undefined, dispatched: false });

/** Counts calls in flight so shutdown can wait for them. */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  enter(): void {
    this.count++;
  }
  leave(): void {
    if (--this.count === 0) for (const w of this.waiters.splice(0)) w();
  }
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/** Maps any thrown error to the ConnectError a client sees. */
export function toConnectError(err: unknown, requestId: string, log: Logger): ConnectError {
  const metadata = new Headers({ [REQUEST_ID_HEADER]: requestId });
  if (err instanceof KmsError) {
    if (err.code === "InternalError") log.error(`request ${requestId}: ${err.message}`, err.cause);
    metadata.set(ERROR_CODE_HEADER, err.code);
    const info = create(ErrorInfoSchema, { code: err.code, requestId });
    return new ConnectError(err.message, err.grpcCode as number as Code, metadata, [{ desc: ErrorInfoSchema, value: info }]);
  }
  if (err instanceof ConnectError) {
    // Raised by the framework itself (malformed message, unknown method...): keep its code, tag it.
    const code: ErrorCode = err.code === Code.InvalidArgument ? "InvalidParameter" : err.code === Code.Unimplemented ? "InvalidAction" : "InternalError";
    metadata.set(ERROR_CODE_HEADER, code);
    return new ConnectError(err.rawMessage, err.code, metadata, [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { code, requestId }) }]);
  }
  log.error(`request ${requestId}: unexpected error`, err);
  metadata.set(ERROR_CODE_HEADER, "InternalError");
  return new ConnectError("internal error", Code.Internal, metadata, [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { code: "InternalError", requestId }) }]);
}

export interface EdgeOptions {
  inFlight: InFlight;
  log: Logger;
  directory: Directory;
  gate: Gate;
  /** Region of calls that cannot name one. */
  region: string;
}

export function createEdgeInterceptor(opts: EdgeOptions): Interceptor {
  return (next) => async (req) => {
    const startedAt = performance.now();
    const requestId = newRequestId();
    const peer = req.contextValues.get(peerKey);
    const transport = /^application\/grpc-web/i.test(req.header.get("content-type") ?? "") ? "grpc-web" : "connect";
    const call: EdgeCall = { meta: { requestId, transport, source: peer.source, region: opts.region }, identity: undefined, dispatched: false };
    req.contextValues.set(callKey, call);
    opts.inFlight.enter();
    try {
      call.identity = authenticate(opts.directory, req.header.get("authorization"), peer);
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, requestId);
      return res;
    } catch (err) {
      if (!call.dispatched) opts.gate.rejected(actionName(req.method), err, call.meta, startedAt, call.identity);
      throw toConnectError(err, requestId, opts.log);
    } finally {
      opts.inFlight.leave();
    }
  };
}
