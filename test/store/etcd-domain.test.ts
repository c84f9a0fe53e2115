/**
 * The domain over etcd, built the way the server builds it: configuration
 * (KMS_STORE=etcd) → openStore → root key check → key repository and audit
 * log → the real key actions, every change journaled with its audit event in
 * one etcd transaction. A second "replica" (its own connection, repository
 * and caches) then reads and decrypts what the first wrote, and the audit
 * chain verifies. Not the full server: app.ts still opens LevelDB itself
 * (the lead wires openStore there).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateKeyRequestSchema,
  DecryptRequestSchema,
  DescribeKeyRequestSchema,
  DisableKeyRequestSchema,
  EnableKeyRequestSchema,
  EncryptRequestSchema,
  KeyState,
  ListKeysRequestSchema,
} from "../../gen/kms/v1/kms_pb.js";
import { loadAuditKey, verifyChain } from "../../src/audit/index.js";
import { AuditLog } from "../../src/audit/audit-log.js";
import type { CallContext } from "../../src/call.js";
import { ManualClock } from "../../src/clock.js";
import { loadConfig, type Config, type EtcdConfig } from "../../src/config.js";
import { createWorkerPool } from "../../src/crypto/asymmetric/pool.js";
import { randomBytes as kmsRandom, randomNonce } from "../../src/crypto/random.js";
import { KmsError } from "../../src/errors.js";
import { actions } from "../../src/keys/actions/index.js";
import type { KmsDeps } from "../../src/keys/deps.js";
import { LockSet } from "../../src/keys/locks.js";
import { MaterialCache } from "../../src/keys/material.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { verifyRootKey } from "../../src/root-key.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openStore } from "../../src/store/open.js";
import { StoreLimitError, type KvStore, type WatchEvent } from "../../src/store/store.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { newDataDir } from "../helpers/server.js";

interface Replica {
  store: KvStore;
  deps: KmsDeps;
  audit: AuditLog;
  call: CallContext;
  close(): Promise<void>;
}

async function openReplica(config: Config, clock: ManualClock): Promise<Replica> {
  const store = await openStore(config);
  const rootKey = await verifyRootKey(store, config.rootKey as Buffer);
  const repo = new KeyRepository(store);
  await repo.open();
  const audit = await AuditLog.open(store, rootKey);
  const asymmetric = createWorkerPool(1);
  const deps: KmsDeps = {
    repo,
    locks: new LockSet(),
    rootKey,
    materials: new MaterialCache(),
    privateKeys: new MaterialCache(),
    asymmetric,
    clock,
    random: kmsRandom,
    nonce: randomNonce,
    settings: { defaultKeyType: config.defaultKeyType, regions: config.regions, accountUin: config.accountUin, cmkLimit: config.cmkLimit, manualRotationIntervalMs: config.manualRotationIntervalMs },
  };
  const principal = { uin: config.accountUin, account: config.accountUin, name: "root", root: true, operator: true, credential: "test" };
  const call: CallContext = {
    requestId: randomUUID(),
    uin: config.accountUin,
    region: config.regions[0] as string,
    principal,
    // As the pipeline does: the change and its audit event in one batch.
    journal: async (ops, subjects, guards) => {
      return audit.commitWith(ops, {
        time: clock.now(),
        principalUin: String(principal.uin),
        principalName: principal.name,
        credential: principal.credential,
        source: "127.0.0.1",
        transport: "grpc",
        action: "kms:Test",
        keyIds: [...(subjects ?? [])],
        result: "Success",
        requestId: randomUUID(),
        latencyMs: 1,
      }, guards);
    },
  };
  return {
    store,
    deps,
    audit,
    call,
    async close() {
      await audit.close();
      await asymmetric.close();
      await store.close();
    },
  };
}

describe.skipIf(etcdSkip !== undefined)("the key domain and audit log over etcd (KMS_STORE=etcd → openStore)", () => {
  let cluster: EtcdCluster;
  let dataDir: string;
  let config: Config;
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const replicas: Replica[] = [];

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
    dataDir = await newDataDir();
    config = loadConfig({
      KMS_DATA_DIR: dataDir,
      KMS_ROOT_KEY: randomBytes(32).toString("base64"),
      KMS_STORE: "etcd",
      KMS_ETCD_ENDPOINTS: cluster.endpoints.join(","),
      KMS_ETCD_PREFIX: "domain-test/",
      KMS_ETCD_MAX_TXN_OPS: String(cluster.limits.maxTxnOps),
      KMS_ETCD_MAX_REQUEST_BYTES: String(cluster.limits.maxRequestBytes),
    });
  }, 60_000);
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("creates, uses and changes keys on one replica; another replica sees the same state and decrypts", async () => {
    expect(config.store).toMatchObject({ kind: "etcd", prefix: "domain-test/" });
    const a = await openReplica(config, clock);
    replicas.push(a);
    const { keyId } = await actions.createKey(a.deps, create(CreateKeyRequestSchema, { alias: "on-etcd", description: "stored in etcd" }), a.call);
    const plaintext = new TextEncoder().encode("shared by replicas");
    const { ciphertextBlob } = await actions.encrypt(a.deps, create(EncryptRequestSchema, { keyId, plaintext, encryptionContext: '{"r":"a"}' }), a.call);
    await actions.disableKey(a.deps, create(DisableKeyRequestSchema, { keyId }), a.call);
    const refused = await actions.encrypt(a.deps, create(EncryptRequestSchema, { keyId, plaintext }), a.call).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KmsError);
    expect((refused as KmsError).code).toBe("ResourceUnavailable.CmkDisabled");

    // A second replica: its own connection, repository, caches and audit log handle.
    const b = await openReplica(config, clock);
    replicas.push(b);
    const described = await actions.describeKey(b.deps, create(DescribeKeyRequestSchema, { keyId }), b.call);
    expect(described.keyMetadata).toMatchObject({ keyId, alias: "on-etcd", keyState: KeyState.DISABLED });
    const listed = await actions.listKeys(b.deps, create(ListKeysRequestSchema, {}), b.call);
    expect(listed.keys?.map((k) => k.keyId)).toEqual([keyId]);

    await actions.enableKey(a.deps, create(EnableKeyRequestSchema, { keyId }), a.call);
    // B's key-record cache may still hold the disabled record: invalidation fed by a watch is later work.
    // A fresh repository reads the enabled record from etcd and decrypts A's ciphertext.
    const c = await openReplica(config, clock);
    replicas.push(c);
    const dec = await actions.decrypt(c.deps, create(DecryptRequestSchema, { ciphertextBlob, encryptionContext: '{"r":"a"}' }), c.call);
    expect(new TextDecoder().decode(dec.plaintext)).toBe("shared by replicas");
  });

  it("the audit chain written through etcd transactions verifies, and every change landed with its event", async () => {
    const a = replicas[0] as Replica;
    await a.audit.flush();
    const auditKey = await loadAuditKey(a.store, a.deps.rootKey);
    const report = await verifyChain(a.store, auditKey);
    expect(report).toMatchObject({ ok: true });
    // CreateKey, DisableKey, EnableKey (and the refused Encrypt wrote nothing).
    expect(report.checked).toBe(3);
    const head = await a.store.get(keyspace.meta("audit-head"));
    expect(head).toBeDefined();
  });

  it("audit group commits fit the store's transaction limit: 40 concurrent changes on a store told 16 operations", async () => {
    const small = await openStore({ ...config, store: { ...(config.store as EtcdConfig), prefix: "domain-small/", maxTxnOps: 16 } });
    const commits: WatchEvent[] = [];
    const stop = await small.watch("", (e) => commits.push(e));
    const log = await AuditLog.open(small, await verifyRootKey(small, config.rootKey as Buffer));
    const event = (i: number) => ({ time: clock.now(), principalUin: "1", principalName: "t", credential: "c", source: "127.0.0.1", transport: "grpc" as const, action: "kms:Test", keyIds: [`k${i}`], result: "Success", requestId: `r${i}`, latencyMs: 1 });
    const change = (i: number, n: number) => Array.from({ length: n }, (_, j) => ({ type: "put" as const, key: `v1/test/${i}/${j}`, value: Buffer.from("x") }));
    try {
      const small3 = Array.from({ length: 40 }, (_, i) => log.commitWith(change(i, 3), event(i)));
      // One change larger than the limit on its own: refused to its caller only.
      const tooBig = log.commitWith(change(99, 20), event(99));
      await Promise.all(small3);
      await expect(tooBig).rejects.toBeInstanceOf(StoreLimitError);
      await log.flush();
      const report = await verifyChain(small, await loadAuditKey(small, (replicas[0] as Replica).deps.rootKey));
      expect(report).toMatchObject({ ok: true, checked: 40 });
      await until(() => commits.filter((c) => c.type === "commit" && c.changes.some((o) => o.key.startsWith("v1/audit/"))).length >= 10);
      const groups = commits.filter((c) => c.type === "commit" && c.changes.some((o) => o.key.startsWith("v1/audit/")));
      // 4 changes of 3 operations, their block and the head: 14 of 16; ten batches for forty events.
      expect(groups.map((c) => (c.type === "commit" ? c.changes.length : 0))).toEqual(Array.from({ length: 10 }, () => 14));
    } finally {
      await stop();
      await log.close();
      await small.close();
    }
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
