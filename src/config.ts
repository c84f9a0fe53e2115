/** Environment → a typed, validated Config. The only module that reads process.env. */
import { availableParallelism, hostname } from "node:os";
import { resolve, sep } from "node:path";
import { SECRET_ID_RE, SECRET_KEY_RE, TOKEN_RE } from "./credential-formats.js";
import { LOG_LEVELS, type LogLevel } from "./log.js";

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
  /**
   * 32 bytes from KMS_ROOT_KEY, or undefined to use (or create) <dataDir>/root.key: the
   * development root of trust (KMS_SEAL=dev), and the legacy root key a store older than
   * the keyring was sealed with (needed once to move such a store to pkcs11 or shamir).
   */
  rootKey: Buffer | undefined;
  /** Algorithm family of new symmetric keys: FIPS (AES-256-GCM, Type 2) or GM (SM4-GCM, Type 4). */
  defaultKeyType: KeyTypeName;
  regions: string[];
  /** Account id that owns keys created through the API. */
  accountUin: bigint;
  cmkLimit: number;
  /** Most secrets one account keeps in one region (KMS_SECRET_LIMIT). */
  secretLimit: number;
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
  // ---- root of trust and audit checkpoints (src/trust, src/audit/checkpoint.ts) ----
  /** What wraps the keyring (KMS_SEAL): dev (KMS_ROOT_KEY / root.key), an HSM through PKCS#11, or Shamir shares. */
  seal: SealConfig;
  /** Signed checkpoints of the audit chain head, written outside the data directory. */
  auditCheckpoint: AuditCheckpointConfig | undefined;
  /** Audit retention (src/audit/retention.ts): where archived events go, and when events are archived. */
  auditArchive: AuditArchiveConfig;
  /** Where records live: embedded LevelDB under dataDir (default), or an etcd cluster shared by replicas (KMS_STORE). */
  store: StoreConfig;
  /** White-box keys: whether the service is offered (KMS_WHITEBOX_ENABLED), and most keys one account keeps in one region (KMS_WHITEBOX_KEY_LIMIT). */
  whiteBox: { enabled: boolean; keyLimit: number };
  // Observability and backups.
  /** Least level written to the log (KMS_LOG_LEVEL); errors always are. */
  logLevel: LogLevel;
  /** Level of the one line per call (KMS_CALL_LOG_LEVEL, debug by default); a call that ends in InternalError is logged as an error whatever this says. */
  callLogLevel: LogLevel;
  /** Prometheus metrics on their own HTTP listener (KMS_METRICS_ADDR); undefined: off. */
  metricsAddr: ListenAddress | undefined;
  /** Where CreateBackup writes backup files (KMS_BACKUP_DIR); undefined: backups are off. */
  backupDir: string | undefined;
  /** This process among the replicas of a shared store (src/replica). */
  replica: ReplicaConfig;
}

/** How this process runs as one of several replicas on a shared (etcd) store; one process on LevelDB. */
export interface ReplicaConfig {
  /** Names this replica: its audit chain, heartbeat and leader campaign (KMS_REPLICA_ID; default the host name). */
  id: string;
  /** Processes `npm start` runs on this machine, one port (KMS_WORKERS: a number, or "auto" for one per core; etcd only). */
  workers: number;
  /** A replica that cannot show it holds every change older than this refuses calls (KMS_REPLICA_STALE_MS). */
  staleMs: number;
  /** How often a replica proves it is current (KMS_REPLICA_PROBE_MS). */
  probeMs: number;
  /** Lease of the elected leader that runs scheduled jobs: a dead leader is replaced after at most this (KMS_LEADER_TTL_S). */
  leaderTtlS: number;
  /** How often this replica's audit chain records the other chains' heads (KMS_REPLICA_WITNESS_MS). */
  witnessMs: number;
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

export type SealConfig = { mode: "dev" } | { mode: "pkcs11"; pkcs11: Pkcs11Config } | { mode: "shamir" };

export interface Pkcs11Config {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  library: string;
  /** The token: by slot id, or by token label (exactly one of them). */
  slot: number | undefined;
  tokenLabel: string | undefined;
  /** The user PIN, or a file holding it (first line). */
  pin: { value: string } | { file: string };
  /** CKA_LABEL of the root key. */
  keyLabel: string;
  /** Create the key in the token when the store has no keyring and no key has the label. */
  generateKey: boolean;
}

export interface AuditCheckpointConfig {
  /** Appended to (JSON lines); must be outside the data directory. */
  file: string | undefined;
  /** Also write each checkpoint line to the log. */
  log: boolean;
  /** A checkpoint after this many new events... */
  everyEvents: number;
  /** ...or this long after the last one when the head moved. */
  intervalMs: number;
}

export interface AuditArchiveConfig {
  /** Archive segments (KMS_AUDIT_ARCHIVE_DIR; default <data dir>-audit-archive beside it); must be outside the data directory. */
  dir: string;
  /** Events older than this are archived (KMS_AUDIT_RETENTION_DAYS; undefined: no age limit). */
  maxAgeMs: number | undefined;
  /** The store keeps at most this many events per chain (KMS_AUDIT_RETENTION_EVENTS; undefined: no count limit). */
  maxEvents: number | undefined;
}

export type StoreConfig = { kind: "level" } | EtcdConfig;

export interface EtcdConfig {
  kind: "etcd";
  /** Client URLs of the members (KMS_ETCD_ENDPOINTS, comma-separated), all http:// or all https://. */
  endpoints: string[];
  /** Prefix of every key (KMS_ETCD_PREFIX), so several deployments can share a cluster. */
  prefix: string;
  /** PEM files: the members' CA (KMS_ETCD_CA), and a client certificate and key (KMS_ETCD_CERT, KMS_ETCD_KEY). */
  tls: { caFile: string | undefined; certFile: string | undefined; keyFile: string | undefined } | undefined;
  /** The cluster's --max-txn-ops and --max-request-bytes (KMS_ETCD_MAX_TXN_OPS, KMS_ETCD_MAX_REQUEST_BYTES). */
  maxTxnOps: number;
  maxRequestBytes: number;
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

/** The default account (KMS_ACCOUNT_UIN) and region (first of KMS_REGIONS) when unset. */
export const DEFAULT_ACCOUNT_UIN = "100000000001";
export const DEFAULT_REGION = "ap-guangzhou";

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

function parseLogLevel(name: string, value: string | undefined, fallback: LogLevel, allowed: readonly LogLevel[] = LOG_LEVELS): LogLevel {
  if (value === undefined || value === "") return fallback;
  const level = value.toLowerCase() as LogLevel;
  if (!allowed.includes(level)) throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  return level;
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

function parseSeal(env: NodeJS.ProcessEnv): SealConfig {
  const mode = (env.KMS_SEAL || "dev").toLowerCase();
  const pkcs11Vars = ["KMS_PKCS11_LIBRARY", "KMS_PKCS11_SLOT", "KMS_PKCS11_TOKEN_LABEL", "KMS_PKCS11_PIN", "KMS_PKCS11_PIN_FILE", "KMS_PKCS11_KEY_LABEL", "KMS_PKCS11_GENERATE_KEY"];
  if (mode === "dev" || mode === "shamir") {
    const stray = pkcs11Vars.filter((v) => env[v]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(", ")} apply to KMS_SEAL=pkcs11 only`);
    return mode === "dev" ? { mode: "dev" } : { mode: "shamir" };
  }
  if (mode !== "pkcs11") throw new ConfigError(`KMS_SEAL must be dev, pkcs11 or shamir, got "${env.KMS_SEAL}"`);
  const library = env.KMS_PKCS11_LIBRARY;
  if (!library) throw new ConfigError("KMS_SEAL=pkcs11 needs KMS_PKCS11_LIBRARY (the PKCS#11 module's path)");
  const slotText = env.KMS_PKCS11_SLOT;
  const tokenLabel = env.KMS_PKCS11_TOKEN_LABEL || undefined;
  if ((slotText ? 1 : 0) + (tokenLabel ? 1 : 0) !== 1) throw new ConfigError("KMS_SEAL=pkcs11 needs exactly one of KMS_PKCS11_SLOT and KMS_PKCS11_TOKEN_LABEL");
  const slot = slotText ? parseInteger("KMS_PKCS11_SLOT", slotText, 0, 0, Number.MAX_SAFE_INTEGER) : undefined;
  const pin = env.KMS_PKCS11_PIN;
  const pinFile = env.KMS_PKCS11_PIN_FILE;
  if ((pin ? 1 : 0) + (pinFile ? 1 : 0) !== 1) throw new ConfigError("KMS_SEAL=pkcs11 needs exactly one of KMS_PKCS11_PIN and KMS_PKCS11_PIN_FILE");
  const keyLabel = env.KMS_PKCS11_KEY_LABEL || "tc-kms-root";
  if (keyLabel.length > 128) throw new ConfigError("KMS_PKCS11_KEY_LABEL must be at most 128 characters");
  return {
    mode,
    pkcs11: {
      library: resolve(library),
      slot,
      tokenLabel,
      pin: pin ? { value: pin } : { file: resolve(pinFile as string) },
      keyLabel,
      generateKey: parseBoolean("KMS_PKCS11_GENERATE_KEY", env.KMS_PKCS11_GENERATE_KEY, false),
    },
  };
}

function parseAuditCheckpoint(env: NodeJS.ProcessEnv, dataDir: string): AuditCheckpointConfig | undefined {
  const file = env.KMS_AUDIT_CHECKPOINT_FILE ? resolve(env.KMS_AUDIT_CHECKPOINT_FILE) : undefined;
  const log = parseBoolean("KMS_AUDIT_CHECKPOINT_LOG", env.KMS_AUDIT_CHECKPOINT_LOG, false);
  const everyEvents = parseInteger("KMS_AUDIT_CHECKPOINT_EVENTS", env.KMS_AUDIT_CHECKPOINT_EVENTS, 1000, 1, 100_000_000);
  const intervalMs = parseInteger("KMS_AUDIT_CHECKPOINT_INTERVAL_MS", env.KMS_AUDIT_CHECKPOINT_INTERVAL_MS, 60_000, 100, 86_400_000);
  if (!file && !log) return undefined;
  // Whoever can rewrite the data directory must not be able to rewrite the checkpoints too.
  if (file && (file === dataDir || file.startsWith(`${dataDir}${sep}`))) throw new ConfigError(`KMS_AUDIT_CHECKPOINT_FILE must be outside KMS_DATA_DIR (${dataDir})`);
  return { file, log, everyEvents, intervalMs };
}

function parseAuditArchive(env: NodeJS.ProcessEnv, dataDir: string): AuditArchiveConfig {
  const dir = resolve(env.KMS_AUDIT_ARCHIVE_DIR || `${dataDir}-audit-archive`);
  // Whoever can rewrite the data directory must not be able to rewrite the archive too.
  if (dir === dataDir || dir.startsWith(`${dataDir}${sep}`)) throw new ConfigError(`KMS_AUDIT_ARCHIVE_DIR must be outside KMS_DATA_DIR (${dataDir})`);
  const days = env.KMS_AUDIT_RETENTION_DAYS ? parseInteger("KMS_AUDIT_RETENTION_DAYS", env.KMS_AUDIT_RETENTION_DAYS, 0, 1, 36_500) : undefined;
  const maxEvents = env.KMS_AUDIT_RETENTION_EVENTS ? parseInteger("KMS_AUDIT_RETENTION_EVENTS", env.KMS_AUDIT_RETENTION_EVENTS, 0, 1, 1_000_000_000) : undefined;
  return { dir, maxAgeMs: days === undefined ? undefined : days * 86_400_000, maxEvents };
}

const ETCD_ENDPOINT_RE = /^(https?):\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const ETCD_VARS = ["KMS_ETCD_ENDPOINTS", "KMS_ETCD_PREFIX", "KMS_ETCD_CA", "KMS_ETCD_CERT", "KMS_ETCD_KEY", "KMS_ETCD_MAX_TXN_OPS", "KMS_ETCD_MAX_REQUEST_BYTES"] as const;

function parseEtcdEndpoints(value: string | undefined): string[] {
  const list = (value ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  if (list.length === 0) throw new ConfigError("KMS_STORE=etcd needs KMS_ETCD_ENDPOINTS: comma-separated client URLs such as http://127.0.0.1:2379");
  for (const e of list) {
    const m = ETCD_ENDPOINT_RE.exec(e);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConfigError(`KMS_ETCD_ENDPOINTS: "${e}" is not http://host:port or https://host:port`);
  }
  const schemes = new Set(list.map((e) => e.slice(0, e.indexOf(":"))));
  if (schemes.size > 1) throw new ConfigError("KMS_ETCD_ENDPOINTS must be all http:// or all https://");
  return list;
}

/** KMS_STORE and its KMS_ETCD_* settings; etcd settings without KMS_STORE=etcd are refused, not ignored. */
export function parseStore(env: NodeJS.ProcessEnv): StoreConfig {
  const kind = (env.KMS_STORE || "level").toLowerCase();
  if (kind === "level") {
    const stray = ETCD_VARS.filter((v) => env[v]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(", ")} set but KMS_STORE is level: set KMS_STORE=etcd or unset them`);
    return { kind: "level" };
  }
  if (kind !== "etcd") throw new ConfigError(`KMS_STORE must be level or etcd, got "${env.KMS_STORE}"`);
  const endpoints = parseEtcdEndpoints(env.KMS_ETCD_ENDPOINTS);
  const secure = endpoints[0]?.startsWith("https://") ?? false;
  const prefix = env.KMS_ETCD_PREFIX ?? "";
  if (!/^[\x21-\x7e]{0,256}$/.test(prefix)) throw new ConfigError("KMS_ETCD_PREFIX must be at most 256 printable ASCII characters without spaces");
  const { KMS_ETCD_CA: ca, KMS_ETCD_CERT: cert, KMS_ETCD_KEY: key } = env;
  if (!!cert !== !!key) throw new ConfigError("KMS_ETCD_CERT and KMS_ETCD_KEY go together: set both or neither");
  if ((ca || cert) && !secure) throw new ConfigError("KMS_ETCD_CA, KMS_ETCD_CERT and KMS_ETCD_KEY need https:// endpoints in KMS_ETCD_ENDPOINTS");
  return {
    kind: "etcd",
    endpoints,
    prefix,
    tls: ca || cert ? { caFile: ca ? resolve(ca) : undefined, certFile: cert ? resolve(cert) : undefined, keyFile: key ? resolve(key) : undefined } : undefined,
    maxTxnOps: parseInteger("KMS_ETCD_MAX_TXN_OPS", env.KMS_ETCD_MAX_TXN_OPS, 128, 16, 1_000_000),
    maxRequestBytes: parseInteger("KMS_ETCD_MAX_REQUEST_BYTES", env.KMS_ETCD_MAX_REQUEST_BYTES, 1_572_864, 65_536, 2_147_483_647),
  };
}

const REPLICA_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const REPLICA_VARS = ["KMS_REPLICA_ID", "KMS_REPLICA_STALE_MS", "KMS_REPLICA_PROBE_MS", "KMS_REPLICA_WITNESS_MS", "KMS_LEADER_TTL_S"] as const;

/** KMS_REPLICA_*, KMS_WORKERS and KMS_LEADER_TTL_S: replicas need a shared store, so with LevelDB they are refused, not ignored. */
export function parseReplica(env: NodeJS.ProcessEnv, store: StoreConfig): ReplicaConfig {
  const workersValue = (env.KMS_WORKERS ?? "").trim().toLowerCase();
  if (store.kind === "level") {
    const stray = REPLICA_VARS.filter((v) => env[v]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(", ")} set but KMS_STORE is level: replicas share an etcd store (KMS_STORE=etcd)`);
    if (workersValue !== "" && workersValue !== "1") throw new ConfigError("KMS_WORKERS needs KMS_STORE=etcd: LevelDB is opened by one process only");
    return { id: "local", workers: 1, staleMs: 1000, probeMs: 200, leaderTtlS: 5, witnessMs: 10_000 };
  }
  const id = env.KMS_REPLICA_ID || hostname().replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64) || "replica";
  if (!REPLICA_ID_RE.test(id)) throw new ConfigError(`KMS_REPLICA_ID must be 1 to 64 of A-Z a-z 0-9 . _ - (starting with a letter or digit), got "${id.slice(0, 80)}"`);
  const workers = workersValue === "auto" ? Math.max(1, availableParallelism()) : parseInteger("KMS_WORKERS", workersValue, 1, 1, 256);
  const staleMs = parseInteger("KMS_REPLICA_STALE_MS", env.KMS_REPLICA_STALE_MS, 1000, 100, 60_000);
  const probeMs = parseInteger("KMS_REPLICA_PROBE_MS", env.KMS_REPLICA_PROBE_MS, Math.min(200, Math.floor(staleMs / 4)), 10, 60_000);
  if (probeMs * 2 > staleMs) throw new ConfigError(`KMS_REPLICA_PROBE_MS (${probeMs}) must be at most half of KMS_REPLICA_STALE_MS (${staleMs})`);
  return {
    id,
    workers,
    staleMs,
    probeMs,
    leaderTtlS: parseInteger("KMS_LEADER_TTL_S", env.KMS_LEADER_TTL_S, 5, 2, 600),
    witnessMs: parseInteger("KMS_REPLICA_WITNESS_MS", env.KMS_REPLICA_WITNESS_MS, 10_000, 100, 3_600_000),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const keyType = (env.KMS_DEFAULT_KEY_TYPE ?? "FIPS").toUpperCase();
  if (keyType !== "FIPS" && keyType !== "GM") throw new ConfigError(`KMS_DEFAULT_KEY_TYPE must be FIPS or GM, got "${keyType}"`);
  const uin = env.KMS_ACCOUNT_UIN ?? DEFAULT_ACCOUNT_UIN;
  if (!/^[1-9]\d{0,18}$/.test(uin)) throw new ConfigError(`KMS_ACCOUNT_UIN must be a positive integer, got "${uin}"`);
  const regions = (env.KMS_REGIONS ?? DEFAULT_REGION).split(",").map((r) => r.trim()).filter(Boolean);
  if (regions.length === 0) throw new ConfigError("KMS_REGIONS must name at least one region");
  const dataDir = resolve(env.KMS_DATA_DIR || "./data");
  const store = parseStore(env);
  return {
    grpcAddr: parseAddress("KMS_GRPC_ADDR", env.KMS_GRPC_ADDR ?? "127.0.0.1:50051"),
    httpAddr: parseAddress("KMS_HTTP_ADDR", env.KMS_HTTP_ADDR ?? "127.0.0.1:8080"),
    dataDir,
    rootKey: parseRootKey(env.KMS_ROOT_KEY),
    defaultKeyType: keyType,
    regions,
    accountUin: BigInt(uin),
    cmkLimit: parseInteger("KMS_CMK_LIMIT", env.KMS_CMK_LIMIT, 1_000_000, 1, 100_000_000),
    secretLimit: parseInteger("KMS_SECRET_LIMIT", env.KMS_SECRET_LIMIT, 1_000_000, 1, 100_000_000),
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
    seal: parseSeal(env),
    auditCheckpoint: parseAuditCheckpoint(env, dataDir),
    auditArchive: parseAuditArchive(env, dataDir),
    store,
    whiteBox: {
      enabled: parseBoolean("KMS_WHITEBOX_ENABLED", env.KMS_WHITEBOX_ENABLED, true),
      keyLimit: parseInteger("KMS_WHITEBOX_KEY_LIMIT", env.KMS_WHITEBOX_KEY_LIMIT, 50, 1, 1000),
    },
    logLevel: parseLogLevel("KMS_LOG_LEVEL", env.KMS_LOG_LEVEL, "info"),
    callLogLevel: parseLogLevel("KMS_CALL_LOG_LEVEL", env.KMS_CALL_LOG_LEVEL, "debug", ["debug", "info", "warn"]),
    metricsAddr: env.KMS_METRICS_ADDR ? parseAddress("KMS_METRICS_ADDR", env.KMS_METRICS_ADDR) : undefined,
    backupDir: env.KMS_BACKUP_DIR ? resolve(env.KMS_BACKUP_DIR) : undefined,
    replica: parseReplica(env, store),
  };
}
