/** The listing index: exact when writes land while it is built, and pages like a plain filter. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KeyRecord } from "../../src/keys/key.js";
import fc from "fast-check";
import { KeyRepository } from "../../src/keys/repository.js";
import { SummaryIndex, type KeySummary } from "../../src/keys/summary-index.js";
import { openLevelStore } from "../../src/store/level-store.js";

function record(i: number): KeyRecord {
  return {
    keyId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    account: "1",
    region: "ap-guangzhou",
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
    for (let i = 0; i < 500; i++) await repo.commit([repo.putKey(record(i))], null);

    const fresh = new KeyRepository(store);
    const building = fresh.summaries();
    // While the scan runs: a new key, a state change, a deletion.
    await fresh.commit([fresh.putKey(record(999))], null);
    await fresh.commit([fresh.putKey({ ...record(10), keyState: "Disabled" })], null);
    await fresh.commit([fresh.delKey(record(20).keyId)], null);
    await building;
    const list = (await fresh.summaries()).all;
    expect(list).toHaveLength(500);
    expect(list.at(-1)!.keyId).toBe(record(999).keyId);
    expect(list.find((s) => s.keyId === record(10).keyId)!.keyState).toBe("Disabled");
    expect(list.some((s) => s.keyId === record(20).keyId)).toBe(false);
    expect(list.map((s) => s.createTime)).toEqual([...list.map((s) => s.createTime)].sort((a, b) => a - b));

    await fresh.commit([fresh.putKey({ ...record(5), createTime: 5_000 })], null);
    expect((await fresh.summaries()).all.at(-1)!.keyId).toBe(record(5).keyId);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("pages like a plain filter over the records, through inserts, changes, moves and removals", () => {
    const states = ["Enabled", "Disabled", "PendingDelete", "PendingImport", "Archived"] as const;
    const usages = ["ENCRYPT_DECRYPT", "ASYMMETRIC_SIGN_VERIFY_ECC", "ASYMMETRIC_DECRYPT_RSA_2048"] as const;
    const origins = ["TENCENT_KMS", "EXTERNAL"] as const;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(40), fc.nat(4), fc.nat(2), fc.nat(1), fc.nat(5), fc.boolean(), fc.boolean()), { maxLength: 120 }),
        fc.array(fc.tuple(fc.option(fc.nat(4)), fc.option(fc.nat(2)), fc.option(fc.nat(1)), fc.boolean(), fc.boolean(), fc.nat(30), fc.integer({ min: 1, max: 20 })), { maxLength: 10 }),
        (ops, queries) => {
          const index = SummaryIndex.of([]);
          const model = new Map<string, KeySummary>();
          for (const [id, state, usage, origin, time, remove, renamed] of ops) {
            const keyId = record(id).keyId;
            if (remove) {
              index.remove(keyId);
              model.delete(keyId);
              continue;
            }
            // Aliases are unique per key (the store enforces it); a key may be renamed between two.
            const s: KeySummary = { ...record(id), keyState: states[state]!, keyUsage: usages[usage]!, origin: origins[origin]!, createTime: time, alias: `${renamed ? "r" : "k"}${id}` };
            index.put(s);
            model.set(keyId, s);
          }
          const sorted = [...model.values()].sort((a, b) => a.createTime - b.createTime || (a.keyId < b.keyId ? -1 : 1));
          expect(index.all.map((s) => s.keyId)).toEqual(sorted.map((s) => s.keyId));
          for (let id = 0; id <= 40; id++)
            for (const alias of [`k${id}`, `r${id}`]) expect(index.aliasOwner(alias)).toBe(sorted.find((s) => s.alias === alias)?.keyId);
          for (const [st, us, or, search, ascending, offset, limit] of queries) {
            const q = { state: st === null ? undefined : states[st], usage: us === null ? undefined : usages[us], origin: or === null ? undefined : origins[or] };
            const extra = search ? (s: KeySummary) => s.alias.startsWith("k") : undefined;
            const matching = (ascending ? sorted : [...sorted].reverse()).filter(
              (s) => (q.state === undefined || s.keyState === q.state) && (q.usage === undefined || s.keyUsage === q.usage) && (q.origin === undefined || s.origin === q.origin) && (!extra || extra(s)),
            );
            const got = index.page({ ...q, extra, ascending, offset, limit });
            expect(got.total).toBe(matching.length);
            expect(got.page.map((s) => s.keyId)).toEqual(matching.slice(offset, offset + limit).map((s) => s.keyId));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves an unreadable record out of listings and names it when asked for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kms-summaries-"));
    const store = await openLevelStore(dir, { sync: false });
    const repo = new KeyRepository(store);
    for (let i = 0; i < 3; i++) await repo.commit([repo.putKey(record(i))], null);
    await store.batch([{ type: "put", key: `v1/keys/${record(1).keyId}`, value: Buffer.from("{not json") }]);
    const fresh = new KeyRepository(store);
    expect((await fresh.summaries()).all.map((s) => s.keyId)).toEqual([record(0).keyId, record(2).keyId]);
    expect(fresh.unreadableKeys).toEqual([record(1).keyId]);
    await expect(fresh.getKey(record(1).keyId)).rejects.toThrow(`the stored record of key ${record(1).keyId} is unreadable`);
    expect((await fresh.getKey(record(2).keyId))?.alias).toBe("k2");
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
