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
import { DataKeyService } from "../gen/kms/v1/datakeys_pb.js";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../gen/kms/v1/versions_pb.js";
import { adminActions } from "./access/actions/index.js";
import { ensureRootCredentials } from "./access/bootstrap.js";
import { Directory } from "./access/directory.js";
import { Gate } from "./access/gate.js";
import { AuditLog } from "./audit/audit-log.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress, TlsConfig } from "./config.js";
import { DATA_KEYS_API } from "./contract/datakeys-api.js";
import { KMS_API } from "./contract/kms-api.js";
import { dataKeyActions } from "./datakeys/actions/index.js";
import type { DataKeysDeps } from "./datakeys/deps.js";
import { hostedDataKeysPort, openDataKeys } from "./datakeys/key-domain.js";
import { dataKeyResources } from "./datakeys/resources.js";
import { runDataKeysDueWork } from "./datakeys/scheduler.js";
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
import { consoleLogger, type Logger } from "./log.js";
import { CallPipeline } from "./pipeline/pipeline.js";
import { RouteTable } from "./pipeline/routes.js";
import { obtainRootKey, verifyRootKey } from "./root-key.js";
import { keyspace } from "./store/keyspace.js";
import { openLevelStore } from "./store/level-store.js";
import type { KvStore } from "./store/store.js";
import { createGatewayHandler } from "./transport/api3/handler.js";
import { createConnectHandler } from "./transport/connect/connect.js";
import { createGrpcHandler, isGrpcRequest } from "./transport/grpc/grpc.js";
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
  dataKeys: DataKeysDeps;
  directory: Directory;
  audit: AuditLog;
  scheduler: Scheduler;
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
  /** The hosted data keys, over the key domain (which reaches them through deps.hostedDataKeys). */
  dataKeys: DataKeysDeps;
  directory: Directory;
  audit: AuditLog;
}
/** Everything that needs the store open and the root key checked. */
async function openDomain(store: KvStore, config: Config, clock: Clock, log: Logger): Promise<Domain> {
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
  const audit = await AuditLog.open(store, rootKey);
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
    settings: {
      defaultKeyType: config.defaultKeyType,
      regions: config.regions,
      accountUin: config.accountUin,
      cmkLimit: config.cmkLimit,
      manualRotationIntervalMs: config.manualRotationIntervalMs,
      hsmClusterId: config.hsmClusterId,
    },
  };
  const dataKeys = openDataKeys(store, deps, { locks: deps.locks, clock, rootKey, settings: { dataKeyLimit: config.dataKeyLimit, hsmClusterId: config.hsmClusterId } });
  deps.hostedDataKeys = hostedDataKeysPort(dataKeys);
  return { deps, dataKeys, directory, audit };
}

async function readTls(tls: TlsConfig | undefined): Promise<TlsMaterial | undefined> {
  if (!tls) return undefined;
  const optional = (file: string | undefined) => (file ? readFile(file) : undefined);
  const [cert, key, ca, crl] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile), optional(tls.clientCaFile), optional(tls.crlFile)]);
  return { cert, key, ...(ca ? { ca } : {}), ...(crl ? { crl } : {}) };
}

/** Every family's services, each one binding: the transports serve whatever is registered here. */
function registerServices(routes: RouteTable, { deps, dataKeys, directory, audit }: Domain, clock: Clock): void {
  const keys = keyResources((id) => deps.repo.getKey(id));
  routes.add({ service: KeyManagementService, deps, actions, policyService: "kms", resourceService: "kms", resources: keys, api: KMS_API });
  // A second binding on KMS's API version: the route table keys API 3.0 actions by (version, action).
  routes.add({
    service: DataKeyService,
    deps: dataKeys,
    actions: dataKeyActions,
    policyService: "kms",
    resourceService: "kms",
    resources: dataKeyResources(dataKeys.repo, dataKeys.cipher),
    api: DATA_KEYS_API,
  });
  routes.add({ service: KeyVersionService, deps, actions: versionActions, policyService: "kms", resourceService: "kms", resources: keys });
  routes.add({ service: AdminService, deps: { directory, audit, clock }, actions: adminActions, policyService: "kmsadmin", resourceService: "kms" });
}

function createPipeline(domain: Domain, config: Config, clock: Clock, log: Logger): CallPipeline {
  const routes = new RouteTable();
  registerServices(routes, domain, clock);
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
  });
}

/** GET /healthz: the one unauthenticated answer on the HTTP/1.1 port, for probes. */
function health(res: HttpResponse): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end('{"status":"SERVING"}');
}

/** Every transport around one pipeline, on the two listeners. */
async function startTransports(pipeline: CallPipeline, config: Config, options: StartOptions, log: Logger): Promise<Listeners> {
  const grpc = createGrpcHandler(pipeline, { readMaxBytes: RPC_READ_MAX_BYTES, log });
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
    else if (url === "/healthz" && req.method === "GET") health(res);
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
  /** Closes what the core opened (workers, audit log, store); drain the pipeline first. */
  close(): Promise<void>;
}

export async function openCore(config: Config, options: StartOptions = {}): Promise<KmsCore> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(`${config.dataDir}/db`, { sync: config.syncWrites });
  let domain: Domain;
  try {
    domain = await openDomain(store, config, clock, log);
  } catch (err) {
    await store.close();
    throw err;
  }
  const close = async () => {
    await domain.deps.asymmetric.close();
    await domain.audit.close();
    await store.close();
  };
  return { store, domain, pipeline: createPipeline(domain, config, clock, log), close };
}

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const core = await openCore(config, options);
  let listeners: Listeners;
  try {
    listeners = await startTransports(core.pipeline, config, options, log);
  } catch (err) {
    await core.close();
    throw err;
  }
  const { deps, dataKeys, directory, audit } = core.domain;
  // The hosted data keys' purges run in the keys scheduler's pass (until a shared job runner exists).
  const scheduler = startScheduler(deps, config.sweepIntervalMs, (m) => log.info(m), [(nowMs) => runDataKeysDueWork(dataKeys, nowMs)]);
  // Work that fell due while the service was down (purges, rotations, expiries) happens now.
  await scheduler.runOnce();
  buildListingIndex(deps, log);
  buildDataKeyIndex(dataKeys, log);
  let closing: Promise<void> | undefined;
  const close = async () => {
    const drainMs = options.drainMs ?? 10_000;
    await Promise.race([core.pipeline.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    await listeners.close(drainMs);
    await scheduler.stop();
    await core.close();
  };
  return { grpc: listeners.grpc, http: listeners.http, deps, dataKeys, directory, audit, scheduler, close: () => (closing ??= close()) };
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
