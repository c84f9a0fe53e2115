/**
 * The server as a separate process (`node dist/main.js`, which `npm run
 * reliability` builds first), as an operator runs it: ports parsed from its log, kill -9, SIGTERM, RSS from /proc.
 * Everything listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ServerIdentity {
  dataDir: string;
  rootKey: string;
  secretId: string;
  secretKey: string;
  /** The root's bearer token. */
  token: string;
}

export interface KmsProcess {
  readonly pid: number;
  readonly grpcUrl: string;
  readonly httpUrl: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly identity: ServerIdentity;
  log(): string;
  alive(): boolean;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, then waits (bounded) for the exit; returns the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Resident set size in KiB, from /proc/<pid>/status. */
  rssKb(): Promise<number | undefined>;
  readonly exited: Promise<number | null>;
}

const alnum = (n: number) => {
  let s = "";
  while (s.length < n) s += randomBytes(n).toString("base64").replace(/[^A-Za-z0-9]/g, "");
  return s.slice(0, n);
};

export async function newIdentity(dataDir?: string): Promise<ServerIdentity> {
  return {
    dataDir: dataDir ?? (await mkdtemp(join(tmpdir(), "kms-rel-"))),
    rootKey: randomBytes(32).toString("base64"),
    secretId: `AKID${alnum(32)}`,
    secretKey: alnum(32),
    token: `root-${alnum(40)}`,
  };
}

export const ROOT = new URL("../../../", import.meta.url).pathname;

export async function startServer(id: ServerIdentity, extraEnv: Record<string, string> = {}, startTimeoutMs = 30_000): Promise<KmsProcess> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KMS_DATA_DIR: id.dataDir,
    KMS_GRPC_ADDR: "127.0.0.1:0",
    KMS_HTTP_ADDR: "127.0.0.1:0",
    KMS_ROOT_KEY: id.rootKey,
    KMS_ROOT_SECRET_ID: id.secretId,
    KMS_ROOT_SECRET_KEY: id.secretKey,
    KMS_ROOT_TOKEN: id.token,
    KMS_RATE_LIMIT: "0",
    KMS_SWEEP_INTERVAL_MS: "3600000",
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, ["dist/main.js"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve(exitCode);
    }),
  );
  const until = Date.now() + startTimeoutMs;
  let grpcPort = 0;
  let httpPort = 0;
  while (Date.now() < until) {
    const g = /\(h2c\) listening on 127\.0\.0\.1:(\d+)/.exec(log);
    const h = /\(HTTP\/1\.1\) listening on 127\.0\.0\.1:(\d+)/.exec(log);
    if (g && h) {
      grpcPort = Number(g[1]);
      httpPort = Number(h[1]);
      break;
    }
    if (exitCode !== undefined) throw new Error(`the server exited (${String(exitCode)}) during start:\n${log.slice(-4000)}`);
    await sleep(25);
  }
  if (!grpcPort || !httpPort) {
    child.kill("SIGKILL");
    throw new Error(`the server did not start within ${startTimeoutMs} ms:\n${log.slice(-4000)}`);
  }
  const pid = child.pid as number;
  return {
    pid,
    grpcPort,
    httpPort,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    identity: id,
    exited,
    log: () => log,
    alive: () => exitCode === undefined,
    async kill9() {
      if (exitCode === undefined) child.kill("SIGKILL");
      await exited;
    },
    async stop(timeoutMs = 15_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async rssKb() {
      try {
        // Synchronous: /proc reads are cheap, and the thread pool is busy under load (a queued read came back after seconds).
        const s = readFileSync(`/proc/${pid}/status`, "utf8");
        const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Random integer in [0, n). */
export function rnd(n: number): number {
  return Math.floor(Math.random() * n);
}

export function pick<T>(items: readonly T[]): T {
  if (items.length === 0) throw new Error("pick from an empty list");
  return items[rnd(items.length)] as T;
}
