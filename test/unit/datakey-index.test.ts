/**
 * The hosted data keys' listing index against a plain filter over the same
 * summaries: random puts, state changes and removals, then random queries on
 * every coded field, search, order and paging (fast-check); and the CMK
 * dictionary past its 65,535 codes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DataKeyOrigin, DataKeyState } from "../../src/datakeys/data-key.js";
import { DataKeyIndex, type DataKeyQuery, type DataKeySummary } from "../../src/datakeys/listing-index.js";

const STATES: DataKeyState[] = ["Enabled", "Disabled", "PendingDelete"];
const ORIGINS: DataKeyOrigin[] = ["TENCENT_KMS", "EXTERNAL"];
const CMKS = ["11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002", "11111111-0000-4000-8000-000000000003"];

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

const summaryArb = (n: number) =>
  fc.record({
    createTime: fc.integer({ min: 0, max: 20 }),
    state: fc.constantFrom(...STATES),
    origin: fc.constantFrom(...ORIGINS),
    keyId: fc.constantFrom(...CMKS),
    numberOfBytes: fc.constantFrom(16, 32, 1024),
    name: fc.constantFrom("alpha", "Beta", "gamma-1", "delta"),
  }).map((r): DataKeySummary => ({ ...r, dataKeyId: id(n), tags: [], description: "", creatorUin: "100000000001", owner: "user" }));

const queryArb = fc.record({
  state: fc.option(fc.constantFrom(...STATES), { nil: undefined }),
  origin: fc.option(fc.constantFrom(...ORIGINS), { nil: undefined }),
  keyId: fc.option(fc.constantFrom(...CMKS, "22222222-0000-4000-8000-000000000000"), { nil: undefined }),
  numberOfBytes: fc.option(fc.constantFrom(16, 32, 1024, 7), { nil: undefined }),
  search: fc.option(fc.constantFrom("a", "beta", "0001"), { nil: undefined }),
  ascending: fc.boolean(),
  offset: fc.integer({ min: 0, max: 12 }),
  limit: fc.integer({ min: 1, max: 8 }),
});

/** The same answer computed the obvious way. */
function naive(all: Map<string, DataKeySummary>, q: DataKeyQuery): { total: number; page: string[] } {
  const sorted = [...all.values()].sort((a, b) => a.createTime - b.createTime || (a.dataKeyId < b.dataKeyId ? -1 : 1));
  if (!q.ascending) sorted.reverse();
  const hits = sorted.filter(
    (s) =>
      (q.state === undefined || s.state === q.state) &&
      (q.origin === undefined || s.origin === q.origin) &&
      (q.keyId === undefined || s.keyId === q.keyId) &&
      (q.numberOfBytes === undefined || s.numberOfBytes === q.numberOfBytes) &&
      (q.extra === undefined || q.extra(s)),
  );
  return { total: hits.length, page: hits.slice(q.offset, q.offset + q.limit).map((s) => s.dataKeyId) };
}

describe("the data key listing index", () => {
  it("answers every query as a plain filter does, through puts, changes and removals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.boolean()), { minLength: 1, maxLength: 60 }).chain((ops) =>
          fc.tuple(fc.constant(ops), fc.tuple(...ops.map(([n]) => summaryArb(n))), fc.array(queryArb, { minLength: 1, maxLength: 5 })),
        ),
        ([ops, summaries, queries]) => {
          const index = new DataKeyIndex();
          const all = new Map<string, DataKeySummary>();
          ops.forEach(([, remove], i) => {
            const s = summaries[i] as DataKeySummary;
            if (remove) {
              index.remove(s.dataKeyId);
              all.delete(s.dataKeyId);
            } else {
              index.put(s);
              all.set(s.dataKeyId, s);
            }
          });
          expect(index.size).toBe(all.size);
          expect(index.countedSize).toBe([...all.values()].filter((s) => s.state !== "PendingDelete").length);
          for (const q of queries) {
            const query: DataKeyQuery = { ...q, extra: q.search === undefined ? undefined : (s) => s.dataKeyId.includes(q.search as string) || s.name.toLowerCase().includes(q.search as string) };
            const got = index.page(query);
            expect({ total: got.total, page: got.page.map((s) => s.dataKeyId) }).toEqual(naive(all, query));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tells CMKs apart past the 65,535 codes it packs", () => {
    const list: DataKeySummary[] = [];
    for (let n = 0; n < 65_540; n++)
      list.push({ dataKeyId: id(n), name: `k${n}`, description: "", createTime: n, state: "Enabled", origin: "TENCENT_KMS", keyId: `cmk-${n}`, numberOfBytes: 32, creatorUin: "1", owner: "user", tags: [] });
    const index = DataKeyIndex.of(list);
    for (const n of [0, 65_533, 65_534, 65_535, 65_539]) {
      const got = index.page({ keyId: `cmk-${n}`, ascending: true, offset: 0, limit: 10 });
      expect({ total: got.total, ids: got.page.map((s) => s.dataKeyId) }, `cmk-${n}`).toEqual({ total: 1, ids: [id(n)] });
    }
    expect(index.page({ keyId: "cmk-none", ascending: true, offset: 0, limit: 10 }).total).toBe(0);
  });
});
