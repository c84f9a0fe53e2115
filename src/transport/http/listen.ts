/**
 * Listeners: HTTP/2 for gRPC, gRPC-Web and Connect (h2c, or TLS with optional
 * client certificates); HTTP/1.1 for Connect JSON and the API 3.0 gateway.
 * Shutdown stops accepting, lets in-flight calls finish (GOAWAY on HTTP/2
 * sessions), then closes.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import type { ListenAddress } from "../../config.js";

export type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** Takes an HTTP/2 stream before the compat layer sees it; returns false to hand it on to the NodeHandler. */
export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

/** PEM material for TLS on the HTTP/2 port; with `ca`, clients may present certificates it issued. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface Listeners {
  grpc: ListenAddress;
  http: ListenAddress;
  /** Graceful: waits up to `graceMs` for open calls, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

function listenOn(server: http.Server | http2.Http2Server, addr: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      const info = server.address() as AddressInfo;
      resolve({ host: addr.host, port: info.port });
    });
  });
}

function closed(server: http.Server | http2.Http2Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Puts `first` in front of the compat layer: node:http2 turns each stream into
 * a request/response pair in its own "stream" listener, so streams `first`
 * takes are never wrapped. Fails the start if that listener is not where it
 * was (a Node change), rather than serving streams twice.
 */
function takeStreamsFirst(server: http2.Http2Server | http2.Http2SecureServer, first: StreamHandler): void {
  const compat = server.listeners("stream") as ((...args: unknown[]) => void)[];
  if (compat.length !== 1) throw new Error(`node:http2 has ${compat.length} stream listeners where its compat layer should be one`);
  const toCompat = compat[0] as (...args: unknown[]) => void;
  server.removeAllListeners("stream");
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...rest: unknown[]) => {
    if (!first(stream, headers)) toCompat.call(server, stream, headers, ...rest);
  });
}

/**
 * `h2Handler` serves the h2c port, after `h2Streams` has taken what it serves itself; `h1Handler` the HTTP/1.1 port, whose
 * parser accepts headers up to `maxHeaderBytes` (API 3.0 GET requests carry
 * their parameters in the query; beyond this Node answers 431 before any
 * handler runs).
 */
export async function startListeners(
  h2Streams: StreamHandler,
  h2Handler: NodeHandler,
  h1Handler: NodeHandler,
  grpcAddr: ListenAddress,
  httpAddr: ListenAddress,
  maxHeaderBytes: number,
  tls?: TlsMaterial,
): Promise<Listeners> {
  // Certificates are requested but not required: bearer-token callers need none. A certificate that does
  // not verify leaves the socket unauthorised, and authentication then ignores it.
  const h2 = tls
    ? http2.createSecureServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}), allowHTTP1: false }, h2Handler)
    : http2.createServer(h2Handler);
  takeStreamsFirst(h2, h2Streams);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  const h1 = http.createServer({ maxHeaderSize: maxHeaderBytes }, h1Handler);
  const sockets = new Set<Socket>();
  h1.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  const grpc = await listenOn(h2, grpcAddr);
  let httpBound: ListenAddress;
  try {
    httpBound = await listenOn(h1, httpAddr);
  } catch (err) {
    await closed(h2);
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
    },
  };
}
