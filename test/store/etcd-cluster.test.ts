/**
 * The etcd adapter on a 3-member cluster while members die and come back:
 * writes keep being acknowledged, and a watch delivers every commit exactly
 * once and in order, resuming after the last revision it delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEtcdStore } from "../../src/store/etcd-store.js";
import type { KvStore, WatchEvent } from "../../src/store/store.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Sequential writes of w/<n> until stopped; which were acknowledged and which failed. */
function writer(store: KvStore, prefix: string) {
  const acked: string[] = [];
  const failed: string[] = [];
  const errors: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const key = `${prefix}${String(i).padStart(6, "0")}`;
      try {
        await store.batch([{ type: "put", key, value: Buffer.from(String(i)) }]);
        acked.push(key);
      } catch (err) {
        failed.push(key);
        errors.push(`${key}: ${(err as Error).message}`);
      }
      await sleep(5);
    }
  })();
  return {
    acked,
    failed,
    errors,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** A watch that records keys in delivery order and checks revisions only rise. */
async function recorder(store: KvStore, prefix: string) {
  const keys: string[] = [];
  const gaps: WatchEvent[] = [];
  let last = -1n;
  let outOfOrder = 0;
  const stop = await store.watch(prefix, (e) => {
    if (e.type === "gap") return void gaps.push(e);
    if (e.revision <= last) outOfOrder++;
    last = e.revision;
    for (const c of e.changes) keys.push(c.key);
  });
  return { keys, gaps, outOfOrder: () => outOfOrder, stop };
}

function checkDelivery(seen: readonly string[], acked: readonly string[], failed: readonly string[]): void {
  // Exactly once each...
  expect(new Set(seen).size).toBe(seen.length);
  // ...in the order written (keys are zero-padded and written one after another)...
  expect([...seen].sort()).toEqual(seen);
  // ...every acknowledged write, and nothing that was never tried.
  const seenSet = new Set(seen);
  expect(acked.filter((k) => !seenSet.has(k))).toEqual([]);
  const tried = new Set([...acked, ...failed]);
  expect(seen.filter((k) => !tried.has(k))).toEqual([]);
}

describe.skipIf(etcdSkip !== undefined)("etcd adapter on a 3-member cluster", () => {
  let cluster: EtcdCluster;
  const stores: KvStore[] = [];
  const open = async (endpoints: string[]) => {
    const s = await openEtcdStore({ endpoints, prefix: "cluster-test/" });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    cluster = await startEtcd({ members: 3 });
  }, 60_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await cluster?.stop();
  });

  it("kill -9 and restart of each member in turn: every write acknowledged, every commit watched once, in order", async () => {
    const writes = await open(cluster.endpoints);
    const watches = await open(cluster.endpoints);
    const seen = await recorder(watches, "a/");
    const w = writer(writes, "a/");
    for (let m = 0; m < 3; m++) {
      await sleep(300);
      await cluster.kill9(m);
      await sleep(700);
      await cluster.restart(m);
    }
    await sleep(300);
    await w.stop();
    await until("the watch to catch up", () => seen.keys.length >= w.acked.length && seen.keys.at(-1) === w.acked.at(-1));
    await seen.stop();
    expect(w.acked.length).toBeGreaterThan(50);
    // A member's death (the leader's included) is retried away within the time budget.
    expect(w.errors).toEqual([]);
    checkDelivery(seen.keys, w.acked, w.failed);
    expect(seen.gaps).toEqual([]);
    expect(seen.outOfOrder()).toBe(0);
  }, 120_000);

  it("a watch whose only member is down resumes after the last revision it delivered when the member returns", async () => {
    const writes = await open([cluster.member(1).clientUrl, cluster.member(2).clientUrl]);
    const watches = await open([cluster.member(0).clientUrl]);
    const seen = await recorder(watches, "b/");
    const w = writer(writes, "b/");
    await until("some commits watched", () => seen.keys.length >= 10);
    await cluster.kill9(0);
    const atKill = seen.keys.length;
    try {
      // Writes go on without member 0 (after an election if it led); its watch sees none of them.
      const ackedAtKill = w.acked.length;
      await until("writes without member 0", () => w.acked.length > ackedAtKill + 30);
      expect(seen.keys.length).toBe(atKill);
    } finally {
      await cluster.restart(0);
    }
    await sleep(300);
    await w.stop();
    await until("the watch to catch up", () => seen.keys.at(-1) === w.acked.at(-1));
    await seen.stop();
    expect(w.errors).toEqual([]);
    checkDelivery(seen.keys, w.acked, w.failed);
    expect(seen.gaps).toEqual([]);
  }, 120_000);

  it("a frozen member (SIGSTOP) stops answering and serves again after SIGCONT", async () => {
    const m = cluster.member(2);
    await cluster.pause(2);
    expect(await m.healthy()).toBe(false);
    const others = await open([cluster.member(0).clientUrl, cluster.member(1).clientUrl]);
    await others.batch([{ type: "put", key: "c/while-frozen", value: Buffer.from("x") }]);
    cluster.resume(2);
    await cluster.waitHealthy();
    const onFrozen = await open([m.clientUrl]);
    expect(Buffer.from((await onFrozen.get("c/while-frozen")) as Uint8Array).toString()).toBe("x");
  }, 60_000);
});
