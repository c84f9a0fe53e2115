/**
 * Composition root: config → store → root key → deps → actions → listeners.
 * main.ts runs it for the process; tests run it with a temp dir, port 0 and a
 * manual clock. Either way it is the real server.
 */
import { mkdir } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../gen/kms/v1/versions_pb.js";
import { adminActions } from "./access/actions/index.js";
import { ensureRootAccessKey } from "./access/bootstrap.js";
import { AccessKeyRegistry } from "./access/registry.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress } from "./config.js";
import { createWorkerPool } from "./crypto/asymmetric/pool.js";
import { randomBytes } from "./crypto/random.js";
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
import { consoleLogger, type Logger } from "./log.js";
import { obtainRootKey, verifyRootKey } from "./root-key.js";
import { createGrpcHandler, isGrpcRequest } from "./server/grpc.js";
import { createEdgeInterceptor, InFlight } from "./server/interceptors.js";
import { startListeners, type NodeHandler } from "./server/listen.js";
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
  registry: AccessKeyRegistry;
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

/** Everything that needs the store open and the root key checked. */
async function openDomain(store: KvStore, config: Config, clock: Clock, log: Logger): Promise<{ deps: KmsDeps; registry: AccessKeyRegistry }> {
  const rootKey = await openRootKey(store, config, log);
  const repo = new KeyRepository(store);
  await repo.open();
  const registry = new AccessKeyRegistry(store, rootKey);
  await registry.open();
  await ensureRootAccessKey(registry, {
    dataDir: config.dataDir,
    uin: config.accountUin,
    nowMs: clock.now(),
    supplied: config.rootAccessKey,
    log: (m) => log.info(m),
    warn: (m) => log.warn(m),
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
    settings: { defaultKeyType: config.defaultKeyType, regions: config.regions, accountUin: config.accountUin, cmkLimit: config.cmkLimit, manualRotationIntervalMs: config.manualRotationIntervalMs },
  };
  return { deps, registry };
}

/** The API 3.0 gateway answers at "/" (where the SDKs post); everything else is Connect. */
function splitByPath(gateway: (req: IncomingMessage, res: ServerResponse) => void, connect: NodeHandler): NodeHandler {
  return (req, res) => {
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) gateway(req as IncomingMessage, res as ServerResponse);
    else connect(req, res);
  };
}

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(`${config.dataDir}/db`, { sync: config.syncWrites });
  let domain: { deps: KmsDeps; registry: AccessKeyRegistry };
  try {
    domain = await openDomain(store, config, clock, log);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { deps, registry } = domain;

  const inFlight = new InFlight();
  // Until principals exist (issue #6) every gRPC/Connect call acts for the configured account.
  const accountOf = () => config.accountUin;
  const adminDeps = { registry, clock };
  const connect = connectNodeAdapter({
    routes: (router) => {
      router.service(KeyManagementService, createServiceImpl(KeyManagementService, deps, actions, accountOf));
      router.service(KeyVersionService, createServiceImpl(KeyVersionService, deps, versionActions, accountOf));
      router.service(AdminService, createServiceImpl(AdminService, adminDeps, adminActions, accountOf));
    },
    interceptors: [createEdgeInterceptor(inFlight, log)],
    // No valid request is more than a few KiB; refuse anything near a megabyte before buffering it.
    readMaxBytes: RPC_READ_MAX_BYTES,
  });
  const gateway = createGatewayHandler({
    deps,
    actions,
    registry,
    rateLimiter: new RateLimiter(config.rateLimit),
    maxBodyBytes: config.maxBodyBytes,
    regions: config.regions,
    inFlight,
    log,
    nowSeconds: () => Math.floor((options.signatureClock ?? systemClock).now() / 1000),
  });
  const grpc = createGrpcHandler({
    bindings: [
      { service: KeyManagementService, deps, actions },
      { service: KeyVersionService, deps, actions: versionActions },
      { service: AdminService, deps: adminDeps, actions: adminActions },
    ],
    uinOf: accountOf,
    inFlight,
    log,
    readMaxBytes: RPC_READ_MAX_BYTES,
  });
  // The h2c port: gRPC straight over node:http2, gRPC-Web and Connect through connect-node.
  const h2: NodeHandler = (req, res) => {
    if (isGrpcRequest(req.headers)) grpc(req as Http2ServerRequest, res as Http2ServerResponse);
    else connect(req, res);
  };
  let listeners;
  try {
    // Room for a GET query as long as the largest body, plus ordinary headers.
    listeners = await startListeners(h2, splitByPath(gateway, connect), config.grpcAddr, config.httpAddr, 2 * config.maxBodyBytes + 16 * 1024);
  } catch (err) {
    await store.close();
    throw err;
  }
  const scheduler = startScheduler(deps, config.sweepIntervalMs, (m) => log.info(m));
  // Work that fell due while the service was down (purges, rotations, expiries) happens now.
  await scheduler.runOnce();
  // The listing index is built after the listeners are up, so a large store does not delay the start.
  deps.repo.listSummaries().then(
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
    registry,
    scheduler,
    close() {
      closing ??= (async () => {
        const drainMs = options.drainMs ?? 10_000;
        await Promise.race([inFlight.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
        await listeners.close(drainMs);
        await scheduler.stop();
        await deps.asymmetric.close();
        await store.close();
      })();
      return closing;
    },
  };
}
