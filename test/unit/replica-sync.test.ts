/**
 * StoreSync (src/replica/sync.ts) over a real LevelDB, whose watch is the
 * same port the etcd adapter implements: followers (the key repository, the
 * secrets' counts) kept from every writer's commits, a replay of commits a
 * snapshot already holds changing nothing, a gap rebuilding from the store,
 * and a follower that throws being rebuilt rather than served from.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { KeyRecord } from "../../src/keys/key.js";
import { KeyRepository } from "../../src/keys/repository.js";
import type { Logger } from "../../src/log.js";
import { StoreSync, type Follower } from "../../src/replica/sync.js";
import { SecretRepository } from "../../src/secrets/repository.js";
import { secretsKeyspace } from "../../src/secrets/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { BatchOp, KvStore } from "../../src/store/store.js";

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function store(): Promise<KvStore> {
  const dir = await mkdtemp(join(tmpdir(), "kms-sync-"));
  const s = await openLevelStore(dir, { sync: false });
  cleanup.push(async () => {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  return s;
}

function record(i: number, over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    keyId: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
    alias: `k${i}`,
    description: "",
    createTime: 1_000 + i,
    keyState: "Enabled",
    keyUsage: "ENCRYPT_DECRYPT",
    keyType: 2,
    algorithm: "AES_256_GCM",
    origin: "TENCENT_KMS",
    creatorUin: "1",
    owner: "user",
    tags: [],
    versions: [],
    versionsIssued: 0,
    rotation: { enabled: false, rotateDays: 0 },
    account: "1",
    region: "ap-guangzhou",
    ...over,
  } as KeyRecord;
}

/** A replica's key repository following the store (its own cache and index), from `from`. */
async function follower(s: KvStore, from: bigint): Promise<{ repo: KeyRepository; sync: StoreSync }> {
  const repo = new KeyRepository(s);
  await repo.open();
  await repo.summaries();
  repo.follow();
  const sync = await StoreSync.start(s, from, [repo], { replicaId: "t", shared: false, probeMs: 100, staleMs: 1000, log: quiet });
  cleanup.push(() => sync.close());
  return { repo, sync };
}

describe("StoreSync", () => {
  it("keeps another writer's changes in a follower's cache, index and count, replayed commits changing nothing", async () => {
    const s = await store();
    const writer = new KeyRepository(s);
    for (let i = 0; i < 5; i++) await writer.commit([writer.putKey(record(i))], null);
    // Taken before the follower loads: the commits below are both in its snapshot and replayed to it.
    const from = await s.revision();
    for (let i = 5; i < 8; i++) await writer.commit([writer.putKey(record(i))], null);
    const { repo } = await follower(s, from);
    expect(repo.count).toBe(8);
    expect((await repo.getKey(record(2).keyId))?.keyState).toBe("Enabled");
    // Another process's change: the follower's cached record and index move with it.
    await writer.commit([writer.putKey(record(2, { keyState: "Disabled" }))], null);
    expect((await repo.getKey(record(2).keyId))?.keyState).toBe("Disabled");
    expect((await repo.summaries()).in({ account: "1", region: "ap-guangzhou" }).page({ state: "Disabled", ascending: true, offset: 0, limit: 10 }).page.map((k) => k.keyId)).toEqual([record(2).keyId]);
    await writer.commit([writer.delKey(record(3).keyId)], null);
    expect(repo.count).toBe(7);
    expect(await repo.getKey(record(3).keyId)).toBeUndefined();
    expect((await repo.summaries()).size).toBe(7);
  });

  it("a watch that cannot replay (history dropped) rebuilds its followers from the store", async () => {
    const s = await store();
    const writer = new KeyRepository(s);
    await writer.commit([writer.putKey(record(1))], null);
    const from = await s.revision();
    const repo = new KeyRepository(s);
    await repo.open();
    await repo.summaries();
    repo.follow();
    // More commits than the LevelDB watch keeps (1024) before the follower starts watching.
    for (let i = 0; i < 1100; i++) await s.batch([{ type: "put", key: `v1/noise/${i}`, value: new Uint8Array(1) }]);
    await writer.commit([writer.putKey(record(2))], null);
    await writer.commit([writer.putKey(record(1, { keyState: "Disabled" }))], null);
    const sync = await StoreSync.start(s, from, [repo], { replicaId: "t", shared: false, probeMs: 100, staleMs: 1000, log: quiet });
    cleanup.push(() => sync.close());
    expect(sync.stats.gaps).toBe(1);
    for (let i = 0; i < 50 && repo.count !== 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(repo.count).toBe(2);
    expect((await repo.getKey(record(1).keyId))?.keyState).toBe("Disabled");
    expect((await repo.summaries()).all.map((k) => k.keyId)).toEqual([record(1).keyId, record(2).keyId]);
  });

  it("a follower that throws on a commit is rebuilt from the store, and the others go on", async () => {
    const s = await store();
    let rebuilt = 0;
    let applied = 0;
    const broken: Follower = {
      name: "broken",
      prefixes: ["v1/x/"],
      applyCommit: () => {
        throw new Error("cannot apply");
      },
      rebuild: async () => {
        rebuilt++;
      },
    };
    const fine: Follower = { name: "fine", prefixes: ["v1/x/"], applyCommit: () => void applied++, rebuild: async () => undefined };
    const sync = await StoreSync.start(s, await s.revision(), [broken, fine], { replicaId: "t", shared: false, probeMs: 100, staleMs: 1000, log: quiet });
    cleanup.push(() => sync.close());
    await s.batch([{ type: "put", key: "v1/x/1", value: new Uint8Array(1) }]);
    await new Promise((r) => setTimeout(r, 10));
    expect(rebuilt).toBe(1);
    expect(applied).toBe(1);
    expect(sync.appliedRevision).toBe(await s.revision());
  });

  it("waitApplied resolves once the watch has delivered a revision, and says false past its time", async () => {
    const s = await store();
    const sync = await StoreSync.start(s, await s.revision(), [], { replicaId: "t", shared: false, probeMs: 100, staleMs: 1000, log: quiet });
    cleanup.push(() => sync.close());
    const r = await s.batch([{ type: "put", key: "v1/y", value: new Uint8Array(1) }]);
    expect(await sync.waitApplied(r, 100)).toBe(true);
    expect(await sync.waitApplied(r + 5n, 50)).toBe(false);
    // One process's store: always current.
    expect(sync.isFresh()).toBe(true);
    expect(() => sync.assertFresh()).not.toThrow();
  });

  it("the secrets' counts per account and region follow every writer's creates and purges", async () => {
    const s = await store();
    const counts = new SecretRepository(s);
    counts.follow();
    const from = await s.revision();
    await counts.open();
    const sync = await StoreSync.start(s, from, [counts], { replicaId: "t", shared: false, probeMs: 100, staleMs: 1000, log: quiet });
    cleanup.push(() => sync.close());
    const scope = { account: "100", region: "ap-guangzhou" };
    const put = (name: string): BatchOp => ({ type: "put", key: secretsKeyspace.record(scope, name), value: Buffer.from("{}") });
    await s.batch([put("a"), put("b")]);
    await s.batch([put("a")]);
    expect(counts.count(scope)).toBe(2);
    await s.batch([{ type: "del", key: secretsKeyspace.record(scope, "a") }]);
    expect(counts.count(scope)).toBe(1);
    expect(counts.count({ account: "100", region: "ap-beijing" })).toBe(0);
  });
});
