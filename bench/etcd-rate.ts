/**
 * Store write rates through the storage port: etcd with one member and with
 * three (private clusters on loopback, data on this machine's disk, started
 * by the test harness), and the embedded LevelDB beside them for scale.
 *
 *   npm run bench:etcd                 (ETCD_BENCH_SECONDS=3 per measurement)
 *
 * Each figure is committed batches per second with N batches in flight:
 * single-op batches (one 256-byte put) and 100-op batches (100 puts of
 * 256 bytes), every one acknowledged only once durable (etcd: committed to a
 * quorum's raft log, each member fsyncing its WAL; LevelDB: sync: true).
 * Prints a table and one JSON line.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEtcdStore } from "../src/store/etcd-store.js";
import { openLevelStore } from "../src/store/level-store.js";
import type { BatchOp, KvStore } from "../src/store/store.js";
import { SERVICE_ETCD_LIMITS, startEtcd } from "../test/helpers/etcd.js";

const SECONDS = Number(process.env.ETCD_BENCH_SECONDS ?? 3);
const VALUE = randomBytes(256);
/** Keys cycle over this many slots so the store stays small. */
const SLOTS = 10_000;

interface Case {
  ops: number;
  inFlight: number;
}

const CASES: Case[] = [
  { ops: 1, inFlight: 1 },
  { ops: 1, inFlight: 32 },
  { ops: 100, inFlight: 1 },
  { ops: 100, inFlight: 8 },
];

/** Batches per second, with `inFlight` writers each awaiting its own batch, after a 0.5 s warm-up. */
async function rate(store: KvStore, c: Case, seconds: number): Promise<number> {
  let seq = 0;
  const batch = (): BatchOp[] => {
    const base = seq++ * c.ops;
    return Array.from({ length: c.ops }, (_, i) => ({ type: "put" as const, key: `bench/${String((base + i) % SLOTS).padStart(6, "0")}`, value: VALUE }));
  };
  const run = async (ms: number) => {
    let done = 0;
    const end = performance.now() + ms;
    const writer = async () => {
      while (performance.now() < end) {
        await store.batch(batch());
        done++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: c.inFlight }, writer));
    return done / ((performance.now() - start) / 1000);
  };
  await run(500);
  return run(seconds * 1000);
}

async function measure(label: string, store: KvStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of CASES) {
    const r = await rate(store, c, SECONDS);
    out[`${c.ops}op_x${c.inFlight}`] = Math.round(r);
    console.error(`${label.padEnd(16)} ${String(c.ops).padStart(3)}-op batches, ${String(c.inFlight).padStart(2)} in flight: ${Math.round(r).toLocaleString("en-US").padStart(7)} batches/s (${Math.round(r * c.ops).toLocaleString("en-US")} puts/s)`);
  }
  return out;
}

async function onEtcd(members: 1 | 3): Promise<Record<string, number>> {
  const cluster = await startEtcd({ members });
  try {
    const store = await openEtcdStore({ endpoints: cluster.endpoints, prefix: "bench/", maxTxnOps: SERVICE_ETCD_LIMITS.maxTxnOps, maxRequestBytes: SERVICE_ETCD_LIMITS.maxRequestBytes });
    try {
      return await measure(`etcd, ${members} member${members > 1 ? "s" : ""}`, store);
    } finally {
      await store.close();
    }
  } finally {
    await cluster.stop();
  }
}

async function onLevel(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "kms-bench-level-"));
  const store = await openLevelStore(dir, { sync: true });
  try {
    return await measure("LevelDB, synced", store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const results = {
  date: new Date().toISOString(),
  seconds: SECONDS,
  valueBytes: VALUE.length,
  etcd1: await onEtcd(1),
  etcd3: await onEtcd(3),
  level: await onLevel(),
};
console.log(JSON.stringify(results));
