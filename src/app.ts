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
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { TrustService } from "../gen/kms/v1/trust_pb.js";
import { UnsealService } from "../gen/kms/v1/unseal_pb.js";
import { KeyVersionService } from "../gen/kms/v1/versions_pb.js";
import { adminActions } from "./access/actions/index.js";
import { ensureRootCredentials } from "./access/bootstrap.js";
import { Directory } from "./access/directory.js";
import { Gate } from "./access/gate.js";
import { AuditLog } from "./audit/audit-log.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress, TlsConfig } from "./config.js";
import { KMS_API } from "./contract/kms-api.js";
import { createWorkerPool } from "./crypto/asymmetric/pool.js";
import { randomBytes, randomNonce } from "./crypto/random.js";
import { actions } from "./keys/actions/index.js";
import type { KmsDeps } from "./keys/deps.js";
import { LockSet } from "./keys/locks.js";
import { MaterialCache } from "./keys/material.js";
import { KeyRepository } from "./keys/repository.js";
import { keyResources } from "./keys/resources.js";
import { runDueWork, startScheduler, type Scheduler } from "./keys/scheduler.js";
import { withConsole } from "./console/serve.js";
import { versionActions } from "./keys/version-actions/index.js";
import { consoleLogger, type Logger } from "./log.js";
import { CallPipeline } from "./pipeline/pipeline.js";
import { RouteTable, type ServiceBinding } from "./pipeline/routes.js";
import { startReplica, type Replica } from "./replica/replica.js";
import { runWhileLeading, type JobRunner, type Leadership } from "./replica/leader.js";
import { coordinationOf, openStore } from "./store/open.js";
import type { KvStore } from "./store/store.js";
import { createGatewayHandler } from "./transport/api3/handler.js";
import { createConnectHandler } from "./transport/connect/connect.js";
import { createGrpcHandler, isGrpcRequest } from "./transport/grpc/grpc.js";
import { createGrpcWebHandler, isGrpcWebRequest } from "./transport/grpc/grpc-web.js";
import type { HttpRequest } from "./transport/http/body.js";
import { startListeners, type Listeners, type NodeHandler, type StreamHandler, type TlsMaterial } from "./transport/http/listen.js";
import type { HttpResponse } from "./transport/http/response.js";
import { trustActions, unsealActions, type UnsealDeps } from "./trust/actions/index.js";
import { registerBuiltinSealedRecords } from "./sealed-record-kinds.js";
import { secureDataDir } from "./trust/data-dir.js";
import { openRootOfTrust, type TrustOpening } from "./trust/open.js";
import type { Trust } from "./trust/trust.js";
import type { Unsealer } from "./trust/unsealer.js";

/** Largest gRPC/Connect request message accepted. */
const RPC_READ_MAX_BYTES = 1024 * 1024;

export interface KmsServer {
  grpc: ListenAddress;
  http: ListenAddress;
  deps: KmsDeps;
  directory: Directory;
  audit: AuditLog;
  /** A pass of the scheduled jobs on demand (tests); the passes on a timer run on the elected leader only. */
  scheduler: Scheduler;
  /** This replica's part in the election of who runs the scheduled jobs. */
  leadership: Leadership;
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

export interface Domain {
  deps: KmsDeps;
  directory: Directory;
  audit: AuditLog;
  trust: Trust;
  /** What keeps the key cache, listing index and directory current with the store (every replica's changes). */
  replica: Replica;
}

/** Everything that needs the root of trust open: the families over the store, sealed records registered, rotation resumed. */
async function openDomain(store: KvStore, trust: Trust, config: Config, clock: Clock, log: Logger): Promise<Domain> {
  const rootKey = trust.rootKey;
  // Before anything is read: the store watch replays every commit after it, so nothing falls between load and watch.
  const from = await store.revision();
  const repo = new KeyRepository(store, { shared: config.store.kind === "etcd" });
  await repo.open();
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
  const audit = await AuditLog.open(store, rootKey, {
    ...(config.auditCheckpoint ? { checkpoints: { config: config.auditCheckpoint, log, now: () => clock.now() } } : {}),
    // Replicas each write their own chain; one process on LevelDB writes the store's one chain.
    ...(config.store.kind === "etcd" ? { chain: config.replica.id, witnessMs: config.replica.witnessMs } : {}),
    now: () => clock.now(),
    log,
  });
  const deps: KmsDeps = {
    repo,
    locks: new LockSet(),
    rootKey,
    materials: new MaterialCache(),
    privateKeys: new MaterialCache(),
    asymmetric: createWorkerPool(config.asymmetricWorkers),
    clock,
    random: randomBytes,
    nonce: randomNonce,
    settings: { defaultKeyType: config.defaultKeyType, regions: config.regions, accountUin: config.accountUin, cmkLimit: config.cmkLimit, manualRotationIntervalMs: config.manualRotationIntervalMs },
  };
  // The keyring's background rotation rewraps these record kinds, each under its family's own lock.
  registerBuiltinSealedRecords(trust.records, { locks: deps.locks, directory });
  const replica = await followStore(store, from, deps, directory, trust, config, log);
  await trust.startRotations();
  return { deps, directory, audit, trust, replica };
}

/**
 * From here on the key repository and the directory are kept by the store's
 * watch (their own changes included: on LevelDB before the batch resolves, on
 * etcd when the watch delivers them, which a change's answer waits for).
 */
async function followStore(store: KvStore, from: bigint, deps: KmsDeps, directory: Directory, trust: Trust, config: Config, log: Logger): Promise<Replica> {
  deps.repo.onRemoved = (keyId) => {
    deps.materials.evict(keyId);
    deps.privateKeys.evict(keyId);
  };
  deps.repo.follow();
  const replica = await startReplica(store, from, [deps.repo, directory, trust.keyringFollower()], config.replica, config.store.kind === "etcd", log);
  directory.follow((revision) => replica.settle(revision));
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
function registerServices(routes: RouteTable, { deps, directory, audit, trust }: Domain, config: Config, unsealer: Unsealer | undefined, clock: Clock): void {
  const keys = keyResources((id) => deps.repo.getKey(id));
  routes.add({ service: KeyManagementService, deps, actions, policyService: "kms", resourceService: "kms", resources: keys, api: KMS_API });
  routes.add({ service: KeyVersionService, deps, actions: versionActions, policyService: "kms", resourceService: "kms", resources: keys });
  routes.add({ service: AdminService, deps: { directory, audit, clock }, actions: adminActions, policyService: "kmsadmin", resourceService: "kms" });
  routes.add({ service: TrustService, deps: { trust }, actions: trustActions, policyService: "kmsadmin", resourceService: "kms" });
  routes.add(unsealBinding(config, unsealer));
}

/** While sealed: UnsealService alone, with no directory to check credentials against and no audit key. */
function createSealedPipeline(config: Config, unsealer: Unsealer, clock: Clock, log: Logger): CallPipeline {
  const routes = new RouteTable();
  routes.add(unsealBinding(config, unsealer));
  return new CallPipeline({ routes, access: undefined, audit: undefined, accountUin: config.accountUin, regions: config.regions, rateLimits: { api3: config.rateLimit, rpc: config.rpcRateLimit }, now: () => clock.now(), log });
}

function createPipeline(domain: Domain, config: Config, unsealer: Unsealer | undefined, clock: Clock, log: Logger): CallPipeline {
  const routes = new RouteTable();
  registerServices(routes, domain, config, unsealer, clock);
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
  });
}

/** GET /healthz: the one unauthenticated answer on the HTTP/1.1 port, for probes (NOT_SERVING while sealed). */
function health(res: HttpResponse, serving: boolean): void {
  res.writeHead(serving ? 200 : 503, { "Content-Type": "application/json" });
  res.end(serving ? '{"status":"SERVING"}' : '{"status":"NOT_SERVING"}');
}

interface Handlers {
  grpc: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
  rpc: NodeHandler;
  gateway: (req: IncomingMessage, res: ServerResponse) => void;
  /** Sealed, or a replica that cannot show it is current: NOT_SERVING. */
  serving: () => boolean;
}

/** Every transport around one pipeline. */
function createHandlers(pipeline: CallPipeline, config: Config, options: StartOptions, log: Logger, serving: () => boolean): Handlers {
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
  const grpcStreams: StreamHandler = (stream, headers) => {
    if (!isGrpcRequest(headers)) return false;
    current().grpc(stream, headers);
    return true;
  };
  const rpc: NodeHandler = (req, res) => current().rpc(req, res);
  // The HTTP/1.1 port: API 3.0 at "/" (where the SDKs post), /healthz for probes, Connect and gRPC-Web elsewhere.
  const h1: NodeHandler = (req, res) => {
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) current().gateway(req as IncomingMessage, res as ServerResponse);
    else if (url === "/healthz" && req.method === "GET") health(res, current().serving());
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

async function openCoreWith(store: KvStore, trust: Trust, unsealer: Unsealer | undefined, config: Config, clock: Clock, log: Logger): Promise<KmsCore> {
  let domain: Domain;
  try {
    domain = await openDomain(store, trust, config, clock, log);
  } catch (err) {
    await trust.close();
    await store.close();
    throw err;
  }
  const close = async () => {
    await domain.trust.close();
    await domain.deps.asymmetric.close();
    await domain.audit.close();
    await domain.replica.close();
    await store.close();
  };
  return { store, domain, pipeline: createPipeline(domain, config, unsealer, clock, log), close };
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

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const { store, opening } = await openStoreAndTrust(config, clock, log);
  const unsealer = opening.state === "sealed" ? opening.unsealer : undefined;
  let handlers = unsealer ? createHandlers(createSealedPipeline(config, unsealer, clock, log), config, options, log, () => false) : undefined;
  let listeners: Listeners | undefined;
  let core: KmsCore;
  try {
    // Sealed: listen now, answering health checks and UnsealService only, until enough shares arrive.
    if (handlers) listeners = await startTransports(() => handlers as Handlers, config);
    const trust = opening.state === "sealed" ? await opening.unsealer.unsealed : opening.trust;
    core = await openCoreWith(store, trust, unsealer, config, clock, log);
  } catch (err) {
    await listeners?.close(0);
    await unsealer?.close();
    await store.close().catch(() => undefined);
    throw err;
  }
  const sync = core.domain.replica.sync;
  handlers = createHandlers(core.pipeline, config, options, log, () => sync.isFresh());
  try {
    listeners ??= await startTransports(() => handlers as Handlers, config);
  } catch (err) {
    await core.close();
    throw err;
  }
  const { deps, directory, audit } = core.domain;
  const { runner, scheduler } = keyJobs(deps, config.sweepIntervalMs, log);
  const leadership = runWhileLeading(coordinationOf(core.store), config.replica.id, config.replica.leaderTtlS, runner, log);
  // Work that fell due while the service was down (purges, rotations, expiries) happens now; with
  // replicas it happens on whichever replica is elected, when it is.
  if (config.store.kind === "level") await leadership.firstPass;
  buildListingIndex(deps, log);
  let closing: Promise<void> | undefined;
  const open = listeners;
  const close = async () => {
    const drainMs = options.drainMs ?? 10_000;
    await Promise.race([core.pipeline.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    await open.close(drainMs);
    await leadership.stop();
    await core.close();
  };
  return { grpc: open.grpc, http: open.http, deps, directory, audit, scheduler, leadership, close: () => (closing ??= close()) };
}

/**
 * The key family's scheduled work as a runner the leader starts and stops,
 * and a Scheduler whose runOnce runs a pass now on any replica (the work is
 * idempotent: scheduler.ts).
 */
function keyJobs(deps: KmsDeps, intervalMs: number, log: Logger): { runner: JobRunner; scheduler: Scheduler } {
  let live: Scheduler | undefined;
  const runner: JobRunner = {
    start: () => (live ??= startScheduler(deps, intervalMs, (m) => log.info(m))).runOnce(),
    async stop() {
      const s = live;
      live = undefined;
      await s?.stop();
    },
  };
  const scheduler: Scheduler = { runOnce: () => (live ? live.runOnce() : runDueWork(deps)), stop: () => runner.stop() };
  return { runner, scheduler };
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
