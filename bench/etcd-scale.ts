/**
 * Figures for docs/scaling.md, on a private etcd (1 member, loopback):
 *
 * - watch fan-out: one writer commits 1-op batches (a 700-byte record, about
 *   a key record) at ETCD_SCALE_RATE per second (200) while N replicas' store
 *   watches follow `v1/` (each its own client, as each replica has; spread
 *   over 4 processes): delivery delay from the write's send to each watcher
 *   (p50/p99), and etcd's CPU per write, for N = 1, 4, 16, 64;
 * - keys held: CreateKey-shaped writes (key record, version record, alias,
 *   audit block) for K keys, then etcd's database size (after compaction and
 *   defragmentation) and the bytes each key costs.
 *
 *   npx tsx bench/etcd-scale.ts     (ETCD_SCALE_SECONDS=3, ETCD_SCALE_KEYS=20000)
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Etcd3 } from "etcd3";
import { cpuSeconds } from "./processes.js";
import { openEtcdStore } from "../src/store/etcd-store.js";
import type { KvStore, Revision } from "../src/store/store.js";
import { startEtcd, type EtcdCluster } from "../test/helpers/etcd.js";

const SECONDS = Number(process.env.ETCD_SCALE_SECONDS ?? 3);
const KEYS = Number(process.env.ETCD_SCALE_KEYS ?? 20_000);
const RECORD = randomBytes(350).toString("hex");
/** Writes per second during the fan-out runs (ETCD_SCALE_RATE). */
const RATE = Number(process.env.ETCD_SCALE_RATE ?? 200);
/** Processes the watchers are spread over. */
const CHILDREN = 4;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
const wallMs = () => performance.timeOrigin + performance.now();

/**
 * A child process holding `count` watchers (each its own client, as each
 * replica has) on `prefix`; prints the commit → delivery delays it saw as one
 * JSON line when its stdin closes.
 */
async function watcherChild(endpoints: string[], prefix: string, count: number): Promise<void> {
  const delays: number[] = [];
  const stores: KvStore[] = [];
  for (let i = 0; i < count; i++) {
    const s = await openEtcdStore({ endpoints, prefix });
    stores.push(s);
    await s.watch("v1/", (e) => {
      if (e.type !== "commit") return;
      const now = wallMs();
      for (const op of e.changes) if (op.type === "put") delays.push(now - Number(Buffer.from(op.value.subarray(0, 20)).toString().trim()));
    });
  }
  process.stdout.write("ready\n");
  process.stdin.resume();
  await new Promise((r) => process.stdin.once("end", r));
  for (const s of stores) await s.close();
  process.stdout.write(`${JSON.stringify(delays)}\n`);
}

async function fanout(cluster: EtcdCluster, watchers: number): Promise<{ watchers: number; writesPerS: number; p50Ms: number; p99Ms: number; etcdCpuUsPerWrite: number; etcdCores: number }> {
  const endpoints = cluster.endpoints;
  const prefix = `fan-${watchers}-${randomBytes(3).toString("hex")}/`;
  const writer = await openEtcdStore({ endpoints, prefix, maxTxnOps: cluster.limits.maxTxnOps, maxRequestBytes: cluster.limits.maxRequestBytes });
  const procs = Math.min(CHILDREN, watchers);
  const children = Array.from({ length: procs }, (_, i) => {
    const count = Math.floor(watchers / procs) + (i < watchers % procs ? 1 : 0);
    const child = spawn(process.execPath, ["--import", "tsx", "bench/etcd-scale.ts", "--watchers", endpoints.join(","), prefix, String(count)], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const ready = new Promise<void>((resolve) => {
      const check = () => (out.includes("ready") ? resolve() : setTimeout(check, 20));
      check();
    });
    const done = new Promise<number[]>((resolve) => child.on("exit", () => resolve(JSON.parse(out.split("\n").filter(Boolean).at(-1) ?? "[]") as number[])));
    return { child, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  const pid = cluster.member(0).pid ?? 0;
  const before = cpuSeconds(pid);
  const started = performance.now();
  let n = 0;
  // Paced, not flat out: the delay then shows what fan-out costs, not a saturated disk's queue.
  const interval = 1000 / RATE;
  const pending: Promise<unknown>[] = [];
  while (performance.now() - started < SECONDS * 1000) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const stamp = String(wallMs()).padEnd(20, " ");
    pending.push(writer.batch([{ type: "put", key: `v1/keys/k${n++ % 10_000}`, value: Buffer.from(stamp + RECORD.slice(20)) }]));
  }
  await Promise.all(pending);
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - before;
  await new Promise((r) => setTimeout(r, 500));
  for (const c of children) c.child.stdin?.end();
  const delays = (await Promise.all(children.map((c) => c.done))).flat().sort((a, b) => a - b);
  await writer.close();
  return { watchers, writesPerS: n / wall, p50Ms: percentile(delays, 0.5), p99Ms: percentile(delays, 0.99), etcdCpuUsPerWrite: (cpu / n) * 1e6, etcdCores: cpu / wall };
}

async function capacity(cluster: EtcdCluster): Promise<{ keys: number; logicalBytesPerKey: number; dbBytesPerKey: number; dbBytes: number }> {
  const prefix = "cap/";
  const store = await openEtcdStore({ endpoints: cluster.endpoints, prefix, maxTxnOps: cluster.limits.maxTxnOps, maxRequestBytes: cluster.limits.maxRequestBytes });
  const client = new Etcd3({ hosts: cluster.endpoints });
  const before = Number((await client.maintenance.status()).dbSize);
  const keyRecord = Buffer.from(JSON.stringify({ f: 1, keyId: "00000000-0000-0000-0000-000000000000", alias: "alias-00000000", description: "", createTime: Date.now(), keyState: "Enabled", keyUsage: "ENCRYPT_DECRYPT", keyType: 2, algorithm: "AES_256_GCM", origin: "TENCENT_KMS", creatorUin: "100000000001", owner: "user", tags: [], rotation: { enabled: false, rotateDays: 0 }, versions: [{ version: 1, state: "Enabled", createTime: Date.now() }], versionsIssued: 1 }));
  const versionRecord = Buffer.from(JSON.stringify({ f: 1, keyId: "00000000-0000-0000-0000-000000000000", version: 1, algorithm: "AES_256_GCM", createTime: Date.now(), sealedMaterial: randomBytes(80).toString("base64") }));
  const auditLine = Buffer.from(`{"seq":1,"time":${Date.now()},"principalUin":"100000000001","principalName":"root","credential":"kmst0000000000000000","source":"127.0.0.1","transport":"grpc","action":"kms:CreateKey","keyIds":["00000000-0000-0000-0000-000000000000"],"result":"Success","requestId":"${randomBytes(16).toString("hex")}","latencyMs":1.234,"mac":"${randomBytes(32).toString("hex")}"}`);
  let logical = 0;
  for (let i = 0; i < KEYS; i += 100) {
    const ops = [];
    for (let j = i; j < Math.min(KEYS, i + 100); j++) {
      const id = `${String(j).padStart(8, "0")}-0000-0000-0000-000000000000`;
      const kv: [string, Buffer][] = [
        [`v1/keys/${id}`, keyRecord],
        [`v1/versions/${id}/0000000001`, versionRecord],
        [`v1/aliases/alias-${j}`, Buffer.from(id)],
        [`v1-audit/r0/events/${String(j + 1).padStart(16, "0")}`, auditLine],
      ];
      for (const [k, v] of kv) {
        logical += Buffer.byteLength(k) + v.length;
        ops.push({ type: "put" as const, key: k, value: v });
      }
    }
    await store.batch(ops);
  }
  const rev = await store.revision();
  await client.kv.compact({ revision: rev.toString(), physical: true });
  await client.maintenance.defragment();
  const after = Number((await client.maintenance.status()).dbSize);
  client.close();
  await store.close();
  return { keys: KEYS, logicalBytesPerKey: logical / KEYS, dbBytesPerKey: (after - before) / KEYS, dbBytes: after };
}

if (process.argv[2] === "--watchers") {
  await watcherChild((process.argv[3] ?? "").split(","), process.argv[4] ?? "", Number(process.argv[5]));
  process.exit(0);
}

const cluster = await startEtcd({ members: 1 });
try {
  const rows = [];
  for (const n of [1, 4, 16, 64]) {
    const r = await fanout(cluster, n);
    rows.push(r);
    console.log(`watchers ${String(n).padStart(3)}: ${r.writesPerS.toFixed(0)} writes/s, delivery p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms, etcd ${r.etcdCpuUsPerWrite.toFixed(0)} µs CPU/write (${r.etcdCores.toFixed(2)} cores)`);
  }
  const cap = await capacity(cluster);
  console.log(`keys held: ${cap.keys} keys, ${cap.logicalBytesPerKey.toFixed(0)} B/key of keys and values, ${cap.dbBytesPerKey.toFixed(0)} B/key in etcd's database after compaction and defrag (db ${(cap.dbBytes / 1048576).toFixed(1)} MiB)`);
  console.log(JSON.stringify({ fanout: rows, capacity: cap }));
} finally {
  await cluster.stop();
}
