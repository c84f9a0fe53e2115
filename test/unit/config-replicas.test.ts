/** KMS_REPLICA_*, KMS_WORKERS and KMS_LEADER_TTL_S: parsed with KMS_STORE=etcd, refused (not ignored) with LevelDB. */
import { availableParallelism, hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const ETCD = { KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://127.0.0.1:2379" };

describe("replica settings", () => {
  it("default on etcd: the host name, one process, a 1 s bound probed every 200 ms, a 5 s lease", () => {
    const r = loadConfig(ETCD).replica;
    expect(r).toEqual({ id: hostname().replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64) || "replica", workers: 1, staleMs: 1000, probeMs: 200, leaderTtlS: 5, witnessMs: 10_000 });
  });

  it("reads every setting, and KMS_WORKERS=auto is one per core", () => {
    const r = loadConfig({ ...ETCD, KMS_REPLICA_ID: "eu-1.a_b", KMS_WORKERS: "auto", KMS_REPLICA_STALE_MS: "2000", KMS_REPLICA_PROBE_MS: "250", KMS_LEADER_TTL_S: "3", KMS_REPLICA_WITNESS_MS: "500" }).replica;
    expect(r).toEqual({ id: "eu-1.a_b", workers: availableParallelism(), staleMs: 2000, probeMs: 250, leaderTtlS: 3, witnessMs: 500 });
  });

  it("refuses replica settings with LevelDB, naming them", () => {
    expect(() => loadConfig({ KMS_REPLICA_ID: "a" })).toThrow(new ConfigError("KMS_REPLICA_ID set but KMS_STORE is level: replicas share an etcd store (KMS_STORE=etcd)"));
    expect(() => loadConfig({ KMS_WORKERS: "2" })).toThrow(/KMS_WORKERS needs KMS_STORE=etcd/);
    expect(() => loadConfig({ KMS_WORKERS: "auto" })).toThrow(/KMS_WORKERS needs KMS_STORE=etcd/);
    expect(loadConfig({ KMS_WORKERS: "1" }).replica.workers).toBe(1);
  });

  it("refuses malformed values", () => {
    expect(() => loadConfig({ ...ETCD, KMS_REPLICA_ID: "-starts-with-dash" })).toThrow(/KMS_REPLICA_ID must be 1 to 64/);
    expect(() => loadConfig({ ...ETCD, KMS_REPLICA_ID: "has/slash" })).toThrow(/KMS_REPLICA_ID must be 1 to 64/);
    expect(() => loadConfig({ ...ETCD, KMS_REPLICA_ID: "x".repeat(65) })).toThrow(/KMS_REPLICA_ID must be 1 to 64/);
    expect(() => loadConfig({ ...ETCD, KMS_WORKERS: "0" })).toThrow(/KMS_WORKERS must be an integer in \[1, 256\]/);
    expect(() => loadConfig({ ...ETCD, KMS_REPLICA_STALE_MS: "50" })).toThrow(/KMS_REPLICA_STALE_MS must be an integer in \[100, 60000\]/);
    expect(() => loadConfig({ ...ETCD, KMS_REPLICA_STALE_MS: "1000", KMS_REPLICA_PROBE_MS: "600" })).toThrow(/must be at most half of KMS_REPLICA_STALE_MS/);
    expect(() => loadConfig({ ...ETCD, KMS_LEADER_TTL_S: "1" })).toThrow(/KMS_LEADER_TTL_S must be an integer in \[2, 600\]/);
  });
});
