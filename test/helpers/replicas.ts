/**
 * Replicas of the real server (startKms, listeners included) sharing one
 * private etcd: same root key, same root credentials, same KMS_ETCD_PREFIX,
 * each its own data directory and KMS_REPLICA_ID, as an operator runs them.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import type { EtcdCluster } from "./etcd.js";
import { newDataDir, startTestServer, type TestServer } from "./server.js";
import type { ManualClock } from "../../src/clock.js";
import type { Logger } from "../../src/log.js";

export interface ReplicaSetOptions {
  /** How many replicas (default 2). */
  replicas?: number;
  /** More environment for every replica. */
  env?: Record<string, string>;
  clock?: ManualClock;
  log?: Logger;
}

export interface ReplicaSet {
  replicas: TestServer[];
  /** The environment every replica shares (KMS_STORE, KMS_ETCD_*, root credentials). */
  env: Record<string, string>;
  /** Starts one more replica (or one stopped before) with this id. */
  start(id: string, more?: Record<string, string>): Promise<TestServer>;
  stop(): Promise<void>;
}

export function etcdEnv(cluster: EtcdCluster, prefix: string): Record<string, string> {
  return {
    KMS_STORE: "etcd",
    KMS_ETCD_ENDPOINTS: cluster.endpoints.join(","),
    KMS_ETCD_PREFIX: prefix,
    KMS_ETCD_MAX_TXN_OPS: String(cluster.limits.maxTxnOps),
    KMS_ETCD_MAX_REQUEST_BYTES: String(cluster.limits.maxRequestBytes),
  };
}

export async function startReplicaSet(cluster: EtcdCluster, options: ReplicaSetOptions = {}): Promise<ReplicaSet> {
  const alnum = (n: number) => randomBytes(n * 2).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, n);
  const env: Record<string, string> = {
    ...etcdEnv(cluster, `kms-test-${alnum(8)}/`),
    KMS_ROOT_KEY: randomBytes(32).toString("base64"),
    KMS_ROOT_TOKEN: `root-${alnum(40)}`,
    KMS_ROOT_SECRET_ID: `AKID${alnum(32)}`,
    KMS_ROOT_SECRET_KEY: alnum(32),
    ...options.env,
  };
  const dirs: string[] = [];
  const started: TestServer[] = [];
  const start = async (id: string, more: Record<string, string> = {}) => {
    const dataDir = await newDataDir();
    dirs.push(dataDir);
    const s = await startTestServer({ dataDir, rootKey: env.KMS_ROOT_KEY, env: { ...env, KMS_REPLICA_ID: id, ...more }, ...(options.clock ? { clock: options.clock } : {}), ...(options.log ? { log: options.log } : {}) });
    started.push(s);
    return s;
  };
  const replicas: TestServer[] = [];
  // One after the other: the first creates the keyring, the audit key and the root credentials.
  for (let i = 0; i < (options.replicas ?? 2); i++) replicas.push(await start(`r${i}`));
  return {
    replicas,
    env,
    start,
    async stop() {
      for (const s of started) await s.stop().catch(() => undefined);
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}
