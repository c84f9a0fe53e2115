/**
 * Composition root: config → store → root key → families → call pipeline →
 * transports → listeners. main.ts runs it for the process; tests run it with a
 * temp dir, port 0 and a manual clock. Either way it is the real server.
 *
 * A family plugs in as one ServiceBinding in `registerServices`: its service
 * descriptor, deps, actions table, policy names, what its requests are about,
 * and (for API 3.0) its version. Every transport then serves it.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { AdminService } from "../gen/kms/v1/admin_pb.js";
import { DataKeyService } from "../gen/kms/v1/datakeys_pb.js";
import { BackupService } from "../gen/kms/v1/backup_pb.js";
import { BatchCryptoService } from "../gen/kms/v1/batch_pb.js";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { MetricsService } from "../gen/kms/v1/metrics_pb.js";
import { TrustService } from "../gen/kms/v1/trust_pb.js";
import { UnsealService } from "../gen/kms/v1/unseal_pb.js";
import { KeyVersionService } from "../gen/kms/v1/versions_pb.js";
import { SecretsManagerService } from "../gen/ssm/v1/ssm_pb.js";
import { WhiteBoxKeyService } from "../gen/kms/v1/whitebox_pb.js";
import { adminActions } from "./access/actions/index.js";
import { operatorBinding } from "./access/operator-actions/index.js";
import { adminResources } from "./access/resources.js";
import { ensureRootCredentials } from "./access/bootstrap.js";
import { Directory } from "./access/directory.js";
import { Gate } from "./access/gate.js";
import { AuditLog } from "./audit/audit-log.js";
import { auditRetentionJob } from "./audit/retention.js";
import { systemJournals } from "./audit/system.js";
import { backupActions } from "./backup/actions/index.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress, TlsConfig } from "./config.js";
import { DATA_KEYS_API } from "./contract/datakeys-api.js";
import { KMS_API } from "./contract/kms-api.js";
import { dataKeyActions } from "./datakeys/actions/index.js";
import type { DataKeysDeps } from "./datakeys/deps.js";
import { hostedDataKeysPort, openDataKeys } from "./datakeys/key-domain.js";
import { dataKeyResources } from "./datakeys/resources.js";
import { runDataKeysDueWork } from "./datakeys/scheduler.js";
import { SSM_API } from "./contract/ssm-api.js";
import { WHITEBOX_API } from "./contract/whitebox-api.js";
import { createWorkerPool, type AsymmetricEngine } from "./crypto/asymmetric/pool.js";
import { randomNonce, randomSecret } from "./crypto/random.js";
import { actions } from "./keys/actions/index.js";
import { batchActions } from "./keys/batch.js";
import type { KmsDeps } from "./keys/deps.js";
import { LockSet } from "./keys/locks.js";
import { MaterialCache } from "./keys/material.js";
import { KeyRepository } from "./keys/repository.js";
import { keyResources } from "./keys/resources.js";
import { runDueWork as runKeyDueWork } from "./keys/scheduler.js";
import { JobRunner } from "./jobs.js";
import { secretsActions } from "./secrets/actions/index.js";
import type { SecretsDeps } from "./secrets/deps.js";
import { openSecretsOverKeys } from "./secrets/key-cipher.js";
import { secretsResources } from "./secrets/resources.js";
import { runSecretsDueWork } from "./secrets/scheduler.js";
import { withConsole } from "./console/serve.js";
import { versionActions } from "./keys/version-actions/index.js";
import { consoleLogger, isJsonLogger, type Logger } from "./log.js";
import type { KeyState } from "./keys/key.js";
import { metricsActions } from "./observability/actions/index.js";
import { callLogObserver } from "./observability/call-log.js";
import { countedEngine, type CountedEngine } from "./observability/counted-engine.js";
import { startMetricsListener, type MetricsListener } from "./observability/metrics-listener.js";
import { createMetrics, type MetricSources, type Metrics } from "./observability/metrics.js";
import { timedStore } from "./observability/timed-store.js";
import type { CallObserver } from "./pipeline/pipeline.js";
import type { ScheduleKind } from "./store/keyspace.js";
import { CallPipeline } from "./pipeline/pipeline.js";
import { RouteTable, type ServiceBinding } from "./pipeline/routes.js";
import { startReplica, type Replica } from "./replica/replica.js";
import { runWhileLeading, type JobRunner as LeaderRunner, type Leadership } from "./replica/leader.js";
import { coordinationOf, openStore } from "./store/open.js";
import type { KvStore } from "./store/store.js";
import { createGatewayHandler } from "./transport/api3/handler.js";
import { createConnectHandler } from "./transport/connect/connect.js";
import { createGrpcHandler, isGrpcRequest } from "./transport/grpc/grpc.js";
import { ServingState } from "./transport/grpc/health.js";
import { createGrpcWebHandler, isGrpcWebRequest } from "./transport/grpc/grpc-web.js";
import type { HttpRequest } from "./transport/http/body.js";
import { startListeners, type Listeners, type NodeHandler, type StreamDeadlines, type StreamHandler, type TlsMaterial } from "./transport/http/listen.js";
import type { HttpResponse } from "./transport/http/response.js";
import { trustActions, unsealActions, type UnsealDeps } from "./trust/actions/index.js";
import { registerBuiltinSealedRecords } from "./sealed-record-kinds.js";
import { secureDataDir } from "./trust/data-dir.js";
import { openRootOfTrust, type TrustOpening } from "./trust/open.js";
import type { Trust } from "./trust/trust.js";
import type { Unsealer } from "./trust/unsealer.js";
import { whiteBoxActions } from "./whitebox/actions/index.js";
import type { TableGenerator, WhiteBoxDeps } from "./whitebox/deps.js";
import { WhiteBoxRepository } from "./whitebox/repository.js";
import { whiteBoxResources } from "./whitebox/resources.js";

/** Largest gRPC/Connect request message accepted. */
const RPC_READ_MAX_BYTES = 1024 * 1024;

export interface KmsServer {
  grpc: ListenAddress;
  http: ListenAddress;
  deps: KmsDeps;
  secrets: SecretsDeps;
  dataKeys: DataKeysDeps;
  directory: Directory;
  audit: AuditLog;
  /** Every family's time-driven work (src/jobs.ts): runOnce runs a pass now on any replica (the work is idempotent); the passes on a timer run on the elected leader only. */
  scheduler: JobRunner;
  /** This replica's part in the election of who runs the scheduled jobs. */
  leadership: Leadership;
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
  /** Told once the listeners are up: before the unseal when the service starts sealed, else before start-up work. */
  onListening?: (grpc: ListenAddress, http: ListenAddress, sealed: boolean) => void;
}

export interface Domain {
  deps: KmsDeps;
  secrets: SecretsDeps;
  /** The hosted data keys, over the key domain (which reaches them through deps.hostedDataKeys). */
  dataKeys: DataKeysDeps;
  directory: Directory;
  audit: AuditLog;
  trust: Trust;
  whiteBox: WhiteBoxDeps;
  /** What keeps the key cache, listing index, directory and counts current with the store (every replica's changes). */
  replica: Replica;
}

/** White-box table generation on the worker pool, off the event loop. */
function workerTableGenerator(engine: AsymmetricEngine): TableGenerator {
  return { generate: (algorithm, key) => engine.run({ op: "whitebox-tables", algorithm, key }) };
}

/**
 * Everything that needs the root of trust open: the families over the store, sealed records registered, rotation
 * resumed. The audit log may write through its own view of the store (timed apart, for metrics).
 */
async function openDomain(store: KvStore, auditStore: KvStore, asymmetric: AsymmetricEngine, trust: Trust, config: Config, clock: Clock, log: Logger): Promise<Domain> {
  const rootKey = trust.rootKey;
  // Before anything is read: the store watch replays every commit after it, so nothing falls between load and watch.
  const from = await store.revision();
  // Other processes write the store (etcd replicas): changes read fresh and carry guards. LevelDB: the in-process locks suffice.
  const shared = config.store.kind === "etcd";
  const repo = new KeyRepository(store, { shared });
  // Keys made before accounts existed belong to the default account and the first region (pinned once).
  await repo.open({ account: config.accountUin.toString(), region: config.regions[0] ?? "" });
  const directory = new Directory(store, rootKey, config.accountUin);
  await directory.open(clock.now(), { warn: (m) => log.warn(m), legacy: { pending: trust.adoptLegacyDirectory, done: () => trust.legacyDirectoryAdopted() } });
  await ensureRootCredentials(directory, {
    dataDir: config.dataDir,
    nowMs: clock.now(),
    suppliedAccessKey: config.rootAccessKey,
    suppliedToken: config.rootToken,
    log: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  const audit = await AuditLog.open(auditStore, rootKey, {
    ...(config.auditCheckpoint ? { checkpoints: { config: config.auditCheckpoint, log, now: () => clock.now() } } : {}),
    // Replicas each write their own chain; one process on LevelDB writes the store's one chain.
    ...(config.store.kind === "etcd" ? { chain: config.replica.id, witnessMs: config.replica.witnessMs } : {}),
    now: () => clock.now(),
    log,
    retention: config.auditArchive,
  });
  const deps: KmsDeps = {
    repo,
    locks: new LockSet(),
    rootKey,
    materials: new MaterialCache(),
    privateKeys: new MaterialCache(),
    asymmetric,
    clock,
    random: randomSecret,
    nonce: randomNonce,
    settings: {
      defaultKeyType: config.defaultKeyType,
      regions: config.regions,
      accountUin: config.accountUin,
      cmkLimit: config.cmkLimit,
      manualRotationIntervalMs: config.manualRotationIntervalMs,
      hsmClusterId: config.hsmClusterId,
    },
    accountLabel: (account) => directory.accountLabel(account),
  };
  const dataKeys = openDataKeys(store, deps, { locks: deps.locks, clock, rootKey, settings: { dataKeyLimit: config.dataKeyLimit, hsmClusterId: config.hsmClusterId }, shared });
  deps.hostedDataKeys = hostedDataKeysPort(dataKeys);
  const whiteBox: WhiteBoxDeps = {
    repo: new WhiteBoxRepository(store, rootKey, { shared }),
    locks: new LockSet(),
    tables: workerTableGenerator(deps.asymmetric),
    clock,
    settings: config.whiteBox,
  };
  // The keyring's background rotation rewraps these record kinds, each under its family's own lock.
  registerBuiltinSealedRecords(trust.records, { locks: deps.locks, directory, whiteBoxLocks: whiteBox.locks });
  const secrets = await openSecretsOverKeys(store, deps, {
    locks: deps.locks,
    clock,
    settings: { secretLimit: config.secretLimit, regions: config.regions },
    log: (m) => log.info(`secrets: ${m}`),
    followed: true,
    shared,
  });
  const replica = await followStore(store, from, deps, directory, secrets, dataKeys, trust, config, log);
  await trust.startRotations();
  return { deps, secrets, dataKeys, directory, audit, trust, whiteBox, replica };
}

/**
 * From here on the key repository, the directory, the keyring, the secret
 * counts and the data keys' listing index and counts are kept by the store's
 * watch (their own changes included: on LevelDB before the batch resolves,
 * on etcd when the watch delivers them, which a change's answer waits for).
 * White-box keys and secrets keep nothing else in memory.
 */
async function followStore(store: KvStore, from: bigint, deps: KmsDeps, directory: Directory, secrets: SecretsDeps, dataKeys: DataKeysDeps, trust: Trust, config: Config, log: Logger): Promise<Replica> {
  deps.repo.onRemoved = (keyId) => {
    deps.materials.evict(keyId);
    deps.privateKeys.evict(keyId);
  };
  deps.repo.follow();
  const followers = [deps.repo, directory, trust.keyringFollower(), secrets.repo, dataKeys.repo];
  const replica = await startReplica(store, from, followers, config.replica, config.store.kind === "etcd", log);
  directory.follow((revision) => replica.settle(revision));
  dataKeys.repo.follow((revision) => replica.settle(revision));
  return replica;
}

async function readTls(tls: TlsConfig | undefined): Promise<TlsMaterial | undefined> {
  if (!tls) return undefined;
  const optional = (file: string | undefined) => (file ? readFile(file) : undefined);
  const [cert, key, ca, crl] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile), optional(tls.clientCaFile), optional(tls.crlFile)]);
  return { cert, key, ...(ca ? { ca } : {}), ...(crl ? { crl } : {}) };
}

/** UnsealService: answered without credentials, sealed or not (it only reports status once unsealed). */
function unsealBinding(config: Config, unsealer: Unsealer | undefined): ServiceBinding<typeof UnsealService, UnsealDeps> {
  return { service: UnsealService, deps: { mode: config.seal.mode, unsealer }, actions: unsealActions, policyService: "kmsadmin", resourceService: "kms", public: true };
}

/** Every family's services, each one binding: the transports serve whatever is registered here. */
function registerServices(routes: RouteTable, { deps, secrets, dataKeys, directory, audit, trust, whiteBox }: Domain, store: KvStore, config: Config, unsealer: Unsealer | undefined, clock: Clock, metrics: Metrics | undefined): void {
  const keys = keyResources((id) => deps.repo.getKey(id));
  routes.add({ service: KeyManagementService, deps, actions, policyService: "kms", resourceService: "kms", resources: keys, api: KMS_API });
  // Second bindings on KMS's API version: the route table keys API 3.0 actions by (version, action).
  routes.add({ service: DataKeyService, deps: dataKeys, actions: dataKeyActions, policyService: "kms", resourceService: "kms", resources: dataKeyResources(dataKeys.repo, dataKeys.cipher), api: DATA_KEYS_API });
  routes.add({ service: KeyVersionService, deps, actions: versionActions, policyService: "kms", resourceService: "kms", resources: keys });
  routes.add({ service: BatchCryptoService, deps, actions: batchActions, policyService: "kms", resourceService: "kms", authorizesPerItem: true });
  routes.add({ service: AdminService, deps: { directory, audit, clock }, actions: adminActions, policyService: "kmsadmin", resourceService: "kms", resources: adminResources(directory) });
  routes.add(operatorBinding({ directory, clock }));
  routes.add({ service: TrustService, deps: { trust }, actions: trustActions, policyService: "kmsadmin", resourceService: "kms" });
  // The metrics registry through the API (the console's dashboard reads it; enabled false when KMS_METRICS_ADDR is unset).
  routes.add({ service: MetricsService, deps: { metrics }, actions: metricsActions, policyService: "kmsadmin", resourceService: "kms" });
  // DescribeAsyncRequestInfo is about the secret whose flow it names.
  const flowOwner = (scope: { account: string; region: string }, flowId: number) =>
    secrets.products.repo.getFlow({ uin: scope.account, region: scope.region }, flowId).then((f) => f.secretName);
  routes.add({ service: SecretsManagerService, deps: secrets, actions: secretsActions, policyService: "ssm", resourceService: "ssm", resources: secretsResources(secrets.repo, flowOwner), api: SSM_API });
  routes.add({ service: BackupService, deps: { store, rootKey: deps.rootKey, dir: config.backupDir, clock, running: { active: false } }, actions: backupActions, policyService: "kmsadmin", resourceService: "kms" });
  routes.add(unsealBinding(config, unsealer));
  // KMS's white-box actions: a second binding on API version 2019-01-18 (the route table keys by version and action).
  const whiteBoxKeys = whiteBoxResources((scope, keyId) => whiteBox.repo.get(scope, keyId));
  routes.add({ service: WhiteBoxKeyService, deps: whiteBox, actions: whiteBoxActions, policyService: "kms", resourceService: "kms", resources: whiteBoxKeys, api: WHITEBOX_API });
}

/** Every family's time-driven work, as jobs of one runner (a later leader election decides where it runs). */
function createJobs(domain: Domain, intervalMs: number, log: Logger): JobRunner {
  const { deps, secrets, dataKeys } = domain;
  // Every scheduled change is written with its system event (src/audit/system.ts).
  const journals = systemJournals(domain.audit, () => deps.clock.now());
  secrets.products.auditWith(journals);
  return new JobRunner(intervalMs, (m) => log.info(m))
    .add({ name: "keys", run: () => runKeyDueWork(deps, journals) })
    .add({ name: "data key purges", run: () => runDataKeysDueWork(dataKeys, dataKeys.clock.now(), journals) })
    .add({
      name: "secret purges",
      run: async () =>
        (await runSecretsDueWork(secrets, secrets.clock.now(), journals)).map((p) => ({
          kind: p.postponed === undefined ? "secret-purge" : "secret-purge-postponed",
          subject: `${p.account}/${p.region}/${p.name}`,
        })),
    })
    .add({
      name: "product rotations",
      // Started here and run in the background (a database may be slow or down): DescribeAsyncRequestInfo follows each.
      run: async () => (await secrets.products.runDue(journals)).map((f) => ({ kind: "product-rotation", subject: `${f.uin}/${f.region}/${f.secretName} flow ${f.flowId}` })),
    })
    .add(auditRetentionJob(domain.audit, () => deps.clock.now()));
}

/** While sealed: UnsealService alone, with no directory to check credentials against and no audit key. */
function createSealedPipeline(config: Config, unsealer: Unsealer, clock: Clock, log: Logger): CallPipeline {
  const routes = new RouteTable();
  routes.add(unsealBinding(config, unsealer));
  return new CallPipeline({ routes, access: undefined, audit: undefined, accountUin: config.accountUin, regions: config.regions, rateLimits: { api3: config.rateLimit, rpc: config.rpcRateLimit }, now: () => clock.now(), log });
}

function createPipeline(domain: Domain, store: KvStore, config: Config, unsealer: Unsealer | undefined, clock: Clock, log: Logger, observers: readonly CallObserver[], metrics: Metrics | undefined): CallPipeline {
  const routes = new RouteTable();
  registerServices(routes, domain, store, config, unsealer, clock, metrics);
  const { directory, audit } = domain;
  return new CallPipeline({
    routes,
    access: { directory, gate: new Gate(directory) },
    audit,
    consistency: domain.replica.consistency,
    accountUin: config.accountUin,
    regions: config.regions,
    rateLimits: { api3: config.rateLimit, rpc: config.rpcRateLimit },
    now: () => clock.now(),
    log,
    observers,
  });
}

/** GET /healthz: the one unauthenticated answer on the HTTP/1.1 port, for probes (503 while sealed and once shutdown has begun). */
function health(res: HttpResponse, serving: ServingState): void {
  res.writeHead(serving.serving ? 200 : 503, { "Content-Type": "application/json" });
  res.end(serving.serving ? '{"status":"SERVING"}' : '{"status":"NOT_SERVING"}');
}

interface Handlers {
  grpc: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, deadlines: StreamDeadlines) => void;
  rpc: NodeHandler;
  gateway: (req: IncomingMessage, res: ServerResponse) => void;
  serving: ServingState;
}

/** Every transport around one pipeline; health checks report `serving` (NOT_SERVING while sealed or draining). */
function createHandlers(pipeline: CallPipeline, config: Config, options: StartOptions, log: Logger, serving: ServingState): Handlers {
  const grpc = createGrpcHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log, serving });
  const grpcWeb = createGrpcWebHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log });
  const connect = createConnectHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log });
  const gateway = createGatewayHandler(pipeline, { maxBodyBytes: config.maxBodyBytes, allowUnsignedPayload: config.allowUnsignedPayload, log, nowSeconds: () => Math.floor((options.signatureClock ?? systemClock).now() / 1000) });
  const rpc: NodeHandler = (req, res) => (isGrpcWebRequest(req) ? grpcWeb(req, res) : connect(req, res));
  return { grpc, rpc, gateway, serving };
}

/**
 * The two listeners, serving whatever handlers `current()` gives at the time of each request: a
 * sealed service swaps in the full set once it is unsealed, without closing a connection.
 */
async function startTransports(current: () => Handlers, config: Config): Promise<Listeners> {
  const grpcStreams: StreamHandler = (stream, headers, deadlines) => {
    if (!isGrpcRequest(headers)) return false;
    current().grpc(stream, headers, deadlines);
    return true;
  };
  const rpc: NodeHandler = (req, res) => current().rpc(req, res);
  // The HTTP/1.1 port: API 3.0 at "/" (where the SDKs post), /healthz for probes, Connect and gRPC-Web elsewhere.
  const h1: NodeHandler = (req, res) => {
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) current().gateway(req as IncomingMessage, res as ServerResponse);
    else if (url === "/healthz" && req.method === "GET") health(res, current().serving);
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
  /** Closes what the core opened (rotation, workers, audit log, store); drain the pipeline first. */
  close(): Promise<void>;
}

/** The data directory secured, the store open, the root of trust opened (sealed or not). */
async function openStoreAndTrust(config: Config, clock: Clock, log: Logger): Promise<{ store: KvStore; opening: TrustOpening }> {
  await secureDataDir(config.dataDir, (m) => log.warn(m));
  const store = await openStore(config);
  try {
    return { store, opening: await openRootOfTrust(config, store, log, { clock }) };
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function openCoreWith(raw: KvStore, trust: Trust, unsealer: Unsealer | undefined, config: Config, clock: Clock, log: Logger): Promise<KmsCore> {
  if (isJsonLogger(log)) log.setLevel(config.logLevel);
  // Metrics, when on, time the store's batches (the audit's group commits apart) and count the worker pool's queue.
  let opened: Domain | undefined;
  const engine = countedEngine(createWorkerPool(config.asymmetricWorkers));
  const metrics = config.metricsAddr ? createMetrics(metricSources(() => opened, engine, clock)) : undefined;
  const store = metrics ? timedStore(raw, metrics.storeBatch) : raw;
  const auditStore = metrics ? timedStore(store, (seconds) => metrics.auditCommit(seconds)) : store;
  let domain: Domain;
  try {
    domain = opened = await openDomain(store, auditStore, metrics ? engine : engine.inner, trust, config, clock, log);
  } catch (err) {
    await engine.close();
    await trust.close();
    await raw.close();
    throw err;
  }
  const close = async () => {
    // Product flows write to the store: let the running ones reach a recorded state first.
    await domain.secrets.products.settled();
    await domain.trust.close();
    await domain.deps.asymmetric.close();
    await domain.audit.close();
    await domain.replica.close();
    await raw.close();
  };
  const observers: CallObserver[] = [];
  if (metrics) observers.push(metrics.calls);
  if (isJsonLogger(log) && log.enabled(config.callLogLevel)) observers.push(callLogObserver(log, config.callLogLevel));
  return { store, domain, pipeline: createPipeline(domain, store, config, unsealer, clock, log, observers, metrics), metrics, close };
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
      return Object.fromEntries(KEY_STATES.map((state) => [state, index ? index.total({ state, ascending: true }) : 0]));
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

/** The core of a service whose root of trust needs no operator (dev key, HSM). */
export async function openCore(config: Config, options: StartOptions = {}): Promise<KmsCore> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const { store, opening } = await openStoreAndTrust(config, clock, log);
  if (opening.state === "sealed") {
    await opening.unsealer.close();
    await store.close();
    throw new Error("the store is sealed under Shamir shares: start the server (startKms) and unseal it");
  }
  return openCoreWith(store, opening.trust, undefined, config, clock, log);
}

/** Open listeners and the handlers they serve now (a sealed start swaps in the core's once unsealed). */
interface Listening {
  listeners: Listeners;
  use(handlers: Handlers): void;
}

async function listen(handlers: Handlers, config: Config): Promise<Listening> {
  let current = handlers;
  const listeners = await startTransports(() => current, config);
  return { listeners, use: (h) => (current = h) };
}

/** What is open once the root of trust is: the store, the core, and the listeners if a sealed start opened them already. */
interface Opened {
  store: KvStore;
  core: KmsCore;
  listening: Listening | undefined;
}

/**
 * Opens the store and the root of trust, then the core. Sealed, the listeners
 * open first and answer health checks and UnsealService only, until enough
 * shares arrive. A failure closes whatever was opened.
 */
async function openUntilUnsealed(config: Config, options: StartOptions, clock: Clock, log: Logger): Promise<Opened> {
  const { store, opening } = await openStoreAndTrust(config, clock, log);
  const unsealer = opening.state === "sealed" ? opening.unsealer : undefined;
  let listening: Listening | undefined;
  try {
    if (unsealer) {
      const sealed = createSealedPipeline(config, unsealer, clock, log);
      listening = await listen(createHandlers(sealed, config, options, log, new ServingState(servicesOf(sealed), { serving: false })), config);
      options.onListening?.(listening.listeners.grpc, listening.listeners.http, true);
    }
    const trust = opening.state === "sealed" ? await opening.unsealer.unsealed : opening.trust;
    return { store, core: await openCoreWith(store, trust, unsealer, config, clock, log), listening };
  } catch (err) {
    await listening?.listeners.close(0);
    await unsealer?.close();
    await store.close().catch(() => undefined);
    throw err;
  }
}

/** The core's handlers behind the listeners (swapped in, if a sealed start opened them), and the metrics listener. */
async function serveCore(opened: Opened, config: Config, options: StartOptions, log: Logger): Promise<{ listeners: Listeners; serving: ServingState; metricsListener: MetricsListener | undefined }> {
  const { core } = opened;
  const sync = core.domain.replica.sync;
  const serving = new ServingState(servicesOf(core.pipeline), { fresh: () => sync.isFresh() });
  const handlers = createHandlers(core.pipeline, config, options, log, serving);
  let listeners: Listeners | undefined;
  try {
    if (opened.listening) {
      opened.listening.use(handlers);
      listeners = opened.listening.listeners;
    } else {
      listeners = (await listen(handlers, config)).listeners;
      options.onListening?.(listeners.grpc, listeners.http, false);
    }
    let metricsListener: MetricsListener | undefined;
    if (core.metrics && config.metricsAddr) {
      metricsListener = await startMetricsListener(core.metrics, config.metricsAddr, log);
      log.info(`kms: metrics listening on http://${metricsListener.address.host}:${metricsListener.address.port}/metrics`);
    }
    return { listeners, serving, metricsListener };
  } catch (err) {
    await listeners?.close(0);
    await core.close();
    throw err;
  }
}

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const opened = await openUntilUnsealed(config, options, clock, log);
  const { store, core } = opened;
  const { listeners, serving, metricsListener } = await serveCore(opened, config, options, log);
  const { deps, secrets, directory, audit } = core.domain;
  const jobs = createJobs(core.domain, config.sweepIntervalMs, log);
  const leadership = runWhileLeading(coordinationOf(store), config.replica.id, config.replica.leaderTtlS, leaderWork(secrets, jobs, log), log);
  // Work that fell due while the service was down (purges, rotations, expiries) happens now; with
  // replicas it happens on whichever replica is elected, when it is.
  if (config.store.kind === "level") await leadership.firstPass;
  buildListingIndex(deps, log);
  buildDataKeyIndex(core.domain.dataKeys, log);
  let closing: Promise<void> | undefined;
  const close = async () => {
    const drainMs = options.drainMs ?? 10_000;
    // Health checks say NOT_SERVING from now on, so balancers stop sending before the listeners close.
    serving.drain();
    await Promise.race([core.pipeline.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    serving.close();
    await listeners.close(drainMs);
    await metricsListener?.close();
    await leadership.stop();
    await core.close();
  };
  return { grpc: listeners.grpc, http: listeners.http, metrics: metricsListener?.address, deps, secrets, dataKeys: core.domain.dataKeys, directory, audit, scheduler: jobs, leadership, close: () => (closing ??= close()) };
}

/**
 * What the elected leader runs: product flows a previous leader left
 * unfinished are resumed in the background (their database may be slow or
 * down), then every family's jobs.
 */
function leaderWork(secrets: SecretsDeps, jobs: JobRunner, log: Logger): LeaderRunner {
  return {
    start() {
      secrets.products.recover().then(
        (flows) => flows.length > 0 && log.info(`secrets: resumed ${flows.length} product flow(s): ${flows.map((f) => `${f.flowId} ${f.state}`).join(", ")}`),
        (err: unknown) => log.error("secrets: resuming product flows failed", err),
      );
      return jobs.start();
    },
    stop: () => jobs.stop(),
  };
}

/** The services a pipeline serves, as health checks name them. */
function servicesOf(pipeline: CallPipeline): Set<string> {
  return new Set(pipeline.routes.all().map((r) => r.method.parent.typeName));
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

/** The hosted data keys' listing index, built the same way after start. */
function buildDataKeyIndex(dataKeys: DataKeysDeps, log: Logger): void {
  dataKeys.repo.indexes().then(
    () => {
      const bad = dataKeys.repo.unreadable;
      if (bad.length > 0) log.error(`kms: ${bad.length} data key record(s) are unreadable and left out of listings: ${bad.slice(0, 20).join(", ")}`);
    },
    (err: unknown) => log.error("kms: cannot build the data key listing index", err),
  );
}
