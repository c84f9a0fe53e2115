/** Starts the real server (listeners, LevelDB, sweeper) on ephemeral ports with a temp data dir. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startKms, type KmsServer } from "../../src/app.js";
import { ManualClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";

export interface TestServer {
  server: KmsServer;
  clock: ManualClock;
  dataDir: string;
  rootKey: string;
  grpcUrl: string;
  httpUrl: string;
  env: Record<string, string>;
  /** Stops the server, keeping the data dir. */
  stop(): Promise<void>;
  /** Stops and removes the data dir. */
  dispose(): Promise<void>;
}

export async function newDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "kms-test-"));
}

export interface TestServerOptions {
  dataDir?: string;
  rootKey?: string;
  clock?: ManualClock;
  env?: Record<string, string>;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await newDataDir());
  const rootKey = opts.rootKey ?? randomBytes(32).toString("base64");
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const env = {
    KMS_GRPC_ADDR: "127.0.0.1:0",
    KMS_HTTP_ADDR: "127.0.0.1:0",
    KMS_DATA_DIR: dataDir,
    KMS_ROOT_KEY: rootKey,
    KMS_SWEEP_INTERVAL_MS: "3600000",
    ...opts.env,
  };
  const server = await startKms(loadConfig(env), { clock, log: silentLogger, drainMs: 2000 });
  const stop = () => server.close();
  return {
    server,
    clock,
    dataDir,
    rootKey,
    env,
    grpcUrl: `http://127.0.0.1:${server.grpc.port}`,
    httpUrl: `http://127.0.0.1:${server.http.port}`,
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
