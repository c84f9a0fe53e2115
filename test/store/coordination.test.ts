/**
 * Leader election over the store (src/store/coordination.ts): on LevelDB the
 * one process leads; on etcd exactly one candidate leads at a time, a
 * resigned leader is replaced at once, a killed (-9) or frozen (SIGSTOP)
 * leader within its lease, and a frozen leader that wakes up knows it lost.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localCoordination } from "../../src/store/coordination.js";
import { openEtcdStore } from "../../src/store/etcd-store.js";
import { coordinationOf } from "../../src/store/open.js";
import type { KvStore } from "../../src/store/store.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("local coordination (LevelDB)", () => {
  it("the one process leads at once and stops leading when it resigns", async () => {
    const seen: boolean[] = [];
    const c = localCoordination();
    const campaign = c.campaign("jobs", "only", 5, (l) => seen.push(l));
    await sleep(0);
    expect(campaign.leading).toBe(true);
    expect(await c.leader("jobs")).toBe("only");
    await campaign.resign();
    expect(seen).toEqual([true, false]);
    expect(await c.leader("jobs")).toBeUndefined();
  });
});

describe.skipIf(etcdSkip !== undefined)("leader election on etcd", () => {
  let cluster: EtcdCluster;
  const stores: KvStore[] = [];
  const children: ChildProcess[] = [];
  const prefix = () => `coord-${randomBytes(4).toString("hex")}/`;

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const s of stores) await s.close();
    await cluster?.stop();
  });

  async function open(p: string): Promise<KvStore> {
    const s = await openEtcdStore({ endpoints: cluster.endpoints, prefix: p });
    stores.push(s);
    return s;
  }

  /** A candidate in a child process; `lines` collects what it prints. */
  function child(p: string, name: string, ttl: number): { proc: ChildProcess; lines: string[] } {
    const proc = spawn(process.execPath, ["--import", "tsx", "test/helpers/campaign-child.ts", cluster.endpoints.join(","), p, name, String(ttl)], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(proc);
    const lines: string[] = [];
    let buf = "";
    proc.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      lines.push(...parts);
    });
    return { proc, lines };
  }

  it("one leader at a time among three; a resigned leader is replaced at once", async () => {
    const p = prefix();
    const candidates = await Promise.all([0, 1, 2].map(async (i) => ({ i, store: await open(p) })));
    let overlaps = 0;
    const campaigns = candidates.map(({ i, store }) => coordinationOf(store).campaign("jobs", `c${i}`, 3, () => undefined));
    const watch = setInterval(() => {
      if (campaigns.filter((c) => c.leading).length > 1) overlaps++;
    }, 2);
    try {
      await until("a leader", () => campaigns.some((c) => c.leading));
      const handovers: number[] = [];
      const live = [...campaigns];
      // Resign the leader twice: each time another takes over.
      for (let round = 0; round < 2; round++) {
        const leader = live.find((c) => c.leading);
        if (!leader) throw new Error("no leader");
        expect(await coordinationOf(candidates[0]!.store).leader("jobs")).toMatch(/^c\d$/);
        const t0 = performance.now();
        await leader.resign();
        live.splice(live.indexOf(leader), 1);
        await until("a new leader", () => live.some((c) => c.leading));
        handovers.push(performance.now() - t0);
      }
      expect(overlaps).toBe(0);
      console.log(`election: a resigned leader replaced after ${handovers.map((h) => h.toFixed(0)).join(", ")} ms`);
      expect(Math.max(...handovers)).toBeLessThan(1000);
    } finally {
      clearInterval(watch);
      for (const c of campaigns) await c.resign();
    }
  }, 30_000);

  it("a leader killed with -9 is replaced once its lease runs out (TTL 2 s), not before", async () => {
    const p = prefix();
    const first = child(p, "doomed", 2);
    await until("the child to lead", () => first.lines.some((l) => l.startsWith("leading")), 20_000);
    const store = await open(p);
    let ledAt = 0;
    const waiting = coordinationOf(store).campaign("jobs", "heir", 2, (l) => l && (ledAt = Date.now()));
    await sleep(500);
    expect(waiting.leading).toBe(false);
    const killedAt = Date.now();
    first.proc.kill("SIGKILL");
    await until("the heir to lead", () => ledAt > 0, 10_000);
    const failover = ledAt - killedAt;
    console.log(`election: leader killed -9, heir leads after ${failover} ms (TTL 2000 ms)`);
    // The lease was renewed at most a third of its life before the kill: it cannot have run out sooner.
    expect(failover).toBeGreaterThan(2000 - 2000 / 3 - 100);
    expect(failover).toBeLessThan(2000 + 1000);
    expect(await coordinationOf(store).leader("jobs")).toBe("heir");
    await waiting.resign();
  }, 40_000);

  it("a frozen leader (SIGSTOP) is replaced within its lease, and on waking knows it lost before the heir's term began", async () => {
    const p = prefix();
    const first = child(p, "sleeper", 2);
    await until("the child to lead", () => first.lines.some((l) => l.startsWith("leading")), 20_000);
    const store = await open(p);
    let ledAt = 0;
    const heir = coordinationOf(store).campaign("jobs", "heir", 2, (l) => l && (ledAt = Date.now()));
    await sleep(300);
    const frozenAt = Date.now();
    first.proc.kill("SIGSTOP");
    await until("the heir to lead", () => ledAt > 0, 10_000);
    expect(ledAt - frozenAt).toBeLessThan(2000 + 1000);
    first.proc.kill("SIGCONT");
    await until("the sleeper to notice", () => first.lines.some((l) => l.startsWith("lost")), 5_000);
    // The sleeper counted its lease from before it froze: by its own clock it gave up no later than the heir began.
    const lostAt = Number(first.lines.find((l) => l.startsWith("lost"))?.split(" ")[1]);
    const leadingAt = Number(first.lines.find((l) => l.startsWith("leading"))?.split(" ")[1]);
    expect(leadingAt + 2000).toBeLessThanOrEqual(ledAt + 50);
    expect(lostAt).toBeGreaterThan(frozenAt);
    expect(heir.leading).toBe(true);
    await heir.resign();
    first.proc.kill("SIGKILL");
  }, 40_000);
});
