/**
 * The gRPC/Connect edge: request ids, in-flight accounting for drain, and the
 * one place where a KmsError becomes a ConnectError. Anything that is not a
 * KmsError answers Internal with a fixed message; its cause is logged only.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import { KmsError, type ErrorCode } from "../errors.js";
import { newRequestId } from "../crypto/random.js";
import type { Logger } from "../log.js";

export const REQUEST_ID_HEADER = "kms-request-id";
export const ERROR_CODE_HEADER = "kms-error-code";

/** The request id of the current call, for the service implementation. */
export const requestIdKey = createContextKey<string>("");

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

export function createEdgeInterceptor(inFlight: InFlight, log: Logger): Interceptor {
  return (next) => async (req) => {
    const requestId = newRequestId();
    req.contextValues.set(requestIdKey, requestId);
    inFlight.enter();
    try {
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, requestId);
      return res;
    } catch (err) {
      throw toConnectError(err, requestId, log);
    } finally {
      inFlight.leave();
    }
  };
}

