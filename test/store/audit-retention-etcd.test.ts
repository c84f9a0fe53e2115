/**
 * Audit retention over a real etcd with a small --max-txn-ops: every
 * replica's chain is archived by one leader in segments whose deletes fit
 * one transaction each, and the deployment (witnesses included) verifies
 * through the archive; without it, archive-missing.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSegments } from "../../src/audit/archive.js";
import { verifyDeployment } from "../../src/audit/deployment.js";
import { AuditLog, loadAuditKey, type AuditEvent } from "../../src/audit/index.js";
import { loadConfig } from "../../src/config.js";
import { createRootKey } from "../../src/crypto/seal.js";
import { openStore } from "../../src/store/open.js";
import type { KvStore } from "../../src/store/store.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";

const event = (i: number): AuditEvent => ({ time: 1_800_000_000_000 + i, principalUin: "100", principalName: "alice", credential: "AKID", source: "10.0.0.1", transport: "grpc", action: "kms:Encrypt", keyIds: [`key-${i}`], result: "Success", requestId: `req-${i}`, latencyMs: 1 });

describe.skipIf(etcdSkip !== undefined)("audit retention over etcd", () => {
  let cluster: EtcdCluster;
  let base: string;
  let store: KvStore;

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1, maxTxnOps: 16 });
    base = await mkdtemp(join(tmpdir(), "kms-retention-etcd-"));
    const config = loadConfig({
      KMS_DATA_DIR: join(base, "data"),
      KMS_STORE: "etcd",
      KMS_ETCD_ENDPOINTS: cluster.endpoints.join(","),
      KMS_ETCD_PREFIX: "retention-test/",
      KMS_ETCD_MAX_TXN_OPS: "16",
    });
    store = await openStore(config);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("archives each replica's chain in transactions etcd accepts, and the deployment verifies through the archive", async () => {
    const root = createRootKey(randomBytes(32));
    const archive = join(base, "archive");
    const policy = { dir: archive, maxEvents: 5, maxAgeMs: undefined };
    const a = await AuditLog.open(store, root, { chain: "a", witnessMs: 3_600_000, retention: policy });
    const b = await AuditLog.open(store, root, { chain: "b", witnessMs: 3_600_000, retention: policy });
    try {
      // The witness each log writes as it opens, stored first: then every event below is a block of its own.
      await a.witness();
      await b.witness();
      for (let i = 0; i < 40; i++) await (i % 2 === 0 ? a : b).append(event(i));
      await a.witness();
      await b.witness();
      await a.flush();
      await b.flush();
      const done = await a.archive(Date.now());
      expect(new Set(done.map((d) => d.chain))).toEqual(new Set(["a", "b"]));
      // 16 ops: the base, its guard and at most 14 deleted blocks (events appended one by one: one block each).
      for (const d of done) expect(d.last - d.first + 1).toBeLessThanOrEqual(14);
      expect((await listSegments(archive, "a")).length).toBeGreaterThanOrEqual(2);
      const key = await loadAuditKey(store, root);
      const report = await verifyDeployment(store, key, { archive });
      expect(report.ok).toBe(true);
      for (const c of report.chains) expect(c).toMatchObject({ ok: true, checked: c.headSeq, base: { seq: c.headSeq - 5 } });
      expect((await a.verify()).ok).toBe(true);
      expect((await verifyDeployment(store, key)).failure).toMatchObject({ reason: "archive-missing" });
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
