/**
 * Every core serving: gRPC Encrypt 32 B against the KMS on a private
 * 1-member etcd (KMS_STORE=etcd), as `npm start` runs it with KMS_WORKERS=1
 * and then KMS_WORKERS=2 (node:cluster, one port), in the same run: requests
 * per second, and the CPU the server's processes (primary and workers) and
 * etcd spend per call. `npm run bench` runs it after the other scenarios;
 * alone: `npx tsx bench/replicas.ts` (BENCH_SHORT=1 for a short run).
 *
 * The load generator (h2load, one thread) and etcd share the machine's cores
 * with the server: on 2 cores, two workers cannot both have a core of their
 * own, so the figure to read is the CPU the server uses (cores) and whether
 * throughput rises with it, not a doubling.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { toBinary, create } from "@bufbuild/protobuf";
import { EncryptRequestSchema, KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { startEtcd } from "../test/helpers/etcd.js";
import { loadBenchConfig, type BenchConfig } from "./config.js";
import { h2load, type LoadResult, type Shape } from "./load.js";
import { cpuSeconds, newCredentials, startKms, type Credentials } from "./processes.js";
import { GRPC_HEADERS, grpcFrame } from "./wire.js";
import { invokedDirectly } from "../src/cli/invoked.js";

export interface ReplicaRow {
  /** KMS_WORKERS. */
  processes: number;
  load: LoadResult;
  /** CPU seconds of the server's processes (primary + workers) and of etcd over the measured run. */
  serverCpuS: number;
  etcdCpuS: number;
  /** serverCpuS / wall seconds. */
  serverCores: number;
  /** Cores each server process used: the one process, or the primary (it only accepts and hands over connections) then each worker. */
  perProcessCores: number[];
  serverCpuUsPerCall: number;
  etcdCpuUsPerCall: number;
}

export interface ReplicaBench {
  scenario: string;
  concurrency: number;
  connections: number;
  rows: ReplicaRow[];
}

/** Pids of a process and all its descendants (from /proc/<pid>/task/<tid>/children). */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    const tasks = await readdir(`/proc/${p}/task`).catch(() => [] as string[]);
    for (const t of tasks) {
      const children = await readFile(`/proc/${p}/task/${t}/children`, "utf8").catch(() => "");
      for (const c of children.split(" ").filter(Boolean)) out.push(Number(c));
    }
  }
  return out;
}

function treeCpu(pids: readonly number[]): number {
  let s = 0;
  for (const p of pids) {
    try {
      s += cpuSeconds(p);
    } catch {
      // A process gone since the tree was read.
    }
  }
  return s;
}

export async function benchReplicas(cfg: BenchConfig, log: (m: string) => void, credentials: Credentials = newCredentials()): Promise<ReplicaBench> {
  const work = await mkdtemp(join(tmpdir(), "kms-bench-replicas-"));
  const etcd = await startEtcd({ members: 1, extraArgs: ["--auto-compaction-mode=revision", "--auto-compaction-retention=10000"] });
  const shape: Shape = { concurrency: cfg.concurrency, connections: cfg.connections, durationS: cfg.durationS, warmupS: 0 };
  const rows: ReplicaRow[] = [];
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${credentials.token}`);
    return next(req);
  };
  try {
    for (const processes of [1, 2]) {
      log(`replicas: gRPC Encrypt 32 B on etcd, KMS_WORKERS=${processes}`);
      const kms = await startKms({
        dataDir: join(work, `data-${processes}`),
        rootKey: randomBytes(32).toString("base64"),
        credentials,
        rateLimit: 0,
        logFile: join(work, `kms-${processes}.log`),
        env: {
          KMS_STORE: "etcd",
          KMS_ETCD_ENDPOINTS: etcd.endpoints.join(","),
          KMS_ETCD_PREFIX: `bench-${processes}-${randomBytes(4).toString("hex")}/`,
          KMS_ETCD_MAX_TXN_OPS: String(etcd.limits.maxTxnOps),
          KMS_ETCD_MAX_REQUEST_BYTES: String(etcd.limits.maxRequestBytes),
          KMS_WORKERS: String(processes),
          KMS_REPLICA_ID: "bench",
          KMS_RPC_RATE_LIMIT: "0",
        },
      });
      try {
        const origin = `http://127.0.0.1:${kms.ports["h2c"]}`;
        const client = createClient(KeyManagementService, createGrpcTransport({ baseUrl: origin, interceptors: [auth] }));
        const { keyId } = await client.createKey({ alias: `bench-replicas-${processes}` });
        const target = {
          url: `${origin}/kms.v1.KeyManagementService/Encrypt`,
          headers: { ...GRPC_HEADERS, authorization: `Bearer ${credentials.token}` },
          body: grpcFrame(toBinary(EncryptRequestSchema, create(EncryptRequestSchema, { keyId, plaintext: Buffer.alloc(32, 7) }))),
          h1: false,
        };
        // Warm every worker's caches and JIT first (separately, so the CPU below is the measured window's only).
        await h2load(target, { ...shape, durationS: Math.max(0.2, cfg.warmupS) }, join(work, `warm-${processes}`));
        const pids = await processTree(kms.pid);
        const etcdPid = etcd.member(0).pid ?? 0;
        const before = { server: treeCpu(pids), etcd: treeCpu([etcdPid]), each: pids.map((p) => treeCpu([p])) };
        const load = await h2load(target, shape, join(work, `run-${processes}`));
        const serverCpuS = treeCpu(pids) - before.server;
        // Node processes only (the etcd child is not in the tree; worker threads count with their process).
        const perProcessCores = pids.map((p, i) => (treeCpu([p]) - (before.each[i] ?? 0)) / load.wallS).filter((_, i) => i === 0 || processes > 1);
        const etcdCpuS = treeCpu([etcdPid]) - before.etcd;
        const calls = Math.max(1, load.requests);
        rows.push({ processes, load, serverCpuS, etcdCpuS, serverCores: serverCpuS / load.wallS, perProcessCores, serverCpuUsPerCall: (serverCpuS / calls) * 1e6, etcdCpuUsPerCall: (etcdCpuS / calls) * 1e6 });
      } finally {
        await kms.stop();
      }
    }
  } finally {
    await etcd.stop();
    await rm(work, { recursive: true, force: true });
  }
  return { scenario: "gRPC Encrypt 32 B on etcd", concurrency: shape.concurrency, connections: shape.connections, rows };
}

export function printReplicaBench(b: ReplicaBench): string {
  const lines = [`${b.scenario} (c=${b.concurrency} over ${b.connections} connections), KMS_WORKERS=1 and 2 in the same run:`];
  lines.push("processes  req/s      p50 ms  p99 ms  errors  server cores  server µs/call  etcd µs/call  cores per process");
  for (const r of b.rows)
    lines.push(
      `${String(r.processes).padEnd(9)}  ${r.load.rps.toFixed(0).padStart(7)}  ${r.load.p50Ms.toFixed(2).padStart(7)}  ${r.load.p99Ms.toFixed(2).padStart(6)}  ${String(r.load.errors).padStart(6)}  ${r.serverCores.toFixed(2).padStart(12)}  ${r.serverCpuUsPerCall.toFixed(0).padStart(14)}  ${r.etcdCpuUsPerCall.toFixed(0).padStart(12)}  ${r.perProcessCores.map((c) => c.toFixed(2)).join(" + ")}`,
    );
  const [one, two] = b.rows;
  if (one && two) lines.push(`2 processes / 1 process: ${(two.load.rps / one.load.rps).toFixed(2)}× the calls, ${(two.serverCores / one.serverCores).toFixed(2)}× the server's CPU`);
  return lines.join("\n");
}

if (invokedDirectly(import.meta.url)) {
  const cfg = loadBenchConfig();
  const result = await benchReplicas(cfg, (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} bench: ${m}\n`));
  console.log(printReplicaBench(result));
  console.log(JSON.stringify(result));
}
