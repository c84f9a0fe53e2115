/**
 * What the HTTP layer knows about a caller before any protocol reads it: the
 * remote address and a TLS client certificate the listener verified against
 * KMS_TLS_CLIENT_CA; and the credentials an `authorization` header or that
 * certificate present. Which principal they prove is the pipeline's question.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { KmsError } from "../../errors.js";
import type { Credentials } from "../../pipeline/credentials.js";

/** The transport-level facts about a caller. */
export interface Peer {
  /** Remote IP address. */
  source: string;
  /** A client certificate the TLS layer verified, if any. */
  certificate?: { cn: string; fingerprint: string; notBefore: number };
}

/**
 * A connection's peer is fixed for its life (HTTP/2 forbids TLS renegotiation), so it is read once per socket:
 * the certificate's hash is not worth recomputing on every call. node:http2 hands out one socket object per session.
 */
const peers = new WeakMap<Socket, Peer>();

export function peerOf(socket: Socket | undefined): Peer {
  if (!socket) return { source: "" };
  let peer = peers.get(socket);
  if (!peer) {
    peer = readPeer(socket);
    peers.set(socket, peer);
  }
  return peer;
}

function readPeer(socket: Socket): Peer {
  const source = socket.remoteAddress ?? "";
  if (!(socket instanceof TLSSocket) || !socket.authorized) return { source };
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  if (!cert?.raw || typeof cn !== "string") return { source };
  // Start of validity, for the directory's rule that a certificate must postdate the deletion of a principal its CN once named.
  const notBefore = Date.parse(cert.valid_from);
  return { source, certificate: { cn, fingerprint: createHash("sha256").update(cert.raw).digest("hex"), notBefore } };
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/** The HTTP/2 session a request came on (where its verified token is remembered); none over HTTP/1.1. */
export function sessionOf(req: IncomingMessage | Http2ServerRequest): object | undefined {
  return "stream" in req ? req.stream.session : undefined;
}

/**
 * A bearer token if the header carries one (a malformed header is refused, not ignored), else the client certificate.
 * `session`: the HTTP/2 session the header came on, if any (CallPipeline remembers a verified token per session).
 */
export function credentialsOf(authorization: string | null | undefined, peer: Peer, session?: object): Credentials {
  if (authorization !== undefined && authorization !== null && authorization !== "") {
    const m = BEARER.exec(authorization);
    if (!m?.[1]) throw new KmsError("AuthFailure.InvalidAuthorization", "the authorization header must be: Bearer <token>");
    return { kind: "token", token: m[1], session };
  }
  if (peer.certificate) return { kind: "certificate", ...peer.certificate };
  return { kind: "none" };
}
