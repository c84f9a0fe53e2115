/** Environment → a typed, validated Config. The only module that reads process.env. */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { SECRET_ID_RE, SECRET_KEY_RE, TOKEN_RE } from "./credential-formats.js";

export type KeyTypeName = "FIPS" | "GM";

export interface ListenAddress {
  host: string;
  port: number;
}

export interface Config {
  /** gRPC, gRPC-Web and Connect over h2c (or TLS). */
  grpcAddr: ListenAddress;
  /** HTTP/1.1: Connect JSON and the API 3.0 gateway. */
  httpAddr: ListenAddress;
  dataDir: string;
  /** 32 bytes from KMS_ROOT_KEY, or undefined to use (or create) <dataDir>/root.key. */
  rootKey: Buffer | undefined;
  /** Algorithm family of new symmetric keys: FIPS (AES-256-GCM, Type 2) or GM (SM4-GCM, Type 4). */
  defaultKeyType: KeyTypeName;
  regions: string[];
  /** Account id that owns keys created through the API. */
  accountUin: bigint;
  cmkLimit: number;
  /** Most hosted data keys one account keeps in one region (pending deletion excluded). */
  dataKeyLimit: number;
  /** The id of the one HSM cluster this service is (HsmClusterId in requests and answers). */
  hsmClusterId: string;
  sweepIntervalMs: number;
  /** fsync every change before answering. */
  syncWrites: boolean;
  /** Operator-supplied API 3.0 root access key (KMS_ROOT_SECRET_ID + KMS_ROOT_SECRET_KEY). */
  rootAccessKey: { secretId: string; secretKey: string } | undefined;
  /** Least time between two on-demand RotateKey calls on one key. */
  manualRotationIntervalMs: number;
  /** Worker threads for asymmetric and post-quantum operations. */
  asymmetricWorkers: number;
  /** API 3.0 requests per second per caller and action; 0 = unlimited. */
  rateLimit: number;
  /** Largest API 3.0 request body accepted. */
  maxBodyBytes: number;
  /** Operator-supplied root bearer token for gRPC, gRPC-Web and Connect (KMS_ROOT_TOKEN). */
  rootToken: string | undefined;
  /** TLS on the gRPC port (KMS_TLS_CERT + KMS_TLS_KEY, PEM files); with clientCaFile, client certificates authenticate (mTLS). */
  tls: TlsConfig | undefined;
  /** TLS on the HTTP/1.1 port (KMS_HTTP_TLS_CERT + KMS_HTTP_TLS_KEY): API 3.0, Connect and gRPC-Web over https. */
  httpTls: TlsConfig | undefined;
  /** gRPC, gRPC-Web and Connect calls per second per credential and action; 0 = unlimited. */
  rpcRateLimit: number;
  /** Accept API 3.0 requests signed with X-TC-Content-SHA256: UNSIGNED-PAYLOAD (the body is then not covered by the signature). */
  allowUnsignedPayload: boolean;
  /** Connection and request limits of both listeners. */
  limits: ListenerLimits;
}

/** What one client can hold of the server: connections, streams, and time. */
export interface ListenerLimits {
  /** Open connections per listener; beyond it new ones are closed at once. */
  maxConnections: number;
  /** Concurrent HTTP/2 streams per connection (advertised in SETTINGS). */
  maxStreamsPerConnection: number;
  /** Time for a request's headers and body to arrive, and for an HTTP/2 stream to finish. */
  requestTimeoutMs: number;
  /** An HTTP/2 session or HTTP/1.1 keep-alive connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
}

export interface TlsConfig {
  certFile: string;
  keyFile: string;
  /** CA whose client certificates are accepted; a certificate's subject CN names the principal. */
  clientCaFile: string | undefined;
  /** PEM certificate revocation list(s) of that CA (KMS_TLS_CRL): revoked client certificates fail the handshake. */
  crlFile?: string | undefined;
}

/** HsmClusterId when KMS_HSM_CLUSTER_ID is unset: this service answers as one cluster of that id. */
export const DEFAULT_HSM_CLUSTER_ID = "tc-kms-cluster";
const HSM_CLUSTER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses "host:port" or "[v6]:port". Port 0 asks the OS for a free port. */
export function parseAddress(name: string, value: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${name} must be host:port, got "${value}"`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function parseRootKey(value: string | undefined): Buffer | undefined {
  if (value === undefined || value === "") return undefined;
  const key = Buffer.from(value, "base64");
  if (key.length !== 32 || key.toString("base64") !== value.trim())
    throw new ConfigError("KMS_ROOT_KEY must be the base64 encoding of exactly 32 bytes");
  return key;
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

function parseRootAccessKey(id: string | undefined, key: string | undefined): Config["rootAccessKey"] {
  if (!id && !key) return undefined;
  if (!id || !key) throw new ConfigError("KMS_ROOT_SECRET_ID and KMS_ROOT_SECRET_KEY go together: set both or neither");
  if (!SECRET_ID_RE.test(id)) throw new ConfigError("KMS_ROOT_SECRET_ID must be AKID followed by 32 letters and digits");
  if (!SECRET_KEY_RE.test(key)) throw new ConfigError("KMS_ROOT_SECRET_KEY must be 16 to 128 printable ASCII characters");
  return { secretId: id, secretKey: key };
}

function parseTls(cert: string | undefined, key: string | undefined, ca: string | undefined, crl?: string | undefined, names = ["KMS_TLS_CERT", "KMS_TLS_KEY"]): TlsConfig | undefined {
  if (!cert && !key) {
    if (ca) throw new ConfigError(`KMS_TLS_CLIENT_CA needs ${names.join(" and ")}`);
    return undefined;
  }
  if (!cert || !key) throw new ConfigError(`${names.join(" and ")} go together: set both or neither`);
  if (crl && !ca) throw new ConfigError("KMS_TLS_CRL needs KMS_TLS_CLIENT_CA");
  return { certFile: resolve(cert), keyFile: resolve(key), clientCaFile: ca ? resolve(ca) : undefined, ...(crl ? { crlFile: resolve(crl) } : {}) };
}

function parseHsmClusterId(value: string | undefined): string {
  if (value === undefined || value === "") return DEFAULT_HSM_CLUSTER_ID;
  // "default" names Tencent's shared public-cloud edition in listings, so a cluster cannot take it.
  if (!HSM_CLUSTER_ID_RE.test(value) || value === "default")
    throw new ConfigError(`KMS_HSM_CLUSTER_ID must be 1 to 64 letters, digits, '-' or '_' (not "default"), got "${value}"`);
  return value;
}

function parseRootToken(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!TOKEN_RE.test(value)) throw new ConfigError("KMS_ROOT_TOKEN must be 32 to 256 printable ASCII characters");
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const keyType = (env.KMS_DEFAULT_KEY_TYPE ?? "FIPS").toUpperCase();
  if (keyType !== "FIPS" && keyType !== "GM") throw new ConfigError(`KMS_DEFAULT_KEY_TYPE must be FIPS or GM, got "${keyType}"`);
  const uin = env.KMS_ACCOUNT_UIN ?? "100000000001";
  if (!/^[1-9]\d{0,18}$/.test(uin)) throw new ConfigError(`KMS_ACCOUNT_UIN must be a positive integer, got "${uin}"`);
  const regions = (env.KMS_REGIONS ?? "ap-guangzhou").split(",").map((r) => r.trim()).filter(Boolean);
  if (regions.length === 0) throw new ConfigError("KMS_REGIONS must name at least one region");
  return {
    grpcAddr: parseAddress("KMS_GRPC_ADDR", env.KMS_GRPC_ADDR ?? "127.0.0.1:50051"),
    httpAddr: parseAddress("KMS_HTTP_ADDR", env.KMS_HTTP_ADDR ?? "127.0.0.1:8080"),
    dataDir: resolve(env.KMS_DATA_DIR || "./data"),
    rootKey: parseRootKey(env.KMS_ROOT_KEY),
    defaultKeyType: keyType,
    regions,
    accountUin: BigInt(uin),
    cmkLimit: parseInteger("KMS_CMK_LIMIT", env.KMS_CMK_LIMIT, 1_000_000, 1, 100_000_000),
    dataKeyLimit: parseInteger("KMS_DATA_KEY_LIMIT", env.KMS_DATA_KEY_LIMIT, 1_000_000, 1, 100_000_000),
    hsmClusterId: parseHsmClusterId(env.KMS_HSM_CLUSTER_ID),
    sweepIntervalMs: parseInteger("KMS_SWEEP_INTERVAL_MS", env.KMS_SWEEP_INTERVAL_MS, 60_000, 10, 86_400_000),
    syncWrites: parseBoolean("KMS_SYNC_WRITES", env.KMS_SYNC_WRITES, true),
    rootAccessKey: parseRootAccessKey(env.KMS_ROOT_SECRET_ID, env.KMS_ROOT_SECRET_KEY),
    asymmetricWorkers: parseInteger("KMS_ASYMMETRIC_WORKERS", env.KMS_ASYMMETRIC_WORKERS, Math.max(1, availableParallelism()), 1, 256),
    manualRotationIntervalMs: parseInteger("KMS_MANUAL_ROTATION_INTERVAL_HOURS", env.KMS_MANUAL_ROTATION_INTERVAL_HOURS, 24, 0, 8760) * 3_600_000,
    rateLimit: parseInteger("KMS_RATE_LIMIT", env.KMS_RATE_LIMIT, 100, 0, 1_000_000),
    maxBodyBytes: parseInteger("KMS_MAX_BODY_BYTES", env.KMS_MAX_BODY_BYTES, 65_536, 1024, 16_777_216),
    rootToken: parseRootToken(env.KMS_ROOT_TOKEN),
    tls: parseTls(env.KMS_TLS_CERT, env.KMS_TLS_KEY, env.KMS_TLS_CLIENT_CA, env.KMS_TLS_CRL),
    httpTls: parseTls(env.KMS_HTTP_TLS_CERT, env.KMS_HTTP_TLS_KEY, undefined, undefined, ["KMS_HTTP_TLS_CERT", "KMS_HTTP_TLS_KEY"]),
    rpcRateLimit: parseInteger("KMS_RPC_RATE_LIMIT", env.KMS_RPC_RATE_LIMIT, 20_000, 0, 10_000_000),
    allowUnsignedPayload: parseBoolean("KMS_ALLOW_UNSIGNED_PAYLOAD", env.KMS_ALLOW_UNSIGNED_PAYLOAD, false),
    limits: {
      maxConnections: parseInteger("KMS_MAX_CONNECTIONS", env.KMS_MAX_CONNECTIONS, 4096, 1, 1_000_000),
      maxStreamsPerConnection: parseInteger("KMS_MAX_STREAMS_PER_CONNECTION", env.KMS_MAX_STREAMS_PER_CONNECTION, 100, 1, 10_000),
      requestTimeoutMs: parseInteger("KMS_REQUEST_TIMEOUT_MS", env.KMS_REQUEST_TIMEOUT_MS, 30_000, 100, 3_600_000),
      idleTimeoutMs: parseInteger("KMS_IDLE_TIMEOUT_MS", env.KMS_IDLE_TIMEOUT_MS, 60_000, 100, 86_400_000),
    },
  };
}
