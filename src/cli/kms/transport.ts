/**
 * The gRPC clients of a resolved profile: connect-es clients of the generated
 * services over connect-node's gRPC transport, on one HTTP/2 session (h2c
 * for http://, TLS with ALPN h2 for https://, with an optional CA, client
 * certificate and server name), sending the bearer token on every call.
 */
import { readFileSync } from "node:fs";
import type { SecureClientSessionOptions } from "node:http2";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AdminService } from "../../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../../../gen/kms/v1/versions_pb.js";
import { UsageError } from "./errors.js";
import type { ResolvedProfile, TlsSettings } from "./profile.js";

export interface KmsClients {
  kms: Client<typeof KeyManagementService>;
  versions: Client<typeof KeyVersionService>;
  admin: Client<typeof AdminService>;
  /** A client of any service on the same HTTP/2 session; `anonymous` sends no token (UnsealService, health checks). */
  client<S extends DescService>(service: S, options?: { anonymous?: boolean }): Client<S>;
  /** Closes the HTTP/2 session, so the process can exit. */
  close(): void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** TLS options of the HTTP/2 session; the system CAs unless a CA file is given. */
export function tlsOptions(tls: TlsSettings): SecureClientSessionOptions {
  return {
    ...(tls.caFile ? { ca: readPem(tls.caFile, "CA file") } : {}),
    ...(tls.certFile ? { cert: readPem(tls.certFile, "client certificate") } : {}),
    ...(tls.keyFile ? { key: readPem(tls.keyFile, "client key") } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
    ALPNProtocols: ["h2"],
  };
}

export function createKmsClients(profile: ResolvedProfile, timeoutMs = DEFAULT_TIMEOUT_MS): KmsClients {
  const secure = profile.endpoint.startsWith("https:");
  const sessionOptions = secure ? tlsOptions(profile.tls ?? {}) : {};
  const sessions = new Http2SessionManager(profile.endpoint, undefined, sessionOptions);
  const transportWith = (token: string | undefined): Transport =>
    createGrpcTransport({ baseUrl: profile.endpoint, sessionManager: sessions, defaultTimeoutMs: timeoutMs, interceptors: token !== undefined ? [bearer(token)] : [] });
  const transport = transportWith(profile.token);
  let anonymous: Transport | undefined;
  return {
    kms: createClient(KeyManagementService, transport),
    versions: createClient(KeyVersionService, transport),
    admin: createClient(AdminService, transport),
    client: (service, options = {}) => createClient(service, options.anonymous ? (anonymous ??= transportWith(undefined)) : transport),
    close: () => sessions.abort(),
  };
}
