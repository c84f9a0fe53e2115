/**
 * Composition root: config → store → root key → deps → actions → listeners.
 * main.ts runs it for the process; tests run it with a temp dir, port 0 and a
 * manual clock. Either way it is the real server.
 */
import { mkdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../gen/kms/v1/versions_pb.js";
import { adminActions } from "./access/actions/index.js";
import { ensureRootCredentials } from "./access/bootstrap.js";
import { Directory } from "./access/directory.js";
import { Gate } from "./access/gate.js";
import { AuditLog } from "./audit/audit-log.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress, TlsConfig } from "./config.js";
import { createWorkerPool } from "./crypto/asymmetric/pool.js";
import { randomBytes, randomNonce } from "./crypto/random.js";
import type { RootKey } from "./crypto/seal.js";
import { createGatewayHandler } from "./gateway/handler.js";
import { RateLimiter } from "./gateway/rate-limit.js";
import { actions } from "./keys/actions/index.js";
import type { KmsDeps } from "./keys/deps.js";
import { versionActions } from "./keys/version-actions/index.js";
import { LockSet } from "./keys/locks.js";
import { MaterialCache } from "./keys/material.js";
import { KeyRepository } from "./keys/repository.js";
import { startScheduler, type Scheduler } from "./keys/scheduler.js";
import { withConsole } from "./console/serve.js";
import { consoleLogger, type Logger } from "./log.js";
import { obtainRootKey, verifyRootKey } from "./root-key.js";
import { createGrpcHandler, isGrpcRequest } from "./server/grpc.js";
import { peerOf } from "./server/authenticate.js";
import { createEdgeInterceptor, InFlight, peerKey } from "./server/interceptors.js";
import { startListeners, type NodeHandler, type StreamHandler, type TlsMaterial } from "./server/listen.js";
import { createServiceImpl } from "./server/service.js";
import { keyspace } from "./store/keyspace.js";
import { openLevelStore } from "./store/level-store.js";
import type { KvStore } from "./store/store.js";

/** Largest gRPC/Connect request message accepted. */
const RPC_READ_MAX_BYTES = 1024 * 1024;

export interface KmsServer {
  grpc: ListenAddress;
  http: ListenAddress;
  deps: KmsDeps;
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

interface Domain {
  deps: KmsDeps;
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
    settings: { defaultKeyType: config.defaultKeyType, regions: config.regions, accountUin: config.accountUin, cmkLimit: config.cmkLimit, manualRotationIntervalMs: config.manualRotationIntervalMs },
  };
  return { deps, directory, audit };
}

async function readTls(tls: TlsConfig | undefined): Promise<TlsMaterial | undefined> {
  if (!tls) return undefined;
  const [cert, key, ca] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile), tls.clientCaFile ? readFile(tls.clientCaFile) : undefined]);
  return { cert, key, ...(ca ? { ca } : {}) };
}

/** GET /healthz: the one unauthenticated answer on the HTTP/1.1 port, for probes. */
function health(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end('{"status":"SERVING"}');
}

/** The API 3.0 gateway answers at "/" (where the SDKs post); everything else is Connect. */
function splitByPath(gateway: (req: IncomingMessage, res: ServerResponse) => void, connect: NodeHandler): NodeHandler {
  return (req, res) => {
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) gateway(req as IncomingMessage, res as ServerResponse);
    else if (url === "/healthz" && req.method === "GET") health(res as ServerResponse);
    else connect(req, res);
  };
}

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(`${config.dataDir}/db`, { sync: config.syncWrites });
  let domain: Domain;
  let tls: TlsMaterial | undefined;
  try {
    tls = await readTls(config.tls);
    domain = await openDomain(store, config, clock, log);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { deps, directory, audit } = domain;

  const inFlight = new InFlight();
  const region = config.regions[0] ?? "";
  const gate = new Gate({ directory, audit, getKey: (id) => deps.repo.getKey(id), accountUin: config.accountUin, now: () => clock.now(), log });
  const adminDeps = { directory, audit, clock };
  const kms = gate.bind(KeyManagementService, deps, actions);
  const versions = gate.bind(KeyVersionService, deps, versionActions);
  const admin = gate.bind(AdminService, adminDeps, adminActions);
  const connect = connectNodeAdapter({
    routes: (router) => {
      router.service(KeyManagementService, createServiceImpl(KeyManagementService, kms));
      router.service(KeyVersionService, createServiceImpl(KeyVersionService, versions));
      router.service(AdminService, createServiceImpl(AdminService, admin));
    },
    interceptors: [createEdgeInterceptor({ inFlight, log, directory, gate, region })],
    contextValues: (req) => createContextValues().set(peerKey, peerOf(req.socket)),
    // No valid request is more than a few KiB; refuse anything near a megabyte before buffering it.
    readMaxBytes: RPC_READ_MAX_BYTES,
  });
  const gateway = createGatewayHandler({
    methods: new Map(kms.map((m) => [m.method.name, m])),
    gate,
    directory,
    rateLimiter: new RateLimiter(config.rateLimit),
    maxBodyBytes: config.maxBodyBytes,
    regions: config.regions,
    inFlight,
    log,
    nowSeconds: () => Math.floor((options.signatureClock ?? systemClock).now() / 1000),
  });
  const grpc = createGrpcHandler({
    methods: [...kms, ...versions, ...admin],
    directory,
    gate,
    region,
    inFlight,
    log,
    readMaxBytes: RPC_READ_MAX_BYTES,
  });
  // The h2c port: gRPC straight over node:http2 streams, gRPC-Web and Connect through connect-node.
  const grpcStreams: StreamHandler = (stream, headers) => {
    if (!isGrpcRequest(headers)) return false;
    grpc(stream, headers);
    return true;
  };
  let listeners;
  try {
    // Room for a GET query as long as the largest body, plus ordinary headers.
    listeners = await startListeners(grpcStreams, withConsole(connect), withConsole(splitByPath(gateway, connect)), config.grpcAddr, config.httpAddr, 2 * config.maxBodyBytes + 16 * 1024, tls);
  } catch (err) {
    await store.close();
    throw err;
  }
  const scheduler = startScheduler(deps, config.sweepIntervalMs, (m) => log.info(m));
  // Work that fell due while the service was down (purges, rotations, expiries) happens now.
  await scheduler.runOnce();
  // The listing index is built after the listeners are up, so a large store does not delay the start.
  deps.repo.summaries().then(
    () => {
      const bad = deps.repo.unreadableKeys;
      if (bad.length > 0) log.error(`kms: ${bad.length} key record(s) are unreadable and left out of listings: ${bad.slice(0, 20).join(", ")}`);
    },
    (err: unknown) => log.error("kms: cannot build the key listing index", err),
  );

  let closing: Promise<void> | undefined;
  return {
    grpc: listeners.grpc,
    http: listeners.http,
    deps,
    directory,
    audit,
    scheduler,
    close() {
      closing ??= (async () => {
        const drainMs = options.drainMs ?? 10_000;
        await Promise.race([inFlight.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
        await listeners.close(drainMs);
        await scheduler.stop();
        await deps.asymmetric.close();
        await audit.close();
        await store.close();
      })();
      return closing;
    },
  };
}
