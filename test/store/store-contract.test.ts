/**
 * One contract for the storage port, run against both adapters: LevelDB in a
 * temp dir, and etcd (a private single-member cluster, each test under its own
 * key prefix). On etcd, "two clients" are two separate connections, as two
 * replicas would hold.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEtcdStore } from "../../src/store/etcd-store.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { StoreConflictError, StoreLimitError, type BatchOp, type KvStore, type Revision, type WatchEvent } from "../../src/store/store.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";

const enc = (s: string) => new TextEncoder().encode(s);
const put = (key: string, value: string | Uint8Array): BatchOp => ({ type: "put", key, value: typeof value === "string" ? enc(value) : value });
const del = (key: string): BatchOp => ({ type: "del", key });
const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString("utf8"));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Watch events as plain data: revisions checked separately. */
function shape(events: readonly WatchEvent[]) {
  return events.map((e) => (e.type === "gap" ? { gap: true } : e.changes.map((c) => (c.type === "put" ? `put ${c.key}=${text(c.value)}` : `del ${c.key}`))));
}

interface Backend {
  name: string;
  skip: string | undefined;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty store; `second()` opens another client on the same data. */
  open(): Promise<{ store: KvStore; second(): Promise<KvStore> }>;
  /** Makes the history before `revision` unavailable to watches. */
  forget(store: KvStore, revision: Revision): Promise<void>;
}

const opened: KvStore[] = [];
const dirs: string[] = [];

const level: Backend = {
  name: "level",
  skip: undefined,
  async setup() {},
  async teardown() {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  },
  async open() {
    const dir = await mkdtemp(join(tmpdir(), "kms-store-"));
    dirs.push(dir);
    const store = await openLevelStore(dir, { sync: false });
    opened.push(store);
    // One process owns a LevelDB: its "second client" is the same store.
    return { store, second: async () => store };
  },
  async forget(store) {
    // The adapter keeps the last 1,024 commits for watches that start in the past.
    for (let i = 0; i < 1100; i++) await store.batch([put("filler/x", String(i))], { durable: false });
  },
};

let cluster: EtcdCluster | undefined;
const etcd: Backend = {
  name: "etcd",
  skip: etcdSkip,
  async setup() {
    cluster = await startEtcd({ members: 1 });
  },
  async teardown() {
    await cluster?.stop();
  },
  async open() {
    const endpoints = (cluster as EtcdCluster).endpoints;
    // Small pages so every scan below crosses page boundaries.
    const options = { endpoints, prefix: `t-${randomBytes(6).toString("hex")}/`, pageSize: 3, maxTxnOps: 4096, maxRequestBytes: 8 * 1024 * 1024 };
    const store = await openEtcdStore(options);
    opened.push(store);
    return {
      store,
      async second() {
        const s = await openEtcdStore(options);
        opened.push(s);
        return s;
      },
    };
  },
  async forget(_store, revision) {
    const client = new Etcd3({ hosts: (cluster as EtcdCluster).endpoints });
    try {
      await client.kv.compact({ revision: revision.toString(), physical: true });
    } finally {
      client.close();
    }
  },
};

for (const backend of [level, etcd]) {
  describe.skipIf(backend.skip !== undefined)(`KvStore contract: ${backend.name}`, () => {
    beforeAll(() => backend.setup(), 60_000);
    afterAll(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
      await backend.teardown();
    });

    it("get and getMany return the exact bytes, undefined when absent, in the order asked", async () => {
      const { store } = await backend.open();
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      expect(await store.get("k/a")).toBeUndefined();
      await store.batch([put("k/a", "alpha"), put("k/empty", new Uint8Array(0)), put("k/bin", binary)]);
      expect(text(await store.get("k/a"))).toBe("alpha");
      const empty = await store.get("k/empty");
      expect(empty).toBeInstanceOf(Uint8Array);
      expect(empty?.byteLength).toBe(0);
      expect(Buffer.from((await store.get("k/bin")) as Uint8Array).equals(Buffer.from(binary))).toBe(true);
      const many = await store.getMany(["k/bin", "k/missing", "k/a", "k/empty"]);
      expect(many.map((v) => v?.byteLength)).toEqual([256, undefined, 5, 0]);
      expect(await store.getMany([])).toEqual([]);
    });

    it("getMany of more keys than one transaction holds still answers every key", async () => {
      const { store } = await backend.open();
      const keys = Array.from({ length: 300 }, (_, i) => `m/${String(i).padStart(3, "0")}`);
      await store.batch(keys.filter((_, i) => i % 2 === 0).map((k) => put(k, k)));
      const values = await store.getMany(keys);
      expect(values.map(text)).toEqual(keys.map((k, i) => (i % 2 === 0 ? k : undefined)));
    });

    it("a batch applies its puts and deletes together; a key touched twice keeps its last op", async () => {
      const { store } = await backend.open();
      await store.batch([put("b/1", "one"), put("b/2", "two"), put("b/3", "three")]);
      await store.batch([del("b/1"), put("b/2", "TWO"), put("b/3", "x"), del("b/3"), del("b/4"), put("b/5", "a"), put("b/5", "five")]);
      expect((await store.getMany(["b/1", "b/2", "b/3", "b/4", "b/5"])).map(text)).toEqual([undefined, "TWO", undefined, undefined, "five"]);
    });

    it("a batch with one failing guard writes nothing and names the key", async () => {
      const { store } = await backend.open();
      await store.batch([put("g/a", "1"), put("g/b", "2")]);
      const attempt = store.batch([put("g/a", "changed"), del("g/b"), put("g/new", "x")], {
        guards: [
          { key: "g/a", value: enc("1") },
          { key: "g/b", value: enc("stale") },
          { key: "g/absent", value: undefined },
        ],
      });
      await expect(attempt).rejects.toBeInstanceOf(StoreConflictError);
      await expect(attempt).rejects.toMatchObject({ keys: ["g/b"] });
      expect((await store.getMany(["g/a", "g/b", "g/new"])).map(text)).toEqual(["1", "2", undefined]);
    });

    it("guards: exact bytes, absent, and empty-but-present are three different things", async () => {
      const { store } = await backend.open();
      // Absent guard on an absent key holds.
      await store.batch([put("h/k", "")], { guards: [{ key: "h/k", value: undefined }] });
      // Now present (empty): "absent" fails, exact empty bytes hold.
      await expect(store.batch([put("h/k", "x")], { guards: [{ key: "h/k", value: undefined }] })).rejects.toBeInstanceOf(StoreConflictError);
      await store.batch([put("h/k", "x")], { guards: [{ key: "h/k", value: new Uint8Array(0) }] });
      // An empty-bytes guard does not match an absent key.
      await expect(store.batch([put("h/other", "y")], { guards: [{ key: "h/none", value: new Uint8Array(0) }] })).rejects.toBeInstanceOf(StoreConflictError);
      // A guard-only batch checks without writing; two guards on one key that disagree never hold.
      await store.batch([], { guards: [{ key: "h/k", value: enc("x") }] });
      await expect(
        store.batch([put("h/z", "z")], {
          guards: [
            { key: "h/k", value: enc("x") },
            { key: "h/k", value: enc("y") },
          ],
        }),
      ).rejects.toBeInstanceOf(StoreConflictError);
      expect((await store.getMany(["h/k", "h/other", "h/z"])).map(text)).toEqual(["x", undefined, undefined]);
    });

    it("concurrent guarded increments from two clients: the counter equals the successful batches, and conflicts were reported", async () => {
      const { store, second } = await backend.open();
      const other = await second();
      const clients = [store, other];
      let succeeded = 0;
      let conflicts = 0;
      const worker = async (client: KvStore, rounds: number) => {
        for (let i = 0; i < rounds; i++) {
          const before = await client.get("c/counter");
          const n = before === undefined ? 0 : Number(text(before));
          try {
            await client.batch([put("c/counter", String(n + 1)), put(`c/log/${n + 1}`, "x")], { guards: [{ key: "c/counter", value: before }] });
            succeeded++;
          } catch (err) {
            if (!(err instanceof StoreConflictError)) throw err;
            expect(err.keys).toEqual(["c/counter"]);
            conflicts++;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, w) => worker(clients[w % 2] as KvStore, 15)));
      expect(succeeded + conflicts).toBe(120);
      expect(conflicts).toBeGreaterThan(0);
      expect(Number(text(await store.get("c/counter")))).toBe(succeeded);
      // Every success wrote a distinct log entry: no increment was lost or doubled.
      expect(await collect(store.scanKeys({ prefix: "c/log/" }))).toHaveLength(succeeded);
    });

    describe("scans", () => {
      let store: KvStore;
      const keys = Array.from({ length: 10 }, (_, i) => `s/${String(i).padStart(2, "0")}`);
      beforeAll(async () => {
        ({ store } = await backend.open());
        // Neighbours outside the prefix on both sides ("s0" sorts after every "s/..." key).
        await store.batch([...keys.map((k) => put(k, `v${k}`)), put("s", "x"), put("r/1", "x"), put("s0", "x"), put("t/1", "x")]);
      });

      it("returns the prefix's keys and values in byte order, forwards and in reverse", async () => {
        const all = await collect(store.scan({ prefix: "s/" }));
        expect(all.map(([k]) => k)).toEqual(keys);
        expect(all.map(([, v]) => text(v))).toEqual(keys.map((k) => `v${k}`));
        expect(await collect(store.scanKeys({ prefix: "s/", reverse: true }))).toEqual([...keys].reverse());
      });

      it("honours limit and after, in both directions, across pages", async () => {
        expect(await collect(store.scanKeys({ prefix: "s/", limit: 4 }))).toEqual(keys.slice(0, 4));
        expect(await collect(store.scanKeys({ prefix: "s/", after: "s/03" }))).toEqual(keys.slice(4));
        expect(await collect(store.scanKeys({ prefix: "s/", after: "s/03", limit: 5 }))).toEqual(keys.slice(4, 9));
        expect(await collect(store.scanKeys({ prefix: "s/", after: "s/07", reverse: true }))).toEqual(keys.slice(0, 7).reverse());
        expect(await collect(store.scanKeys({ prefix: "s/", after: "s/07", reverse: true, limit: 2 }))).toEqual(["s/06", "s/05"]);
        expect(await collect(store.scanKeys({ prefix: "s/", after: "s/09" }))).toEqual([]);
        expect(await collect(store.scanKeys({ prefix: "s/", after: "s/00", reverse: true }))).toEqual([]);
        expect(await collect(store.scanKeys({ prefix: "nothing/" }))).toEqual([]);
      });

      it("pages through everything with after = the last key seen", async () => {
        for (const reverse of [false, true]) {
          const seen: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await collect(store.scan({ prefix: "s/", limit: 4, reverse, ...(after ? { after } : {}) }));
            seen.push(...page.map(([k]) => k));
            if (page.length < 4) break;
            after = page[page.length - 1]?.[0];
          }
          expect(seen).toEqual(reverse ? [...keys].reverse() : keys);
        }
      });

      it('prefix "" scans every key', async () => {
        expect(await collect(store.scanKeys({ prefix: "" }))).toEqual(["r/1", "s", ...keys, "s0", "t/1"]);
      });

      it("a scan is one snapshot: writes made while it runs are not seen", async () => {
        const iterator = store.scan({ prefix: "s/" })[Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first.value?.[0]).toBe("s/00");
        await store.batch([put("s/99", "late"), put("s/05", "changed"), del("s/08")]);
        const rest: [string, Uint8Array][] = [];
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value);
        expect(rest.map(([k]) => k)).toEqual(keys.slice(1));
        expect(text(rest.find(([k]) => k === "s/05")?.[1])).toBe("vs/05");
        await store.batch([del("s/99"), put("s/05", "vs/05"), put("s/08", "vs/08")]);
      });
    });

    describe("watch", () => {
      it("delivers every commit under the prefix, in order, one event per batch, with rising revisions", async () => {
        const { store } = await backend.open();
        const events: WatchEvent[] = [];
        const stop = await store.watch("w/", (e) => events.push(e));
        await store.batch([put("w/a", "1")]);
        await store.batch([put("w/b", "2"), del("w/a"), put("x/outside", "no")]);
        await store.batch([put("x/only-outside", "no")]);
        await expect(store.batch([put("w/c", "no")], { guards: [{ key: "w/a", value: enc("gone") }] })).rejects.toBeInstanceOf(StoreConflictError);
        await store.batch([put("w/c", "3"), put("w/c", "4")]);
        await store.batch([del("w/b")]);
        await until("four commits", () => events.length >= 4);
        expect(shape(events)).toEqual([["put w/a=1"], ["put w/b=2", "del w/a"], ["put w/c=4"], ["del w/b"]]);
        const revisions = events.map((e) => e.revision);
        for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1] as bigint);
        expect(await store.revision()).toBeGreaterThanOrEqual(revisions[3] as bigint);

        await stop();
        await store.batch([put("w/after-stop", "x")]);
        await new Promise((r) => setTimeout(r, 200));
        expect(events).toHaveLength(4);
      });

      it("many fast commits arrive complete and in order", async () => {
        const { store, second } = await backend.open();
        const other = await second();
        const events: WatchEvent[] = [];
        const stop = await other.watch("f/", (e) => events.push(e));
        const n = 200;
        await Promise.all(Array.from({ length: n }, (_, i) => store.batch([put(`f/${String(i).padStart(3, "0")}`, String(i))], { durable: false })));
        await until(`${n} commits`, () => events.length >= n);
        expect(events).toHaveLength(n);
        const keys = events.flatMap((e) => (e.type === "commit" ? e.changes.map((c) => c.key) : []));
        expect(new Set(keys).size).toBe(n);
        const revisions = events.map((e) => e.revision);
        expect([...revisions].sort((a, b) => (a < b ? -1 : 1))).toEqual(revisions);
        await stop();
      });

      it("afterRevision replays what was committed since, then goes on live (snapshot + watch without a hole)", async () => {
        const { store } = await backend.open();
        await store.batch([put("p/1", "a")]);
        const snapshot = await store.revision();
        await store.batch([put("p/2", "b")]);
        await store.batch([del("p/1")]);
        const events: WatchEvent[] = [];
        const stop = await store.watch("p/", (e) => events.push(e), { afterRevision: snapshot });
        await store.batch([put("p/3", "c")]);
        await until("three commits", () => events.length >= 3);
        expect(shape(events)).toEqual([["put p/2=b"], ["del p/1"], ["put p/3=c"]]);
        await stop();
      });

      it("a watch from a revision whose history is gone reports a gap first", async () => {
        const { store } = await backend.open();
        const old = await store.revision();
        await store.batch([put("q/1", "a")]);
        await store.batch([put("q/1", "b")]);
        await backend.forget(store, await store.revision());
        const events: WatchEvent[] = [];
        const stop = await store.watch("q/", (e) => events.push(e), { afterRevision: old });
        await store.batch([put("q/2", "b")]);
        await until("a gap and a commit", () => events.some((e) => e.type === "commit" && e.changes.some((c) => c.key === "q/2")));
        expect(events[0]?.type).toBe("gap");
        expect(shape(events).at(-1)).toEqual(["put q/2=b"]);
        await stop();
      });
    });

    it("close ends reads, writes and watches", async () => {
      const { store } = await backend.open();
      const events: WatchEvent[] = [];
      await store.watch("z/", (e) => events.push(e));
      await store.batch([put("z/1", "1")]);
      await until("one commit", () => events.length === 1);
      await store.close();
      await expect(store.get("z/1")).rejects.toThrow();
      await expect(store.batch([put("z/2", "2")])).rejects.toThrow();
    });
  });
}

describe.skipIf(etcdSkip !== undefined)("etcd adapter specifics", () => {
  let cluster: EtcdCluster;
  const stores: KvStore[] = [];
  beforeAll(async () => {
    cluster = await startEtcd({ members: 1, maxTxnOps: 256, maxRequestBytes: 256 * 1024 });
  }, 60_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await cluster?.stop();
  });
  const open = async (prefix: string, limits: { maxTxnOps?: number; maxRequestBytes?: number } = {}) => {
    const s = await openEtcdStore({ endpoints: cluster.endpoints, prefix, ...limits });
    stores.push(s);
    return s;
  };

  it("a batch over the limits it was told is refused whole, before it is sent", async () => {
    const store = await open("lim-a/", { maxTxnOps: 128, maxRequestBytes: 64 * 1024 });
    const ops = Array.from({ length: 129 }, (_, i) => put(`k/${i}`, "v"));
    await expect(store.batch(ops)).rejects.toThrow(StoreLimitError);
    await expect(store.batch(ops)).rejects.toThrow(/129 operations.*--max-txn-ops of 128 \(KMS_ETCD_MAX_TXN_OPS\)/);
    await expect(store.batch([put("big", new Uint8Array(64 * 1024))])).rejects.toThrow(/--max-request-bytes of 65536/);
    expect(await collect(store.scanKeys({ prefix: "" }))).toEqual([]);
    // Exactly at the op limit is accepted.
    await store.batch(ops.slice(0, 128));
    expect(await collect(store.scanKeys({ prefix: "" }))).toHaveLength(128);
  });

  it("a store told larger limits than the cluster has gets etcd's refusal as StoreLimitError, nothing written", async () => {
    const store = await open("lim-b/", { maxTxnOps: 10_000, maxRequestBytes: 10 * 1024 * 1024 });
    await expect(store.batch(Array.from({ length: 257 }, (_, i) => put(`k/${i}`, "v")))).rejects.toThrow(/etcd refused the batch: more operations than its --max-txn-ops/);
    await expect(store.batch([put("big", new Uint8Array(300 * 1024))])).rejects.toThrow(/etcd refused the batch: larger than its --max-request-bytes/);
    expect(await collect(store.scanKeys({ prefix: "" }))).toEqual([]);
  });

  it("prefixes keep deployments apart on one cluster", async () => {
    const a = await open("dep-a/");
    const b = await open("dep-b/");
    await a.batch([put("v1/meta/x", "from a")]);
    await b.batch([put("v1/meta/x", "from b")]);
    expect(text(await a.get("v1/meta/x"))).toBe("from a");
    expect(await collect(a.scanKeys({ prefix: "" }))).toEqual(["v1/meta/x"]);
    const events: WatchEvent[] = [];
    const stop = await b.watch("", (e) => events.push(e));
    await a.batch([put("v1/meta/y", "a only")]);
    await b.batch([put("v1/meta/y", "b")]);
    await until("b's commit", () => events.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(shape(events)).toEqual([["put v1/meta/y=b"]]);
    await stop();
  });

  it("values are stored as given: etcd holds the service's bytes under prefix + key", async () => {
    const store = await open("raw/");
    const sealed = randomBytes(64);
    await store.batch([put("v1/versions/k/1", sealed)]);
    const client = new Etcd3({ hosts: cluster.endpoints });
    try {
      expect((await client.get("raw/v1/versions/k/1").buffer())?.equals(sealed)).toBe(true);
    } finally {
      client.close();
    }
  });

  it("a guarded write whose answer is lost (member frozen past the deadline) is applied exactly once, not reported as a conflict", async () => {
    const store = await openEtcdStore({ endpoints: cluster.endpoints, prefix: "lost-answer/", attemptTimeoutMs: 300, timeoutMs: 8_000 });
    stores.push(store);
    await store.batch([put("counter", "0")]);
    await cluster.pause(0);
    const write = store.batch([put("counter", "1"), put("log/1", "x")], { guards: [{ key: "counter", value: enc("0") }] });
    await new Promise((r) => setTimeout(r, 1_000));
    cluster.resume(0);
    await write;
    expect(text(await store.get("counter"))).toBe("1");
    expect(await collect(store.scanKeys({ prefix: "log/" }))).toEqual(["log/1"]);
  }, 30_000);

  it("an unreachable cluster fails to open with a clear error", async () => {
    await expect(openEtcdStore({ endpoints: ["http://127.0.0.1:1"], timeoutMs: 1_000, attemptTimeoutMs: 300 })).rejects.toThrow(/cannot reach etcd at http:\/\/127\.0\.0\.1:1/);
  });
});
