/**
 * The audit trail of several replicas on one store (a real LevelDB, which
 * honours guards as etcd does): one chain per replica, a registry, witness
 * events, and the deployment verifier catching what one chain alone cannot:
 * a replica's chain cut short, or removed with its registry record.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog, loadAuditKey, verifyChain, type AuditEvent } from "../../src/audit/index.js";
import { blockKey, decodeHead, encodeHead, replicaLayout, REPLICA_CHAINS_SPACE } from "../../src/audit/chain.js";
import { encodeCheckpoint, loadOrCreateCheckpointSigner, readCheckpointFile } from "../../src/audit/checkpoint.js";
import { verifyDeployment } from "../../src/audit/deployment.js";
import { CHAIN_REGISTRY_PREFIX, WITNESS_ACTION } from "../../src/audit/replicas.js";
import { createRootKey, type RootKey } from "../../src/crypto/seal.js";
import { randomBytes } from "../../src/crypto/random.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { StoreConflictError, type BatchOp, type KvStore } from "../../src/store/store.js";
import type { Logger } from "../../src/log.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function event(i: number): AuditEvent {
  return { time: 1_700_000_000_000 + i, principalUin: "100", principalName: "alice", credential: "AKIDx", source: "10.0.0.1", transport: "grpc", action: "kms:Encrypt", keyIds: [`key-${i}`], result: "Success", requestId: `req-${i}`, latencyMs: 1 };
}

interface World {
  store: KvStore;
  root: RootKey;
  dir: string;
  logs: Map<string, AuditLog>;
  open(chain: string, log?: Logger): Promise<AuditLog>;
}

async function world(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), "kms-audit-replicas-"));
  const store = await openLevelStore(join(dir, "db"), { sync: false });
  const root = createRootKey(randomBytes(32));
  const logs = new Map<string, AuditLog>();
  cleanup.push(async () => {
    for (const l of logs.values()) await l.close().catch(() => undefined);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    store,
    root,
    dir,
    logs,
    async open(chain, log) {
      const l = await AuditLog.open(store, root, { chain, witnessMs: 3_600_000, ...(log ? { log } : {}) });
      logs.set(chain, l);
      return l;
    },
  };
}

/** Three replicas' chains, interleaved, each having witnessed the others more than once. */
async function threeChains(): Promise<World> {
  const w = await world();
  const [a, b, c] = [await w.open("alpha"), await w.open("beta"), await w.open("gamma")];
  for (let i = 0; i < 6; i++) {
    for (const l of [a, b, c]) {
      await l.append(event(i));
      await l.append(event(100 + i));
    }
    for (const l of [a, b, c]) await l.witness();
  }
  for (const l of [a, b, c]) await l.flush();
  return w;
}

async function key(w: World) {
  return loadAuditKey(w.store, w.root);
}

describe("audit chains across replicas", () => {
  it("each replica writes its own registered chain; the deployment verifies, every witness checked", async () => {
    const w = await threeChains();
    const r = await verifyDeployment(w.store, await key(w));
    expect(r.ok).toBe(true);
    expect(r.chains.map((c) => [c.chain, c.ok])).toEqual([["alpha", true], ["beta", true], ["gamma", true]]);
    // 12 events and 6 witnesses per chain (the opening witnesses of the first chains saw no others yet).
    for (const c of r.chains) expect(c.headSeq).toBeGreaterThanOrEqual(12 + 6);
    expect(r.witnessesChecked).toBe(3);
    const registry: string[] = [];
    for await (const k of w.store.scanKeys({ prefix: CHAIN_REGISTRY_PREFIX })) registry.push(k.slice(CHAIN_REGISTRY_PREFIX.length));
    expect(registry).toEqual(["alpha", "beta", "gamma"]);
    // The live view of one replica agrees.
    expect((await w.logs.get("beta")!.verify()).ok).toBe(true);
    // Witness events are in the chains like any event.
    const page = await w.logs.get("alpha")!.query({ action: WITNESS_ACTION }, { limit: 100 });
    expect(page.events.length).toBeGreaterThanOrEqual(6);
    expect(page.events.at(-1)!.keyIds.map((k) => k.split("#")[0])).toEqual(["beta", "gamma"]);
    expect(page.events.at(-1)!.transport).toBe("internal");
  });

  it("a replica's chain cut short (last block gone, head rewound: a valid shorter chain) is caught by the others' witnesses", async () => {
    const w = await threeChains();
    const k = await key(w);
    const beta = replicaLayout("beta");
    // beta's last block and head go back to an earlier event: alone, beta still verifies.
    const blocks: string[] = [];
    for await (const key of w.store.scanKeys({ prefix: beta.eventsPrefix })) blocks.push(key);
    const cut = blocks.slice(-4);
    const first = Number(cut[0]!.slice(beta.eventsPrefix.length));
    let mac = "";
    for await (const line of (await import("../../src/audit/chain.js")).storedLines(w.store, first - 1, beta)) {
      if (!("badKey" in line)) mac = line.blockMac ?? (JSON.parse(line.line) as { mac: string }).mac;
      break;
    }
    const ops: BatchOp[] = cut.map((key) => ({ type: "del", key }));
    ops.push({ type: "put", key: beta.headKey, value: encodeHead({ seq: first - 1, mac }) });
    await w.store.batch(ops);
    expect((await verifyChain(w.store, k, { layout: beta })).ok).toBe(true);
    const r = await verifyDeployment(w.store, k);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ chain: "beta", reason: "truncated" });
    expect(r.failure?.detail).toMatch(/^chain beta: chain (alpha|gamma) witnessed chain beta at event \d+/);
  });

  it("a replica's chain removed with its registry record is reported missing", async () => {
    const w = await threeChains();
    const ops: BatchOp[] = [{ type: "del", key: `${CHAIN_REGISTRY_PREFIX}gamma` }];
    for await (const k of w.store.scanKeys({ prefix: `${REPLICA_CHAINS_SPACE}gamma/` })) ops.push({ type: "del", key: k });
    await w.store.batch(ops);
    const r = await verifyDeployment(w.store, await key(w));
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ chain: "gamma", reason: "missing" });
    expect(r.chains.map((c) => c.chain)).toEqual(["alpha", "beta", "gamma"]);
  });

  it("chain data the registry does not name, and a registry record not made with the audit key, are refused", async () => {
    const w = await threeChains();
    await w.store.batch([{ type: "put", key: blockKey(replicaLayout("planted"), 1), value: Buffer.from("{}") }]);
    let r = await verifyDeployment(w.store, await key(w));
    expect(r.failure).toMatchObject({ chain: "planted", reason: "unreadable" });
    await w.store.batch([{ type: "del", key: blockKey(replicaLayout("planted"), 1) }]);
    await w.store.batch([{ type: "put", key: `${CHAIN_REGISTRY_PREFIX}forged`, value: Buffer.from(JSON.stringify({ f: 1, chain: "forged", created: 1, mac: "00".repeat(32) })) }]);
    r = await verifyDeployment(w.store, await key(w));
    expect(r.failure).toMatchObject({ chain: "forged", reason: "unreadable" });
  });

  it("an edited event in one chain fails that chain, named", async () => {
    const w = await threeChains();
    const alpha = replicaLayout("alpha");
    const k = blockKey(alpha, 1);
    const lines = Buffer.from((await w.store.get(k))!).toString("utf8");
    await w.store.batch([{ type: "put", key: k, value: Buffer.from(lines.replace('"alice"', '"mallory"')) }]);
    const r = await verifyDeployment(w.store, await key(w));
    expect(r.failure).toMatchObject({ chain: "alpha", seq: 1, reason: "mac-mismatch" });
  });

  it("a group commit refuses only the change whose guard failed; the rest of the group and every event land", async () => {
    const w = await world();
    const log = await w.open("solo");
    const put = (k: string, v: string): BatchOp => ({ type: "put", key: k, value: Buffer.from(v) });
    await w.store.batch([put("v1/test/a", "0"), put("v1/test/b", "0")]);
    // Queued in one tick, so they share one group commit: the second's guard no longer holds.
    const results = await Promise.allSettled([
      log.commitWith([put("v1/test/a", "1")], event(1), [{ key: "v1/test/a", value: Buffer.from("0") }]),
      log.commitWith([put("v1/test/b", "1")], event(2), [{ key: "v1/test/b", value: Buffer.from("stale") }]),
      log.commitWith([put("v1/test/c", "1")], event(3), [{ key: "v1/test/c", value: undefined }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
    expect(Buffer.from((await w.store.get("v1/test/b"))!).toString()).toBe("0");
    expect(Buffer.from((await w.store.get("v1/test/a"))!).toString()).toBe("1");
    // The refused change's event was not written either; the others chain without a gap.
    const events = (await log.query({}, { limit: 10 })).events;
    expect(events.map((e) => e.requestId)).toEqual(["req-1", "req-3"]);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect((await log.verify()).ok).toBe(true);
    // Two changes guarding one key in one group: the second waits for the next batch, and sees the first's write.
    const [first, second] = await Promise.allSettled([
      log.commitWith([put("v1/test/a", "2")], event(4), [{ key: "v1/test/a", value: Buffer.from("1") }]),
      log.commitWith([put("v1/test/a", "3")], event(5), [{ key: "v1/test/a", value: Buffer.from("1") }]),
    ]);
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    expect(Buffer.from((await w.store.get("v1/test/a"))!).toString()).toBe("2");
  });

  it("two processes with one replica id never fork the chain: the second's events chain after the first's", async () => {
    const w = await world();
    const errors: string[] = [];
    const log: Logger = { info: () => undefined, warn: () => undefined, error: (m: string) => errors.push(m) };
    const one = await w.open("twin");
    const two = await AuditLog.open(w.store, w.root, { chain: "twin", witnessMs: 3_600_000, log });
    cleanup.push(() => two.close());
    await one.append(event(1));
    await two.append(event(2));
    await one.append(event(3));
    await Promise.all([two.append(event(4)), one.append(event(5)), two.append(event(6))]);
    const r = await verifyDeployment(w.store, await key(w));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.chains).toHaveLength(1);
    expect(r.chains[0]!.headSeq).toBe(6);
    expect(errors.some((m) => /written by another process too/.test(m))).toBe(true);
    expect(decodeHead(await w.store.get(replicaLayout("twin").headKey))?.seq).toBe(6);
  });

  it("checkpoints are per chain: one chain's cannot vouch for another's, and a chain cut below its own is truncated", async () => {
    const w = await threeChains();
    const file = join(w.dir, "checkpoints.jsonl");
    const signer = await loadOrCreateCheckpointSigner(w.store, w.root);
    const beta = replicaLayout("beta");
    const head = decodeHead(await w.store.get(beta.headKey))!;
    await writeFile(file, `${encodeCheckpoint(signer.sign(head, 1, "beta"))}\n`);
    const set = await readCheckpointFile(file);
    expect(set.valid).toEqual([expect.objectContaining({ chain: "beta", seq: head.seq })]);
    const k = await key(w);
    expect((await verifyDeployment(w.store, k, { checkpoints: { set, storeKey: signer.publicKey } })).ok).toBe(true);
    // A v2 line whose chain was changed no longer verifies: the chain is signed.
    const forged = (await import("node:fs/promises")).readFile(file, "utf8").then((t) => t.replace('"chain":"beta"', '"chain":"gamma"'));
    await writeFile(file, await forged);
    expect((await readCheckpointFile(file)).valid).toEqual([]);
    // beta's whole chain removed (registry too) and nothing else witnessing it: the checkpoint still tells.
    const ops: BatchOp[] = [{ type: "del", key: `${CHAIN_REGISTRY_PREFIX}beta` }];
    for await (const key of w.store.scanKeys({ prefix: `${REPLICA_CHAINS_SPACE}beta/` })) ops.push({ type: "del", key });
    await w.store.batch(ops);
    const r = await verifyDeployment(w.store, k, { checkpoints: { set, storeKey: signer.publicKey } });
    expect(r.ok).toBe(false);
    expect(r.chains.find((c) => c.chain === "beta")?.failure?.reason).toMatch(/missing|truncated/);
  });
});
