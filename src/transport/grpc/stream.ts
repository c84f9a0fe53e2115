/**
 * Streaming gRPC on one node:http2 stream, for the built-in services that
 * stream (health Watch, server reflection); the unary path in grpc.ts does not
 * use it. Requests arrive as length-prefixed frames split anywhere across DATA
 * chunks; answers go out as frames after one HEADERS, and the status in the
 * trailers. Reading pauses while the client does not read what is written, so
 * a client that only sends cannot grow the server's buffers.
 */
import type { ServerHttp2Stream } from "node:http2";
import { KmsError } from "../../errors.js";
import type { Outcome } from "../../pipeline/outcome.js";
import { ERROR_CODE_HEADER, REQUEST_ID_HEADER } from "../http/headers.js";
import { errorTrailers, frame } from "./framing.js";

/** A stream the client reset takes nothing more. */
export const gone = (stream: ServerHttp2Stream): boolean => stream.destroyed || stream.closed;

/**
 * Calls `onMessage` with each request message in order, then `onEnd` when the
 * client half-closes. A frame over `maxBytes`, a compressed frame or a body
 * that ends inside a frame goes to `onError` (and nothing more is read).
 * `onMessage` may return a promise: the next message waits for it.
 */
export function readFrames(
  stream: ServerHttp2Stream,
  maxBytes: number,
  handlers: { onMessage: (payload: Uint8Array) => void | Promise<void>; onEnd: () => void; onError: (err: KmsError) => void },
): void {
  let buffered: Buffer = Buffer.alloc(0);
  let failed = false;
  let ended = false;
  let busy: Promise<void> = Promise.resolve();
  const fail = (err: KmsError) => {
    if (failed) return;
    failed = true;
    stream.off("data", onData);
    stream.resume();
    handlers.onError(err);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (!failed && buffered.length >= 5) {
      const flags = buffered[0] as number;
      const length = buffered.readUInt32BE(1);
      if (flags !== 0) return fail(new KmsError("InvalidParameter", "a request message is flagged compressed, but no grpc-encoding was negotiated"));
      if (length > maxBytes) return fail(new KmsError("RequestSizeLimitExceeded", `a request message exceeds ${maxBytes} bytes`));
      if (buffered.length < 5 + length) break;
      const payload = buffered.subarray(5, 5 + length);
      buffered = buffered.subarray(5 + length);
      busy = busy.then(() => (failed ? undefined : handlers.onMessage(payload)));
    }
  };
  stream.on("data", onData);
  stream.once("end", () => {
    ended = true;
    busy.then(() => {
      if (failed) return;
      if (buffered.length > 0) return fail(new KmsError("InvalidParameter", "the request stream ended inside a message"));
      handlers.onEnd();
    });
  });
  // A reset before the end: nothing to answer.
  stream.once("close", () => {
    if (!ended) failed = true;
  });
}

/** An answer stream: headers once, then messages, then the status. */
export class ServerStream {
  private started = false;
  private finished = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly requestId: string,
  ) {}

  get open(): boolean {
    return !this.finished && !gone(this.stream);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.stream.respond({ ":status": 200, "content-type": "application/grpc", [REQUEST_ID_HEADER]: this.requestId }, { waitForTrailers: true });
  }

  /** Writes one message; while the client is not reading, the request side pauses. */
  send(payload: Uint8Array): void {
    if (!this.open) return;
    this.start();
    if (!this.stream.write(frame(payload))) {
      this.stream.pause();
      this.stream.once("drain", () => this.stream.resume());
    }
  }

  /** Ends with OK. */
  end(): void {
    this.finish({ "grpc-status": "0" });
  }

  /** Ends with an error status (trailers-only when nothing was sent yet). */
  fail(outcome: Outcome): void {
    const trailers = errorTrailers(outcome, this.requestId, ERROR_CODE_HEADER);
    if (!this.started && this.open) {
      this.finished = true;
      this.stream.resume();
      this.stream.respond({ ":status": 200, "content-type": "application/grpc", [REQUEST_ID_HEADER]: this.requestId, ...trailers }, { endStream: true });
      return;
    }
    this.finish(trailers);
  }

  private finish(trailers: Record<string, string>): void {
    if (!this.open) return;
    this.start();
    this.finished = true;
    this.stream.once("wantTrailers", () => {
      if (!gone(this.stream)) this.stream.sendTrailers(trailers);
    });
    this.stream.end();
  }
}
