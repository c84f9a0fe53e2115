/**
 * Who is calling on the h2c/TLS port and on Connect over HTTP/1.1: a bearer
 * token ("authorization: Bearer <token>"), or else a TLS client certificate
 * the listener verified against KMS_TLS_CLIENT_CA, whose subject CN names a
 * sub-user. Either way the answer is an Identity or an AuthFailure.* error;
 * what the identity may do is decided later, by the gate.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Directory } from "../access/directory.js";
import type { Identity } from "../call.js";
import { KmsError } from "../errors.js";

/** The transport-level facts about a caller. */
export interface Peer {
  /** Remote IP address. */
  source: string;
  /** A client certificate the TLS layer verified, if any. */
  certificate?: { cn: string; fingerprint: string };
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
  return { source, certificate: { cn, fingerprint: createHash("sha256").update(cert.raw).digest("hex") } };
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export function authenticate(directory: Directory, authorization: string | null | undefined, peer: Peer): Identity {
  if (authorization !== undefined && authorization !== null && authorization !== "") {
    const m = BEARER.exec(authorization);
    if (!m?.[1]) throw new KmsError("AuthFailure.InvalidAuthorization", "the authorization header must be: Bearer <token>");
    const identity = directory.identityOfToken(m[1]);
    if (!identity) throw new KmsError("AuthFailure.TokenFailure", "the bearer token is not valid (unknown, revoked, or its principal was deleted)");
    return identity;
  }
  if (peer.certificate) {
    const identity = directory.identityOfCertificate(peer.certificate.cn, `cert:${peer.certificate.fingerprint.slice(0, 16)}`);
    if (!identity) throw new KmsError("AuthFailure.InvalidAuthorization", "the client certificate's CN names no sub-user (the root authenticates with tokens only)");
    return identity;
  }
  throw new KmsError("AuthFailure.InvalidAuthorization", "no credentials: send authorization: Bearer <token>, or a client certificate over TLS");
}
