/**
 * Composition root: config → store → root key → families → call pipeline →
 * transports → listeners. main.ts runs it for the process; tests run it with a
 * temp dir, port 0 and a manual clock. Either way it is the real server.
 *
 * A family plugs in as one ServiceBinding in `registerServices`: its service
 * descriptor, deps, actions table, policy names, what its requests are about,
 * and (for API 3.0) its version. Every transport then serves it.
 */
import { mkdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AdminService } from "../gen/kms/v1/admin_pb.js";
import { BackupService } from "../gen/kms/v1/backup_pb.js";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../gen/kms/v1/versions_pb.js";
import { adminActions } from "./access/actions/index.js";
import { ensureRootCredentials } from "./access/bootstrap.js";
import { Directory } from "./access/directory.js";
import { Gate } from "./access/gate.js";
import { AuditLog } from "./audit/audit-log.js";
import { backupActions } from "./backup/actions/index.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress, TlsConfig } from "./config.js";
import { KMS_API } from "./contract/kms-api.js";
import { createWorkerPool } from "./crypto/asymmetric/pool.js";
import { randomBytes, randomNonce } from "./crypto/random.js";
import type { RootKey } from "./crypto/seal.js";
import { actions } from "./keys/actions/index.js";
import type { KmsDeps } from "./keys/deps.js";
import { LockSet } from "./keys/locks.js";
import { MaterialCache } from "./keys/material.js";
import { KeyRepository } from "./keys/repository.js";
import { keyResources } from "./keys/resources.js";
import { startScheduler, type Scheduler } from "./keys/scheduler.js";
import { withConsole } from "./console/serve.js";
import { versionActions } from "./keys/version-actions/index.js";
import { consoleLogger, isJsonLogger, type Logger } from "./log.js";
import type { KeyState } from "./keys/key.js";
import { callLogObserver } from "./observability/call-log.js";
import { countedEngine, type CountedEngine } from "./observability/counted-engine.js";
import { startMetricsListener, type MetricsListener } from "./observability/metrics-listener.js";
import { createMetrics, type MetricSources, type Metrics } from "./observability/metrics.js";
import { timedStore } from "./observability/timed-store.js";
import type { AsymmetricEngine } from "./crypto/asymmetric/pool.js";
import type { CallObserver } from "./pipeline/pipeline.js";
import type { ScheduleKind } from "./store/keyspace.js";
import { CallPipeline } from "./pipeline/pipeline.js";
import { RouteTable } from "./pipeline/routes.js";
import { obtainRootKey, verifyRootKey } from "./root-key.js";
import { keyspace } from "./store/keyspace.js";
import { openLevelStore } from "./store/level-store.js";
import type { KvStore } from "./store/store.js";
import { createGatewayHandler } from "./transport/api3/handler.js";
import { createConnectHandler } from "./transport/connect/connect.js";
import { createGrpcHandler, isGrpcRequest } from "./transport/grpc/grpc.js";
import { ServingState } from "./transport/grpc/health.js";
import { createGrpcWebHandler, isGrpcWebRequest } from "./transport/grpc/grpc-web.js";
import type { HttpRequest } from "./transport/http/body.js";
import { startListeners, type Listeners, type NodeHandler, type StreamHandler, type TlsMaterial } from "./transport/http/listen.js";
import type { HttpResponse } from "./transport/http/response.js";

/** Largest gRPC/Connect request message accepted. */
const RPC_READ_MAX_BYTES = 1024 * 1024;

export interface KmsServer {
  grpc: ListenAddress;
  http: ListenAddress;
  deps: KmsDeps;
  directory: Directory;
  audit: AuditLog;
  scheduler: Scheduler;
  /** Where /metrics is served (KMS_METRICS_ADDR), if it is. */
  metrics: ListenAddress | undefined;
  /** Drains in-flight calls, stops the scheduler, closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Logger;
  /** How long shutdown waits for in-flight calls. */
  drainMs?: number;
  /** Wall clock for API 3.0 signature windows (real time by default; the domain clock may be a test's). */
  signatureClock?: Clock;
}

async function openRootKey(store: KvStore, config: Config, log: Logger): Promise<RootKey> {
  const fresh = (await store.get(keyspace.meta("root-key-check"))) === undefined;
  const key = await obtainRootKey(config.dataDir, config.rootKey, fresh, (m) => log.warn(m));
  return verifyRootKey(store, key);
}

export interface Domain {
  deps: KmsDeps;
  directory: Directory;
  audit: AuditLog;
}
/**
 * Everything that needs the store open and the root key checked. The audit log
 * may write through its own view of the store (timed apart, for metrics).
 */
async function openDomain(store: KvStore, auditStore: KvStore, asymmetric: AsymmetricEngine, config: Config, clock: Clock, log: Logger): Promise<Domain> {
  const rootKey = await openRootKey(store, config, log);
  const repo = new KeyRepository(store);
  await repo.open();
  const directory = new Directory(store, rootKey, config.accountUin);
  await directory.open(clock.now());
  await ensureRootCredentials(directory, {
    dataDir: config.dataDir,
    nowMs: clock.now(),
    suppliedAccessKey: config.rootAccessKey,
    suppliedToken: config.rootToken,
    log: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  const audit = await AuditLog.open(auditStore, rootKey);
  const deps: KmsDeps = {
    repo,
    locks: new LockSet(),
    rootKey,
    materials: new MaterialCache(),
    privateKeys: new MaterialCache(),
    asymmetric,
    clock,
    random: randomBytes,
    nonce: randomNonce,
    settings: { defaultKeyType: config.defaultKeyType, regions: config.regions, accountUin: config.accountUin, cmkLimit: config.cmkLimit, manualRotationIntervalMs: config.manualRotationIntervalMs },
  };
  return { deps, directory, audit };
}

async function readTls(tls: TlsConfig | undefined): Promise<TlsMaterial | undefined> {
  if (!tls) return undefined;
  const optional = (file: string | undefined) => (file ? readFile(file) : undefined);
  const [cert, key, ca, crl] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile), optional(tls.clientCaFile), optional(tls.crlFile)]);
  return { cert, key, ...(ca ? { ca } : {}), ...(crl ? { crl } : {}) };
}

/** Every family's services, each one binding: the transports serve whatever is registered here. */
function registerServices(routes: RouteTable, { deps, directory, audit }: Domain, clock: Clock, store: KvStore, config: Config): void {
  const keys = keyResources((id) => deps.repo.getKey(id));
  routes.add({ service: KeyManagementService, deps, actions, policyService: "kms", resourceService: "kms", resources: keys, api: KMS_API });
  routes.add({ service: KeyVersionService, deps, actions: versionActions, policyService: "kms", resourceService: "kms", resources: keys });
  routes.add({ service: AdminService, deps: { directory, audit, clock }, actions: adminActions, policyService: "kmsadmin", resourceService: "kms" });
  routes.add({ service: BackupService, deps: { store, rootKey: deps.rootKey, dir: config.backupDir, clock, running: { active: false } }, actions: backupActions, policyService: "kmsadmin", resourceService: "kms" });
}

function createPipeline(domain: Domain, store: KvStore, config: Config, clock: Clock, log: Logger, observers: readonly CallObserver[]): CallPipeline {
  const routes = new RouteTable();
  registerServices(routes, domain, clock, store, config);
  const { directory, audit } = domain;
  return new CallPipeline({
    routes,
    directory,
    gate: new Gate(directory),
    audit,
    accountUin: config.accountUin,
    regions: config.regions,
    rateLimits: { api3: config.rateLimit, rpc: config.rpcRateLimit },
    now: () => clock.now(),
    log,
    observers,
  });
}

/** GET /healthz: the one unauthenticated answer on the HTTP/1.1 port, for probes (503 once shutdown has begun). */
function health(res: HttpResponse, serving: ServingState): void {
  res.writeHead(serving.isDraining ? 503 : 200, { "Content-Type": "application/json" });
  res.end(serving.isDraining ? '{"status":"NOT_SERVING"}' : '{"status":"SERVING"}');
}

/** Every transport around one pipeline, on the two listeners. */
async function startTransports(pipeline: CallPipeline, config: Config, options: StartOptions, log: Logger, serving: ServingState): Promise<Listeners> {
  const grpc = createGrpcHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log, serving });
  const grpcWeb = createGrpcWebHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log });
  const connect = createConnectHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log });
  const gateway = createGatewayHandler(pipeline, { maxBodyBytes: config.maxBodyBytes, allowUnsignedPayload: config.allowUnsignedPayload, log, nowSeconds: () => Math.floor((options.signatureClock ?? systemClock).now() / 1000) });
  const rpc = (req: HttpRequest, res: HttpResponse) => (isGrpcWebRequest(req) ? grpcWeb(req, res) : connect(req, res));
  const grpcStreams: StreamHandler = (stream, headers) => {
    if (!isGrpcRequest(headers)) return false;
    grpc(stream, headers);
    return true;
  };
  // The HTTP/1.1 port: API 3.0 at "/" (where the SDKs post), /healthz for probes, Connect and gRPC-Web elsewhere.
  const h1: NodeHandler = (req, res) => {
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) gateway(req as IncomingMessage, res as ServerResponse);
    else if (url === "/healthz" && req.method === "GET") health(res, serving);
    else rpc(req, res);
  };
  // The web console at /console on both listeners.
  return startListeners(grpcStreams, withConsole(rpc), withConsole(h1), {
    grpcAddr: config.grpcAddr,
    httpAddr: config.httpAddr,
    // Room for a GET query as long as the largest body, plus ordinary headers.
    maxHeaderBytes: 2 * config.maxBodyBytes + 16 * 1024,
    tls: await readTls(config.tls),
    httpTls: await readTls(config.httpTls),
    limits: config.limits,
  });
}

/** Everything but the listeners: the store, the families and the call pipeline (the in-process test tier drives this directly). */
export interface KmsCore {
  store: KvStore;
  domain: Domain;
  pipeline: CallPipeline;
  /** Present when KMS_METRICS_ADDR is set (the listener itself is startKms's). */
  metrics: Metrics | undefined;
  /** Closes what the core opened (workers, audit log, store); drain the pipeline first. */
  close(): Promise<void>;
}

export async function openCore(config: Config, options: StartOptions = {}): Promise<KmsCore> {
  const log = options.log ?? consoleLogger;
  if (isJsonLogger(log)) log.setLevel(config.logLevel);
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const raw = await openLevelStore(`${config.dataDir}/db`, { sync: config.syncWrites });
  // Metrics, when on, time the store's batches (the audit's group commits apart) and count the worker pool's queue.
  let opened: Domain | undefined;
  const engine = countedEngine(createWorkerPool(config.asymmetricWorkers));
  const metrics = config.metricsAddr ? createMetrics(metricSources(() => opened, engine, clock)) : undefined;
  const store = metrics ? timedStore(raw, metrics.storeBatch) : raw;
  const auditStore = metrics ? timedStore(store, (seconds) => metrics.auditCommit(seconds)) : store;
  let domain: Domain;
  try {
    domain = opened = await openDomain(store, auditStore, metrics ? engine : engine.inner, config, clock, log);
  } catch (err) {
    await engine.close();
    await raw.close();
    throw err;
  }
  const close = async () => {
    await domain.deps.asymmetric.close();
    await domain.audit.close();
    await raw.close();
  };
  const observers: CallObserver[] = [];
  if (metrics) observers.push(metrics.calls);
  if (isJsonLogger(log) && log.enabled(config.callLogLevel)) observers.push(callLogObserver(log, config.callLogLevel));
  return { store, domain, pipeline: createPipeline(domain, store, config, clock, log, observers), metrics, close };
}

const KEY_STATES: readonly KeyState[] = ["Enabled", "Disabled", "PendingDelete", "PendingImport", "Archived"];
const SCHEDULE_KINDS: readonly ScheduleKind[] = ["key-deletion", "rotation", "material-expiry", "version-deletion", "import-token-expiry"];
/** Due entries looked at per kind for the oldest one still waiting (rotations of keys that are not enabled wait on purpose). */
const LAG_SCAN_LIMIT = 1000;

/** What the metrics read from the domain at scrape time. */
function metricSources(domain: () => Domain | undefined, engine: CountedEngine, clock: Clock): MetricSources {
  return {
    async keysByState() {
      const d = domain();
      const index = d ? await d.deps.repo.summaries() : undefined;
      return Object.fromEntries(KEY_STATES.map((state) => [state, index ? index.page({ state, ascending: true, offset: 0, limit: 0 }).total : 0]));
    },
    async oldestDue() {
      const d = domain();
      const out: Record<string, number | undefined> = {};
      for (const kind of SCHEDULE_KINDS) {
        out[kind] = undefined;
        if (!d) continue;
        let seen = 0;
        for await (const entry of d.deps.repo.dueEntries(kind, clock.now())) {
          if (++seen > LAG_SCAN_LIMIT) break;
          // The scheduler keeps a due rotation of a key that is not enabled until it is: not lag.
          if (kind === "rotation" && (await d.deps.repo.getKey(entry.subject))?.keyState !== "Enabled") continue;
          out[kind] = entry.dateMs;
          break;
        }
      }
      return out;
    },
    asymmetricQueue: () => engine.pending,
    now: () => clock.now(),
  };
}

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const core = await openCore(config, options);
  const serving = new ServingState(new Set(core.pipeline.routes.all().map((r) => r.method.parent.typeName)));
  let listeners: Listeners;
  let metricsListener: MetricsListener | undefined;
  try {
    listeners = await startTransports(core.pipeline, config, options, log, serving);
    if (core.metrics && config.metricsAddr) {
      metricsListener = await startMetricsListener(core.metrics, config.metricsAddr, log).catch(async (err: unknown) => {
        await listeners.close(0);
        throw err;
      });
      log.info(`kms: metrics listening on http://${metricsListener.address.host}:${metricsListener.address.port}/metrics`);
    }
  } catch (err) {
    await core.close();
    throw err;
  }
  const { deps, directory, audit } = core.domain;
  const scheduler = startScheduler(deps, config.sweepIntervalMs, (m) => log.info(m));
  // Work that fell due while the service was down (purges, rotations, expiries) happens now.
  await scheduler.runOnce();
  buildListingIndex(deps, log);
  let closing: Promise<void> | undefined;
  const close = async () => {
    const drainMs = options.drainMs ?? 10_000;
    // Health checks say NOT_SERVING from now on, so balancers stop sending before the listeners close.
    serving.drain();
    await Promise.race([core.pipeline.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    serving.close();
    await listeners.close(drainMs);
    await metricsListener?.close();
    await scheduler.stop();
    await core.close();
  };
  return { grpc: listeners.grpc, http: listeners.http, metrics: metricsListener?.address, deps, directory, audit, scheduler, close: () => (closing ??= close()) };
}

/** The listing index is built after the listeners are up, so a large store does not delay the start. */
function buildListingIndex(deps: KmsDeps, log: Logger): void {
  deps.repo.summaries().then(
    () => {
      const bad = deps.repo.unreadableKeys;
      if (bad.length > 0) log.error(`kms: ${bad.length} key record(s) are unreadable and left out of listings: ${bad.slice(0, 20).join(", ")}`);
    },
    (err: unknown) => log.error("kms: cannot build the key listing index", err),
  );
}
