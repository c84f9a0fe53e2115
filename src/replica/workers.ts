/**
 * Every core serving (KMS_WORKERS, etcd only): `npm start` runs a primary
 * that forks one worker process per slot on the same ports (node:cluster:
 * the primary accepts connections and hands them to the workers in turn).
 * Each worker is a full replica: its own store connection, caches, audit
 * chain (replica id "<KMS_REPLICA_ID>-<slot>", stable across restarts of the
 * slot) and vote in the leader election. The primary opens nothing itself.
 *
 * The first worker starts alone (on a fresh store it creates the keyring,
 * the audit key and the root credentials), the others after it. A worker that
 * dies is started again; SIGTERM/SIGINT drain every worker, then exit 0.
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import type { Config, ListenAddress } from "../config.js";
import type { Logger } from "../log.js";

/** What a worker tells the primary once it listens. */
export interface WorkerReady {
  type: "kms-ready";
  grpc: ListenAddress;
  http: ListenAddress;
  keys: number;
}

/** Restarts of one slot within a minute before the primary gives up on it. */
const MAX_RESTARTS_PER_MINUTE = 5;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Tells the primary this worker is serving. */
export function reportReady(ready: Omit<WorkerReady, "type">): void {
  process.send?.({ type: "kms-ready", ...ready } satisfies WorkerReady);
}

/** Runs the primary: forks `config.replica.workers` workers of this script and keeps them running until SIGTERM. */
export async function runPrimary(config: Config, log: Logger): Promise<void> {
  const slots = config.replica.workers;
  const threads = process.env.KMS_ASYMMETRIC_WORKERS || String(Math.max(1, Math.floor(availableParallelism() / slots)));
  const bySlot = new Map<number, Worker>();
  const restarts = new Map<number, number[]>();
  let stopping = false;

  const fork = (slot: number): Promise<WorkerReady> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ KMS_WORKERS: "1", KMS_REPLICA_ID: `${config.replica.id}-${slot}`, KMS_ASYMMETRIC_WORKERS: threads });
      bySlot.set(slot, worker);
      let ready = false;
      worker.on("message", (m: Partial<WorkerReady>) => {
        if (m?.type !== "kms-ready" || ready) return;
        ready = true;
        resolve(m as WorkerReady);
      });
      worker.on("exit", (code, signal) => {
        if (bySlot.get(slot) === worker) bySlot.delete(slot);
        if (!ready) return reject(new Error(`worker ${slot} exited (${signal ?? code}) before it listened`));
        if (stopping) return;
        const recent = (restarts.get(slot) ?? []).filter((t) => Date.now() - t < 60_000);
        recent.push(Date.now());
        restarts.set(slot, recent);
        if (recent.length > MAX_RESTARTS_PER_MINUTE) {
          log.error(`kms: worker ${slot} died ${recent.length} times within a minute; not starting it again`);
          return;
        }
        log.warn(`kms: worker ${slot} exited (${signal ?? code}); starting it again`);
        fork(slot).catch((err: unknown) => log.error(`kms: worker ${slot} did not start again`, err));
      });
    });

  const first = await fork(0);
  await Promise.all(Array.from({ length: slots - 1 }, (_, i) => fork(i + 1)));
  log.info(`kms: gRPC, gRPC-Web and Connect (h2c) listening on ${first.grpc.host}:${first.grpc.port}`);
  log.info(`kms: Connect (HTTP/1.1) listening on ${first.http.host}:${first.http.port}`);
  log.info(`kms: ${slots} workers (replicas ${config.replica.id}-0..${slots - 1}) on etcd, ${first.keys} key(s), new keys ${config.defaultKeyType}`);

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`kms: ${signal} received, draining ${bySlot.size} worker(s)`);
    const exits = [...bySlot.values()].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once("exit", () => r()))));
    for (const w of bySlot.values()) w.process.kill("SIGTERM");
    void Promise.all(exits).then(() => {
      log.info("kms: stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
