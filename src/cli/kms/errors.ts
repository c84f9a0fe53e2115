/**
 * Exit codes of `kms` and how a failure becomes one line on stderr.
 *
 *   0  done
 *   1  the service refused the call: the line names its API code
 *      (`kms: ResourceUnavailable.CmkNotFound: key ... does not exist`);
 *      also a failed batch item, a failed flow followed with --wait, and a
 *      health check that is not SERVING
 *   2  usage: a bad command line, profile or config file, an unreadable input
 *      or unwritable output file
 *   3  cannot connect or authenticate: network, TLS, or an AuthFailure.* code
 *   4  verification failed: an encrypted file is corrupt, truncated, reordered
 *      or altered; a signature does not verify; the audit chain is broken;
 *      a white-box decryption's padding does not check out
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../../gen/kms/v1/kms_pb.js";

export const EXIT = {
  OK: 0,
  API: 1,
  USAGE: 2,
  CONNECTION: 3,
  VERIFICATION: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself detected, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** A mistake in the command line, profile, config or local files: exit 2. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, EXIT.USAGE);
  }
}

/** Data that failed a local check (file authentication, signature, audit chain): exit 4. */
export class VerificationError extends CliError {
  override readonly name = "VerificationError";
  constructor(message: string) {
    super(message, EXIT.VERIFICATION);
  }
}

export interface Failure {
  exitCode: ExitCode;
  /** One line, without the "kms: " prefix. */
  message: string;
  /** The service's RequestId, when it answered. */
  requestId?: string;
}

/** gRPC statuses that mean the call never reached a service able to answer it. */
const UNREACHABLE = new Set<Code>([Code.Unavailable, Code.DeadlineExceeded, Code.Canceled]);

/**
 * The message of a Node error under a ConnectError (a socket, DNS or TLS
 * failure: ECONNRESET, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID...):
 * the call failed on this side of the connection, not in the service.
 */
function localCause(err: ConnectError): string | undefined {
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 8; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code !== "") {
      const hint = code === "ERR_SSL_WRONG_VERSION_NUMBER" ? "; is it plain h2c? then use http://" : "";
      return `${cause.message.replace(/\s+/g, " ").trim()} (${code}${hint})`;
    }
    cause = cause.cause;
  }
  return undefined;
}

/** Maps anything thrown by a command to its exit code and message. */
export function describeFailure(err: unknown, endpoint?: string): Failure {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof ConnectError) return describeConnectError(err, endpoint);
  const io = err as NodeJS.ErrnoException;
  if (io && typeof io.code === "string" && typeof io.syscall === "string") {
    // A local I/O failure (open, write, rename) that a command did not wrap.
    return { exitCode: EXIT.USAGE, message: `${io.syscall} ${io.path ?? ""}: ${io.code}`.replace("  ", " ") };
  }
  return { exitCode: EXIT.API, message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

function describeConnectError(err: ConnectError, endpoint: string | undefined): Failure {
  const info = err.findDetails(ErrorInfoSchema)[0];
  if (info) {
    const exitCode = info.code.startsWith("AuthFailure") ? EXIT.CONNECTION : EXIT.API;
    return { exitCode, message: `${info.code}: ${err.rawMessage}`, ...(info.requestId ? { requestId: info.requestId } : {}) };
  }
  if (UNREACHABLE.has(err.code) || localCause(err) !== undefined) {
    return { exitCode: EXIT.CONNECTION, message: `cannot reach ${endpoint ?? "the service"}: ${localCause(err) ?? err.rawMessage}` };
  }
  if (err.code === Code.Unauthenticated) return { exitCode: EXIT.CONNECTION, message: `not authenticated: ${err.rawMessage}` };
  return { exitCode: EXIT.API, message: `${Code[err.code]}: ${err.rawMessage}` };
}
