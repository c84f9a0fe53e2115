/**
 * Listeners: HTTP/2 for gRPC, gRPC-Web and Connect (h2c, or TLS with optional
 * client certificates); HTTP/1.1 (or https) for the API 3.0 gateway, Connect
 * JSON and gRPC-Web. What one client can hold is bounded: connections per
 * listener, streams per HTTP/2 connection, the time a request may take to
 * arrive, and idle time (ListenerLimits). Shutdown stops accepting, lets
 * in-flight calls finish (GOAWAY on HTTP/2 sessions), then closes.
 */
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo, Server, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { ListenAddress, ListenerLimits } from "../../config.js";

export type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/**
 * Takes an HTTP/2 stream before the compat layer sees it; returns false to
 * hand it on to the NodeHandler. A stream it takes is timed by `deadlines`
 * from its arrival: the handler tells them when it answered it, or that the
 * stream is long-lived.
 */
export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, deadlines: StreamDeadlines) => boolean;

/** How a StreamHandler's streams are timed. */
export interface StreamDeadlines {
  /** The stream is answered (or gone): no longer timed. */
  answered(stream: http2.ServerHttp2Stream): void;
  /** A long-lived stream (server streaming): from now on cancelled after the request timeout without traffic, as compat streams are. */
  untilIdle(stream: http2.ServerHttp2Stream): void;
}

/**
 * The streams a StreamHandler has not answered yet, oldest first: one that is
 * still unanswered the request timeout after it arrived is cancelled by a
 * sweep. A timer per stream (stream.setTimeout) is re-armed on every read and
 * write; this is a map entry added and deleted once per call.
 */
class UnansweredStreams implements StreamDeadlines {
  private readonly arrivals = new Map<http2.ServerHttp2Stream, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(1000, timeoutMs / 4)));
    this.sweeper.unref();
  }

  track(stream: http2.ServerHttp2Stream): void {
    this.arrivals.set(stream, performance.now());
  }

  answered(stream: http2.ServerHttp2Stream): void {
    this.arrivals.delete(stream);
  }

  untilIdle(stream: http2.ServerHttp2Stream): void {
    this.arrivals.delete(stream);
    cancelWhenIdle(stream, this.timeoutMs);
  }

  private sweep(): void {
    const now = performance.now();
    // In arrival order: the first stream younger than the timeout ends the sweep.
    for (const [stream, arrived] of this.arrivals) {
      if (stream.closed || stream.destroyed) this.arrivals.delete(stream);
      else if (now - arrived < this.timeoutMs) break;
      else {
        this.arrivals.delete(stream);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.arrivals.clear();
  }
}

/** Node's own stream timeout: re-armed by traffic, so it cancels a stream that went quiet. */
function cancelWhenIdle(stream: http2.ServerHttp2Stream, timeoutMs: number): void {
  stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
}

/** PEM material for TLS; with `ca`, clients may present certificates it issued (and `crl` revokes some of them). */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  crl?: Buffer;
}

export interface ListenOptions {
  grpcAddr: ListenAddress;
  httpAddr: ListenAddress;
  /** The HTTP/1.1 parser accepts headers up to this (API 3.0 GET requests carry their parameters in the query; beyond it Node answers 431). */
  maxHeaderBytes: number;
  /** TLS on the HTTP/2 port. */
  tls?: TlsMaterial | undefined;
  /** TLS on the HTTP/1.1 port. */
  httpTls?: TlsMaterial | undefined;
  limits: ListenerLimits;
}

export interface Listeners {
  grpc: ListenAddress;
  http: ListenAddress;
  /** Graceful: waits up to `graceMs` for open calls, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

function listenOn(server: Server, addr: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      const info = server.address() as AddressInfo;
      resolve({ host: addr.host, port: info.port });
    });
  });
}

function closed(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Puts `first` in front of the compat layer: node:http2 turns each stream into
 * a request/response pair in its own "stream" listener, so streams `first`
 * takes are never wrapped. Fails the start if that listener is not where it
 * was (a Node change), rather than serving streams twice.
 */
function takeStreamsFirst(server: http2.Http2Server | http2.Http2SecureServer, first: StreamHandler, deadlines: UnansweredStreams): void {
  const compat = server.listeners("stream") as ((...args: unknown[]) => void)[];
  if (compat.length !== 1) throw new Error(`node:http2 has ${compat.length} stream listeners where its compat layer should be one`);
  const toCompat = compat[0] as (...args: unknown[]) => void;
  server.removeAllListeners("stream");
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...rest: unknown[]) => {
    deadlines.track(stream);
    if (first(stream, headers, deadlines)) return;
    // The compat layer's streams keep Node's idle timeout.
    deadlines.untilIdle(stream);
    toCompat.call(server, stream, headers, ...rest);
  });
}

/** An HTTP/2 server with its limits: streams per session, idle sessions closed, streams that take too long cancelled. */
function createH2(handler: NodeHandler, options: ListenOptions): http2.Http2Server | http2.Http2SecureServer {
  const { limits, tls } = options;
  const base = { settings: { maxConcurrentStreams: limits.maxStreamsPerConnection }, maxSessionMemory: 32 };
  // Certificates are requested but not required: bearer-token callers need none. A certificate that does
  // not verify leaves the socket unauthorised, and authentication then ignores it.
  const h2 = tls
    ? http2.createSecureServer({ ...base, cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}), ...(tls.crl ? { crl: tls.crl } : {}), allowHTTP1: false }, handler)
    : http2.createServer(base, handler);
  h2.maxConnections = limits.maxConnections;
  h2.on("session", (session) => session.setTimeout(limits.idleTimeoutMs, () => session.close()));
  return h2;
}

/** The HTTP/1.1 server (https with `httpTls`) with its limits: headers and whole request in time, idle keep-alive closed. */
function createH1(handler: NodeHandler, options: ListenOptions): http.Server {
  const { limits } = options;
  const base = { maxHeaderSize: options.maxHeaderBytes, headersTimeout: Math.min(limits.requestTimeoutMs, 10_000), requestTimeout: limits.requestTimeoutMs, keepAliveTimeout: Math.min(limits.idleTimeoutMs, 5_000) };
  const h1 = options.httpTls ? https.createServer({ ...base, cert: options.httpTls.cert, key: options.httpTls.key }, handler) : http.createServer(base, handler);
  h1.maxConnections = limits.maxConnections;
  return h1;
}

/**
 * `h2Handler` serves the HTTP/2 port, after `h2Streams` has taken what it serves itself; `h1Handler` the HTTP/1.1 port.
 */
export async function startListeners(h2Streams: StreamHandler, h2Handler: NodeHandler, h1Handler: NodeHandler, options: ListenOptions): Promise<Listeners> {
  const h2 = createH2(h2Handler, options);
  const deadlines = new UnansweredStreams(options.limits.requestTimeoutMs);
  takeStreamsFirst(h2, h2Streams, deadlines);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  const h1 = createH1(h1Handler, options);
  // Raw connections of both listeners: a destroyed HTTP/2 session whose socket is paused mid-body can keep it (and the server) open.
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };
  h1.on("connection", track);
  h2.on("connection", track);

  const grpc = await listenOn(h2, options.grpcAddr);
  let httpBound: ListenAddress;
  try {
    httpBound = await listenOn(h1, options.httpAddr);
  } catch (err) {
    await closed(h2);
    deadlines.stop();
    throw err;
  }
  return {
    grpc,
    http: httpBound,
    async close(graceMs) {
      const done = Promise.all([closed(h2), closed(h1)]);
      for (const s of sessions) s.close();
      h1.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }, graceMs);
      await done;
      clearTimeout(timer);
      deadlines.stop();
    },
  };
}
