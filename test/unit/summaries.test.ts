/** The listing index stays exact when writes land while it is being built. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KeyRecord } from "../../src/keys/key.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { openLevelStore } from "../../src/store/level-store.js";

function record(i: number): KeyRecord {
  return {
    keyId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
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
  };
}

describe("key listing index", () => {
  it("includes writes committed during the build, and follows later ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kms-summaries-"));
    const store = await openLevelStore(dir, { sync: false });
    const repo = new KeyRepository(store);
    for (let i = 0; i < 500; i++) await repo.commit([repo.putKey(record(i))], null, 1);

    const fresh = new KeyRepository(store);
    const building = fresh.listSummaries();
    // While the scan runs: a new key, a state change, a deletion.
    await fresh.commit([fresh.putKey(record(999))], null, 1);
    await fresh.commit([fresh.putKey({ ...record(10), keyState: "Disabled" })], null);
    await fresh.commit([fresh.delKey(record(20).keyId)], null, -1);
    await building;
    const list = await fresh.listSummaries();
    expect(list).toHaveLength(500);
    expect(list.at(-1)!.keyId).toBe(record(999).keyId);
    expect(list.find((s) => s.keyId === record(10).keyId)!.keyState).toBe("Disabled");
    expect(list.some((s) => s.keyId === record(20).keyId)).toBe(false);
    expect(list.map((s) => s.createTime)).toEqual([...list.map((s) => s.createTime)].sort((a, b) => a - b));

    await fresh.commit([fresh.putKey({ ...record(5), createTime: 5_000 })], null);
    expect((await fresh.listSummaries()).at(-1)!.keyId).toBe(record(5).keyId);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stays exact across the copies that lay summaries out together again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kms-summaries-"));
    const store = await openLevelStore(dir, { sync: false });
    const repo = new KeyRepository(store);
    await repo.commit(Array.from({ length: 1500 }, (_, i) => repo.putKey(record(i))), null, 1500);
    const fresh = new KeyRepository(store);
    const first = await fresh.listSummaries(); // built, then laid out
    await fresh.commit([fresh.putKey({ ...record(10), keyState: "Disabled" })], null);
    expect(first.find((s) => s.keyId === record(10).keyId)!.keyState).toBe("Disabled");
    // Enough new keys to lay the list out again; later changes must reach the new copies.
    await fresh.commit(Array.from({ length: 1100 }, (_, i) => fresh.putKey(record(2000 + i))), null, 1100);
    const second = await fresh.listSummaries();
    await fresh.commit([fresh.putKey({ ...record(11), keyState: "PendingDelete" })], null);
    await fresh.commit([fresh.delKey(record(12).keyId)], null, -1);
    const third = await fresh.listSummaries();
    expect(third).toHaveLength(2599);
    expect(third.find((s) => s.keyId === record(10).keyId)!.keyState).toBe("Disabled");
    expect(third.find((s) => s.keyId === record(11).keyId)!.keyState).toBe("PendingDelete");
    expect(third.some((s) => s.keyId === record(12).keyId)).toBe(false);
    expect(second).toBe(third);
    expect(third.map((s) => s.keyId)).toEqual([...Array(1500).keys()].filter((i) => i !== 12).map((i) => record(i).keyId).concat([...Array(1100).keys()].map((i) => record(2000 + i).keyId)));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves an unreadable record out of listings and names it when asked for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kms-summaries-"));
    const store = await openLevelStore(dir, { sync: false });
    const repo = new KeyRepository(store);
    for (let i = 0; i < 3; i++) await repo.commit([repo.putKey(record(i))], null, 1);
    await store.batch([{ type: "put", key: `v1/keys/${record(1).keyId}`, value: Buffer.from("{not json") }]);
    const fresh = new KeyRepository(store);
    expect((await fresh.listSummaries()).map((s) => s.keyId)).toEqual([record(0).keyId, record(2).keyId]);
    expect(fresh.unreadableKeys).toEqual([record(1).keyId]);
    await expect(fresh.getKey(record(1).keyId)).rejects.toThrow(`the stored record of key ${record(1).keyId} is unreadable`);
    expect((await fresh.getKey(record(2).keyId))?.alias).toBe("k2");
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
