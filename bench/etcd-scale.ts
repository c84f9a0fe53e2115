/**
 * Figures for docs/scaling.md, on a private etcd (1 member, loopback):
 *
 * - watch fan-out: one writer commits 1-op batches (a 700-byte record, about
 *   a key record) with 32 in flight while N replicas' store watches follow
 *   `v1/` (each its own client, as each replica has): committed writes per
 *   second, delivery delay from commit to each watcher (p50/p99), and etcd's
 *   CPU per write, for N = 1, 4, 16, 64;
 * - keys held: CreateKey-shaped writes (key record, version record, alias,
 *   audit block) for K keys, then etcd's database size (after compaction and
 *   defragmentation) and the bytes each key costs.
 *
 *   npx tsx bench/etcd-scale.ts     (ETCD_SCALE_SECONDS=3, ETCD_SCALE_KEYS=20000)
 */
import { randomBytes } from "node:crypto";
import { Etcd3 } from "etcd3";
import { cpuSeconds } from "./processes.js";
import { openEtcdStore } from "../src/store/etcd-store.js";
import type { KvStore, Revision } from "../src/store/store.js";
import { startEtcd, type EtcdCluster } from "../test/helpers/etcd.js";

const SECONDS = Number(process.env.ETCD_SCALE_SECONDS ?? 3);
const KEYS = Number(process.env.ETCD_SCALE_KEYS ?? 20_000);
const RECORD = randomBytes(350).toString("hex");

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

async function fanout(cluster: EtcdCluster, watchers: number): Promise<{ watchers: number; writesPerS: number; p50Ms: number; p99Ms: number; etcdCpuUsPerWrite: number; etcdCores: number }> {
  const endpoints = cluster.endpoints;
  const prefix = `fan-${watchers}-${randomBytes(3).toString("hex")}/`;
  const writer = await openEtcdStore({ endpoints, prefix, maxTxnOps: cluster.limits.maxTxnOps, maxRequestBytes: cluster.limits.maxRequestBytes });
  const readers: KvStore[] = [];
  const committedAt = new Map<Revision, number>();
  const delays: number[] = [];
  const unwatch: (() => Promise<void>)[] = [];
  for (let i = 0; i < watchers; i++) {
    const s = await openEtcdStore({ endpoints, prefix });
    readers.push(s);
    unwatch.push(
      await s.watch("v1/", (e) => {
        if (e.type !== "commit") return;
        const t = committedAt.get(e.revision);
        if (t !== undefined) delays.push(performance.now() - t);
      }),
    );
  }
  const pid = cluster.member(0).pid ?? 0;
  let n = 0;
  let running = true;
  const before = cpuSeconds(pid);
  const started = performance.now();
  const loop = async () => {
    while (running) {
      const sent = performance.now();
      const r = await writer.batch([{ type: "put", key: `v1/keys/k${n++ % 10_000}`, value: Buffer.from(RECORD) }]);
      // The commit's time is taken when it is sent: the delay below is an upper bound of commit → delivery.
      committedAt.set(r, sent);
    }
  };
  const loops = Array.from({ length: 32 }, loop);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  running = false;
  await Promise.all(loops);
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - before;
  await new Promise((r) => setTimeout(r, 300));
  for (const u of unwatch) await u();
  for (const s of readers) await s.close();
  await writer.close();
  delays.sort((a, b) => a - b);
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
