/**
 * Any error → what the caller is told: the gRPC status, the API 3.0 code and a
 * message. The one logging rule: an InternalError or an unexpected error is
 * logged with its cause under the RequestId, and the caller gets a fixed
 * message naming only that RequestId; every other KmsError goes out as is.
 */
import { GrpcStatus, KmsError, type ErrorCode } from "../errors.js";
import type { Logger } from "../log.js";

export interface Outcome {
  status: GrpcStatus;
  code: ErrorCode;
  message: string;
}

export function internalMessage(requestId: string): string {
  return `internal error; quote RequestId ${requestId} to the operator`;
}

export function outcomeOf(err: unknown, requestId: string, log: Logger): Outcome {
  if (err instanceof KmsError && err.code !== "InternalError") return { status: err.grpcCode, code: err.code, message: err.message };
  if (err instanceof KmsError) log.error(`request ${requestId}: ${err.message}`, err.cause);
  else log.error(`request ${requestId}: unexpected error`, err);
  return { status: GrpcStatus.Internal, code: "InternalError", message: internalMessage(requestId) };
}
