/**
 * The processes under test, each its own OS process apart from the load
 * generator: the KMS server as `npm start` runs it (`node dist/main.js`, built
 * by `npm run bench` first) and the echo server of the ceilings
 * (bench/echo-server.ts, bundled the same way so both run plain JavaScript).
 * Ports come from their log lines; CPU seconds and RSS from /proc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface Credentials {
  secretId: string;
  secretKey: string;
  /** Root bearer token for gRPC and Connect. */
  token: string;
}

export function newCredentials(): Credentials {
  const alnum = (n: number) => randomBytes(n * 2).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, n);
  return { secretId: `AKID${alnum(32)}`, secretKey: alnum(32), token: `bench-${alnum(40)}` };
}

export interface Started {
  child: ChildProcess;
  pid: number;
  /** performance.now() when spawn() was called. */
  spawnedAt: number;
  /** performance.now() when every expected log line had been seen. */
  readyAt: number;
  /** Named ports from the log lines. */
  ports: Record<string, number>;
  /** SIGTERM, then waits for exit (SIGKILL after a grace period). Resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns `node [nodeArgs] script` and waits until every pattern of `expect`
 * has matched a line of stderr; each pattern's first group is a port.
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  expect: Record<string, RegExp>,
  logFile: string,
  nodeArgs: string[] = [],
): Promise<Started> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log = createWriteStream(logFile);
  const ports: Record<string, number> = {};
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${START_TIMEOUT_MS} ms (log: ${logFile})`)), START_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready (log: ${logFile})`));
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString("utf8");
      for (const [name, re] of Object.entries(expect)) {
        const m = re.exec(buffered);
        if (m?.[1] !== undefined && ports[name] === undefined) ports[name] = Number(m[1]);
      }
      if (Object.keys(expect).every((name) => ports[name] !== undefined)) {
        clearTimeout(timer);
        buffered = "";
        resolve();
      }
    });
  });
  const readyAt = performance.now();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${script}: no pid`);
  return {
    child,
    pid,
    spawnedAt,
    readyAt,
    ports,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
}

export interface KmsOptions {
  dataDir: string;
  rootKey: string;
  credentials: Credentials;
  rateLimit: number;
  logFile: string;
  nodeArgs?: string[];
  /** More environment (e.g. KMS_STORE=etcd and KMS_WORKERS for the replicas scenario). */
  env?: Record<string, string>;
}

/** The KMS as the README starts it, on free loopback ports. */
export function startKms(o: KmsOptions): Promise<Started> {
  return startProcess(
    "dist/main.js",
    {
      KMS_DATA_DIR: o.dataDir,
      KMS_GRPC_ADDR: "127.0.0.1:0",
      KMS_HTTP_ADDR: "127.0.0.1:0",
      KMS_ROOT_KEY: o.rootKey,
      KMS_ROOT_SECRET_ID: o.credentials.secretId,
      KMS_ROOT_SECRET_KEY: o.credentials.secretKey,
      KMS_ROOT_TOKEN: o.credentials.token,
      KMS_RATE_LIMIT: String(o.rateLimit),
      KMS_SWEEP_INTERVAL_MS: "3600000",
      ...o.env,
    },
    { h2c: /\(h2c\) listening on 127\.0\.0\.1:(\d+)/, http: /\(HTTP\/1\.1\) listening on 127\.0\.0\.1:(\d+)/ },
    o.logFile,
    o.nodeArgs ?? [],
  );
}

/** The echo server of the ceilings (bench/echo-server.ts). */
export function startEcho(cannedDir: string, credentials: Credentials, logFile: string): Promise<Started> {
  return startProcess(
    bundle("bench/echo-server.ts"),
    { ECHO_CANNED_DIR: cannedDir, ECHO_SECRET_ID: credentials.secretId, ECHO_SECRET_KEY: credentials.secretKey },
    { connect: /echo: connect-h2c 127\.0\.0\.1:(\d+)/, raw: /echo: raw-h2 127\.0\.0\.1:(\d+)/, gateway: /echo: gateway-h1 127\.0\.0\.1:(\d+)/ },
    logFile,
  );
}

/** Bundles a TypeScript entry as `npm run build` bundles the server (dependencies left out); returns the output path. */
function bundle(entry: string): string {
  const outfile = join(REPO, "dist", "bench", basename(entry).replace(/\.ts$/, ".js"));
  buildSync({ entryPoints: [join(REPO, entry)], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile, logLevel: "warning" });
  return outfile;
}

/** User + system CPU seconds of a process, all threads (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size and its peak, in bytes (from /proc/<pid>/status). */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}
