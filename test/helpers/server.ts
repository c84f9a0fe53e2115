/** Starts the real server (listeners, LevelDB, scheduler) on ephemeral ports with a temp data dir. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startKms, type KmsServer } from "../../src/app.js";
import { ManualClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { afterAll, beforeAll } from "vitest";
import { connectClients, type ConnectClients } from "./clients.js";

export interface TestServer {
  server: KmsServer;
  clock: ManualClock;
  dataDir: string;
  rootKey: string;
  grpcUrl: string;
  httpUrl: string;
  env: Record<string, string>;
  /** The API 3.0 root access key the server was started with. */
  secretId: string;
  secretKey: string;
  /** The root's bearer token (gRPC, gRPC-Web, Connect). */
  token: string;
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
  /** Clock of the API 3.0 signature window (default: real time). */
  signatureClock?: ManualClock;
  env?: Record<string, string>;
  /** Where the server logs (silent by default). */
  log?: Logger;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await newDataDir());
  const rootKey = opts.rootKey ?? randomBytes(32).toString("base64");
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const secretId = `AKID${randomBytes(24).toString("base64url").replace(/[-_]/g, "x").slice(0, 32)}`;
  const secretKey = randomBytes(24).toString("base64url").replace(/[-_]/g, "y").slice(0, 32);
  const token = opts.env?.KMS_ROOT_TOKEN ?? `root-${randomBytes(24).toString("base64url")}`;
  const env = {
    KMS_ROOT_TOKEN: token,
    KMS_ROOT_SECRET_ID: secretId,
    KMS_ROOT_SECRET_KEY: secretKey,
    KMS_GRPC_ADDR: "127.0.0.1:0",
    KMS_HTTP_ADDR: "127.0.0.1:0",
    KMS_DATA_DIR: dataDir,
    KMS_ROOT_KEY: rootKey,
    KMS_SWEEP_INTERVAL_MS: "3600000",
    ...opts.env,
  };
  const server = await startKms(loadConfig(env), { clock, log: opts.log ?? silentLogger, drainMs: 2000, ...(opts.signatureClock ? { signatureClock: opts.signatureClock } : {}) });
  const stop = () => server.close();
  return {
    server,
    clock,
    dataDir,
    rootKey,
    env,
    secretId: env.KMS_ROOT_SECRET_ID,
    secretKey: env.KMS_ROOT_SECRET_KEY,
    token: env.KMS_ROOT_TOKEN,
    grpcUrl: `http://127.0.0.1:${server.grpc.port}`,
    httpUrl: `http://127.0.0.1:${server.http.port}`,
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers beforeAll/afterAll that start a server with connect clients and
 * stop it; `ready` receives them once started (suites keep their own names).
 */
export function useServer(ready: (s: TestServer, clients: ConnectClients) => void, opts: TestServerOptions = {}): void {
  let s: TestServer | undefined;
  let c: ConnectClients | undefined;
  beforeAll(async () => {
    s = await startTestServer(opts);
    c = connectClients(s);
    ready(s, c);
  });
  afterAll(async () => {
    c?.close();
    await s?.dispose();
  });
}
