/**
 * A private etcd for tests and benchmarks: one member or a 3-member cluster on
 * free loopback ports, data and logs under a temp dir, started and waited on
 * until healthy; stopped and removed by stop(). Members can be killed (-9),
 * frozen (SIGSTOP), thawed (SIGCONT) and restarted on their data, for the
 * failure tests.
 *
 * The binary is Debian's etcd-server (3.4), `etcd` on the PATH or $ETCD_BIN.
 * Without it, tests skip with etcdSkip's message, but only outside CI: under
 * CI=true they run and fail, so a missing install cannot pass as green.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ETCD_BIN = process.env.ETCD_BIN || "etcd";

/** The limits the service needs (README, "Storage on etcd"); etcd's defaults are 128 ops and 1.5 MiB. */
export const SERVICE_ETCD_LIMITS = { maxTxnOps: 4096, maxRequestBytes: 8 * 1024 * 1024 } as const;

function etcdVersion(): string | undefined {
  const r = spawnSync(ETCD_BIN, ["--version"], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return /etcd Version: (\S+)/.exec(r.stdout)?.[1];
}

export const etcdFound = etcdVersion();

/** Why etcd tests skip here, or undefined when they must run (etcd present, or CI set). */
export const etcdSkip: string | undefined =
  etcdFound === undefined && !process.env.CI
    ? `etcd tests skipped: no "${ETCD_BIN}" binary (apt-get install etcd-server); under CI=true they run and fail instead`
    : undefined;
if (etcdSkip) console.warn(etcdSkip);

/** Distinct free loopback ports (listen on 0, read, close). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = createServer();
      s.listen(0, "127.0.0.1");
      await once(s, "listening");
      return s;
    }),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface EtcdOptions {
  /** 1 (default) or 3. */
  members?: 1 | 3;
  /** --max-txn-ops (default SERVICE_ETCD_LIMITS.maxTxnOps). */
  maxTxnOps?: number;
  /** --max-request-bytes (default SERVICE_ETCD_LIMITS.maxRequestBytes). */
  maxRequestBytes?: number;
  /** More flags for every member, e.g. ["--auto-compaction-mode=revision", "--auto-compaction-retention=10"]. */
  extraArgs?: string[];
  /** How long start() waits for a healthy cluster. */
  startTimeoutMs?: number;
  /** Serve clients over TLS (https:// endpoints); with clientCertAuth, only certificates the CA issued get in. */
  tls?: EtcdServerTls;
}

/** PEM files for the members' client port. */
export interface EtcdServerTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCertAuth: boolean;
  /** A client certificate and key for the harness's own health checks (needed with clientCertAuth). */
  client?: { certFile: string; keyFile: string };
}

const running = new Set<ChildProcess>();
// A test process that dies must not leave etcd members behind.
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export class EtcdMember {
  private proc: ChildProcess | undefined;
  private exited: Promise<unknown> | undefined;
  /** Set once the member's data dir holds a cluster (restarts join it again). */
  private started = false;

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly args: readonly string[],
    private readonly tls?: EtcdServerTls,
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Starts the process (again, on its data, after a kill or stop). */
  start(): void {
    if (this.proc) throw new Error(`etcd member ${this.name} is already running`);
    const log = createWriteStream(this.logFile, { flags: "a" });
    const proc = spawn(ETCD_BIN, [...this.args], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    proc.on("error", (err) => log.write(`spawn error: ${err.message}\n`));
    running.add(proc);
    this.proc = proc;
    this.exited = once(proc, "exit").catch(() => undefined);
    void this.exited.then(() => {
      running.delete(proc);
      if (this.proc === proc) this.proc = undefined;
    });
    this.started = true;
  }

  get hasStarted(): boolean {
    return this.started;
  }

  /** kill -9 and wait for the exit. */
  async kill9(): Promise<void> {
    await this.signalAndWait("SIGKILL");
  }

  /** Clean shutdown (SIGTERM), then -9 if it lingers. */
  async stop(): Promise<void> {
    if (!this.proc) return;
    this.proc.kill("SIGCONT");
    const exited = this.exited;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc?.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Freezes the member (SIGSTOP): its sockets stay open and say nothing, as a partitioned or hung machine.
   * Resolves once every thread of it has stopped: kill() only queues the signal, and a thread running on the
   * other core can still answer a request meanwhile (a /health probe right after it once did, under load).
   */
  async pause(): Promise<void> {
    const pid = this.proc?.pid;
    if (pid === undefined) return;
    this.proc?.kill("SIGSTOP");
    const deadline = Date.now() + 5_000;
    while (!allThreadsStopped(pid)) {
      if (Date.now() > deadline) throw new Error(`etcd member ${this.name} had threads running 5 s after SIGSTOP`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Thaws a paused member (SIGCONT). */
  resume(): void {
    this.proc?.kill("SIGCONT");
  }

  /** GET /health answers {"health":"true"} (a leader is known and the member serves). */
  async healthy(): Promise<boolean> {
    try {
      const text = this.tls ? await this.getOverTls("/health") : await (await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) })).text();
      return (JSON.parse(text) as { health?: string }).health === "true";
    } catch {
      return false;
    }
  }

  private getOverTls(path: string): Promise<string> {
    const tls = this.tls as EtcdServerTls;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${this.clientUrl}${path}`,
        {
          ca: readFileSync(tls.caFile),
          ...(tls.client ? { cert: readFileSync(tls.client.certFile), key: readFileSync(tls.client.keyFile) } : {}),
          timeout: 1_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks).toString()));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end();
    });
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    if (!this.proc) return;
    const exited = this.exited;
    this.proc.kill(signal);
    await exited;
  }
}

export class EtcdCluster {
  constructor(
    readonly dir: string,
    readonly members: readonly EtcdMember[],
    readonly limits: { maxTxnOps: number; maxRequestBytes: number },
  ) {}

  /** Client URLs of every member, for KMS_ETCD_ENDPOINTS. */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  member(i: number): EtcdMember {
    const m = this.members[i];
    if (!m) throw new Error(`no etcd member ${i}`);
    return m;
  }

  async kill9(i: number): Promise<void> {
    await this.member(i).kill9();
  }

  pause(i: number): Promise<void> {
    return this.member(i).pause();
  }

  resume(i: number): void {
    this.member(i).resume();
  }

  /** Starts a stopped or killed member on its data and waits until the cluster is healthy again. */
  async restart(i: number, timeoutMs = 30_000): Promise<void> {
    const m = this.member(i);
    if (m.running) await m.stop();
    m.start();
    await this.waitHealthy(timeoutMs);
  }

  /** Waits until every running member answers healthy. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.members.filter((m) => m.running);
      if (live.length === 0) throw new Error(`no etcd member is running (logs under ${this.dir})\n${this.members[0]?.logTail() ?? ""}`);
      const states = await Promise.all(live.map((m) => m.healthy()));
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) {
        const bad = live.filter((_, i) => !states[i]);
        throw new Error(`etcd not healthy after ${timeoutMs} ms: ${bad.map((m) => `${m.name}:\n${m.logTail()}`).join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops every member and removes the data. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill9()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdCluster> {
  if (etcdFound === undefined) throw new Error(`etcd binary "${ETCD_BIN}" not found or not runnable: apt-get install etcd-server (or set ETCD_BIN)`);
  const n = options.members ?? 1;
  const limits = {
    maxTxnOps: options.maxTxnOps ?? SERVICE_ETCD_LIMITS.maxTxnOps,
    maxRequestBytes: options.maxRequestBytes ?? SERVICE_ETCD_LIMITS.maxRequestBytes,
  };
  const dir = await mkdtemp(join(tmpdir(), "kms-etcd-"));
  const ports = await freePorts(2 * n);
  const names = Array.from({ length: n }, (_, i) => `m${i}`);
  const peerUrls = names.map((_, i) => `http://127.0.0.1:${ports[2 * i + 1]}`);
  const initialCluster = names.map((name, i) => `${name}=${peerUrls[i]}`).join(",");
  const tls = options.tls;
  const tlsArgs = tls
    ? [`--trusted-ca-file=${tls.caFile}`, `--cert-file=${tls.certFile}`, `--key-file=${tls.keyFile}`, ...(tls.clientCertAuth ? ["--client-cert-auth"] : [])]
    : [];
  const members = names.map((name, i) => {
    const clientUrl = `${tls ? "https" : "http"}://127.0.0.1:${ports[2 * i]}`;
    const peerUrl = peerUrls[i] as string;
    const dataDir = join(dir, name);
    const args = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      "--initial-cluster-state=new",
      `--initial-cluster-token=${dir}`,
      `--max-txn-ops=${limits.maxTxnOps}`,
      `--max-request-bytes=${limits.maxRequestBytes}`,
      "--logger=zap",
      "--log-level=warn",
      ...tlsArgs,
      ...(options.extraArgs ?? []),
    ];
    return new EtcdMember(name, clientUrl, peerUrl, dataDir, join(dir, `${name}.log`), args, tls);
  });
  const cluster = new EtcdCluster(dir, members, limits);
  try {
    for (const m of members) m.start();
    await cluster.waitHealthy(options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}

/** Whether every thread of a process is in the stopped state ("T" in /proc/<pid>/task/<tid>/stat). */
function allThreadsStopped(pid: number): boolean {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    if (state !== "T" && state !== "t") return false;
  }
  return true;
}
