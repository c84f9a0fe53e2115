/**
 * Composition root: config → store → root key → deps → actions → listeners.
 * main.ts runs it for the process; tests run it with a temp dir, port 0 and a
 * manual clock. Either way it is the real server.
 */
import { mkdir } from "node:fs/promises";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config, ListenAddress } from "./config.js";
import { randomBytes } from "./crypto/random.js";
import { actions } from "./keys/actions/index.js";
import type { KmsDeps } from "./keys/deps.js";
import { LockSet } from "./keys/locks.js";
import { MaterialCache } from "./keys/material.js";
import { KeyRepository } from "./keys/repository.js";
import { startSweeper, type Sweeper } from "./keys/sweeper.js";
import { consoleLogger, type Logger } from "./log.js";
import { obtainRootKey, verifyRootKey } from "./root-key.js";
import { createEdgeInterceptor, InFlight } from "./server/interceptors.js";
import { startListeners } from "./server/listen.js";
import { createServiceImpl } from "./server/service.js";
import { keyspace } from "./store/keyspace.js";
import { openLevelStore } from "./store/level-store.js";
import type { KvStore } from "./store/store.js";

export interface KmsServer {
  grpc: ListenAddress;
  http: ListenAddress;
  deps: KmsDeps;
  sweeper: Sweeper;
  /** Drains in-flight calls, stops the sweeper, closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Logger;
  /** How long shutdown waits for in-flight calls. */
  drainMs?: number;
}

async function openRootKey(store: KvStore, config: Config, log: Logger) {
  const fresh = (await store.get(keyspace.meta("root-key-check"))) === undefined;
  const key = await obtainRootKey(config.dataDir, config.rootKey, fresh, (m) => log.warn(m));
  return verifyRootKey(store, key);
}

export async function startKms(config: Config, options: StartOptions = {}): Promise<KmsServer> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(`${config.dataDir}/db`, { sync: config.syncWrites });
  let deps: KmsDeps;
  try {
    const rootKey = await openRootKey(store, config, log);
    const repo = new KeyRepository(store);
    await repo.open();
    deps = {
      repo,
      locks: new LockSet(),
      rootKey,
      materials: new MaterialCache(),
      clock,
      random: randomBytes,
      settings: { defaultKeyType: config.defaultKeyType, regions: config.regions, accountUin: config.accountUin, cmkLimit: config.cmkLimit },
    };
  } catch (err) {
    await store.close();
    throw err;
  }

  const inFlight = new InFlight();
  const impl = createServiceImpl(deps, actions, () => config.accountUin);
  const handler = connectNodeAdapter({
    routes: (router) => router.service(KeyManagementService, impl),
    interceptors: [createEdgeInterceptor(inFlight, log)],
  });
  let listeners;
  try {
    listeners = await startListeners(handler, config.grpcAddr, config.httpAddr);
  } catch (err) {
    await store.close();
    throw err;
  }
  const sweeper = startSweeper(deps, config.sweepIntervalMs, (m) => log.info(m));
  // A deletion that fell due while the service was down happens now.
  await sweeper.runOnce();

  let closing: Promise<void> | undefined;
  return {
    grpc: listeners.grpc,
    http: listeners.http,
    deps,
    sweeper,
    close() {
      closing ??= (async () => {
        const drainMs = options.drainMs ?? 10_000;
        await Promise.race([inFlight.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
        await listeners.close(drainMs);
        await sweeper.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
