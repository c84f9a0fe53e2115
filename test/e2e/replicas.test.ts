/**
 * Two replicas of the real server on one etcd (KMS_STORE=etcd), called over
 * gRPC as clients call them:
 * - a state change answered by one replica is in force on the other within
 *   the bound (DisableKey on A, then Encrypt on B refused), and at once for a
 *   caller that names the answer's kms-revision (read-your-writes);
 * - conflicting changes never both succeed (the same alias raced on both);
 * - the directory (a sub-user, its token, a policy) made on one serves on the other;
 * - a replica that cannot show it is current refuses calls.
 */
import { PassThrough } from "node:stream";
import { createClient, ConnectError, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService, KeyState } from "../../gen/kms/v1/kms_pb.js";
import { TrustService } from "../../gen/kms/v1/trust_pb.js";
import { runAuditCli } from "../../src/cli/audit.js";
import { bearer, codeOf } from "../helpers/clients.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { startReplicaSet, type ReplicaSet } from "../helpers/replicas.js";
import type { TestServer } from "../helpers/server.js";

/** A gRPC client of one replica that can send kms-min-revision and read kms-revision. */
interface ReplicaClient {
  kms: Client<typeof KeyManagementService>;
  admin: Client<typeof AdminService>;
  trust: Client<typeof TrustService>;
  /** kms-revision of the last answer that carried one. */
  lastRevision: string | undefined;
  close(): void;
}

function clientOf(s: TestServer, token = s.token): ReplicaClient {
  const sessions = new Http2SessionManager(s.grpcUrl);
  const c: ReplicaClient = {
    lastRevision: undefined,
    kms: undefined as unknown as Client<typeof KeyManagementService>,
    admin: undefined as unknown as Client<typeof AdminService>,
    trust: undefined as unknown as Client<typeof TrustService>,
    close: () => sessions.abort(),
  };
  const transport = createGrpcTransport({
    baseUrl: s.grpcUrl,
    sessionManager: sessions,
    interceptors: [
      bearer(token),
      (next) => async (req) => {
        const res = await next(req);
        const r = res.header.get("kms-revision");
        if (r) c.lastRevision = r;
        return res;
      },
    ],
  });
  c.kms = createClient(KeyManagementService, transport);
  c.admin = createClient(AdminService, transport);
  c.trust = createClient(TrustService, transport);
  return c;
}

const at = (revision: string | undefined) => ({ headers: { "kms-min-revision": revision ?? "" } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(etcdSkip !== undefined)("replicas on one etcd", () => {
  let cluster: EtcdCluster;
  let set: ReplicaSet;
  let a: ReplicaClient;
  let b: ReplicaClient;

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
    set = await startReplicaSet(cluster, { replicas: 2, env: { KMS_REPLICA_WITNESS_MS: "200" } });
    a = clientOf(set.replicas[0] as TestServer);
    b = clientOf(set.replicas[1] as TestServer);
  }, 60_000);
  afterAll(async () => {
    a?.close();
    b?.close();
    await set?.stop();
    await cluster?.stop();
  });

  it("a key made on one replica serves on the other, and DisableKey there is in force here within the bound", async () => {
    const { keyId } = await a.kms.createKey({ alias: "replicated" });
    const plaintext = new TextEncoder().encode("on two replicas");
    // B has never seen the key: the cache misses and the store answers.
    const { ciphertextBlob } = await b.kms.encrypt({ keyId, plaintext });
    expect((await a.kms.decrypt({ ciphertextBlob })).plaintext).toEqual(plaintext);

    const bounds: number[] = [];
    for (let i = 0; i < 10; i++) {
      await a.kms.enableKey({ keyId });
      await b.kms.encrypt({ keyId, plaintext }, at(a.lastRevision));
      await a.kms.disableKey({ keyId });
      const acked = performance.now();
      for (;;) {
        const outcome = await b.kms.encrypt({ keyId, plaintext }).then(
          () => "served",
          (err: unknown) => ConnectError.from(err).rawMessage,
        );
        if (outcome !== "served") break;
        if (performance.now() - acked > 1000) throw new Error("Encrypt still served 1000 ms after DisableKey was acknowledged elsewhere");
      }
      bounds.push(performance.now() - acked);
    }
    expect(Math.max(...bounds)).toBeLessThan(1000);
    console.log(`DisableKey on A → Encrypt refused on B after ${bounds.map((x) => x.toFixed(1)).join(", ")} ms`);
  });

  it("a caller that names the answer's kms-revision reads its own write on the other replica at once", async () => {
    const { keyId } = await a.kms.createKey({ alias: "ryw" });
    for (let i = 0; i < 20; i++) {
      await a.kms.disableKey({ keyId });
      const disabled = a.lastRevision;
      expect(disabled).toMatch(/^\d+$/);
      expect(await codeOf(b.kms.encrypt({ keyId, plaintext: new Uint8Array(4) }, at(disabled)))).toBe("ResourceUnavailable.CmkDisabled");
      await a.kms.enableKey({ keyId });
      expect((await b.kms.describeKey({ keyId }, at(a.lastRevision))).keyMetadata?.keyState).toBe(KeyState.ENABLED);
    }
    // The listing index of B, after A's create, for a caller naming it.
    const created = await a.kms.createKey({ alias: "listed-at-once" });
    const listed = await b.kms.listKeyDetail({ limit: 200, searchKeyAlias: "listed-at-once" }, at(a.lastRevision));
    expect(listed.keyMetadatas.map((k) => k.keyId)).toEqual([created.keyId]);
    // A revision no replica has reached yet is waited for, then refused past the bound.
    expect(await codeOf(b.kms.describeKey({ keyId }, at("999999999999")))).toBe("UnsupportedOperation.ServiceTemporaryUnavailable");
    expect(await codeOf(b.kms.describeKey({ keyId }, at("12x")))).toBe("InvalidParameterValue");
  });

  it("the same alias raced on both replicas: exactly one CreateKey wins, every time", async () => {
    for (let round = 0; round < 15; round++) {
      const alias = `race-${round}`;
      const results = await Promise.allSettled([a.kms.createKey({ alias }), b.kms.createKey({ alias }), a.kms.createKey({ alias }), b.kms.createKey({ alias })]);
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const r of results)
        if (r.status === "rejected") expect(await codeOf(Promise.reject(r.reason))).toBe("InvalidParameterValue.AliasAlreadyExists");
      const owner = (won[0] as PromiseFulfilledResult<{ keyId: string }>).value.keyId;
      const listed = await b.kms.listKeyDetail({ limit: 10, searchKeyAlias: alias }, at(a.lastRevision ?? b.lastRevision));
      expect(listed.keyMetadatas.filter((k) => k.alias === alias).map((k) => k.keyId)).toEqual([owner]);
    }
  });

  it("UpdateAlias raced onto one alias from both replicas: one wins, the other is refused, the alias has one owner", async () => {
    for (let round = 0; round < 10; round++) {
      const k1 = (await a.kms.createKey({ alias: `ua-${round}-1` })).keyId;
      const k2 = (await b.kms.createKey({ alias: `ua-${round}-2` })).keyId;
      const target = `ua-${round}-target`;
      const results = await Promise.allSettled([a.kms.updateAlias({ keyId: k1, alias: target }), b.kms.updateAlias({ keyId: k2, alias: target })]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const winner = results[0]?.status === "fulfilled" ? k1 : k2;
      const loser = winner === k1 ? k2 : k1;
      const described = await a.kms.describeKey({ keyId: loser }, at(b.lastRevision));
      expect(described.keyMetadata?.alias).toBe(`ua-${round}-${winner === k1 ? 2 : 1}`);
      expect((await b.kms.describeKey({ keyId: winner }, at(a.lastRevision))).keyMetadata?.alias).toBe(target);
    }
  });

  it("concurrent lifecycle changes of one key from both replicas each apply once, in some order", async () => {
    const { keyId } = await a.kms.createKey({ alias: "contended" });
    // Twenty Disable/Enable pairs interleaved over the two replicas: every call succeeds (they all commute to a valid state).
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).kms[i % 4 < 2 ? "disableKey" : "enableKey"]({ keyId }));
    await Promise.all(calls);
    await a.kms.enableKey({ keyId });
    expect((await b.kms.describeKey({ keyId }, at(a.lastRevision))).keyMetadata?.keyState).toBe(KeyState.ENABLED);
  });

  it("a sub-user, its token and its policy made on A authenticate and authorise on B", async () => {
    const { principal } = await a.admin.createPrincipal({ name: "replicated-user" });
    const uin = principal?.uin ?? 0n;
    await a.admin.createPolicy({ name: "encrypt-only", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:Encrypt", "kms:CreateKey"], resource: ["*"] }] }) });
    await a.admin.attachPolicy({ principalUin: uin, policyName: "encrypt-only" });
    const { secret } = await a.admin.createToken({ principalUin: uin });
    const user = clientOf(set.replicas[1] as TestServer, secret);
    try {
      const { keyId } = await user.kms.createKey({ alias: "made-by-sub-user" }, at(a.lastRevision));
      await user.kms.encrypt({ keyId, plaintext: new Uint8Array(1) });
      expect(await codeOf(user.kms.disableKey({ keyId }))).toBe("UnauthorizedOperation");
      // Detached on B: refused on A for a caller naming B's answer.
      await b.admin.detachPolicy({ principalUin: uin, policyName: "encrypt-only" });
      const onA = clientOf(set.replicas[0] as TestServer, secret);
      try {
        expect(await codeOf(onA.kms.encrypt({ keyId, plaintext: new Uint8Array(1) }, at(b.lastRevision)))).toBe("UnauthorizedOperation");
      } finally {
        onA.close();
      }
    } finally {
      user.close();
    }
  });

  it("directory changes raced on both replicas: one principal per name", async () => {
    for (let round = 0; round < 5; round++) {
      const name = `twin-${round}`;
      const results = await Promise.allSettled([a.admin.createPrincipal({ name }), b.admin.createPrincipal({ name })]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(await codeOf(Promise.reject(refused.reason))).toBe("ResourceInUse");
    }
  });

  it("each replica writes its own audit chain; VerifyAuditLog on either proves both, witnesses included", async () => {
    const { keyId } = await a.kms.createKey({ alias: "audited" });
    await b.kms.encrypt({ keyId, plaintext: new Uint8Array(1) });
    await sleep(600);
    for (const c of [a, b]) {
      const r = await c.admin.verifyAuditLog({});
      expect(r.ok).toBe(true);
      expect(r.chains.map((x) => [x.chain, x.ok])).toEqual([
        ["r0", true],
        ["r1", true],
      ]);
      expect(r.checked).toBe(r.chains.reduce((n, x) => n + x.checked, 0n));
    }
    // B's Encrypt is in B's chain; A reads it by naming the chain.
    const onB = await a.admin.queryAuditEvents({ chain: "r1", action: "kms:Encrypt", keyId, limit: 10 });
    expect(onB.events).toHaveLength(1);
    const onA = await a.admin.queryAuditEvents({ action: "kms:CreateKey", keyId, limit: 10 });
    expect(onA.events).toHaveLength(1);
    const witnesses = await a.admin.queryAuditEvents({ action: "kms:AuditWitness", limit: 1000 });
    expect(witnesses.events.length).toBeGreaterThan(0);
    expect(witnesses.events.at(-1)?.keyIds[0]).toMatch(/^r1#\d+#[0-9a-f]{64}$/);
    expect(await codeOf(a.admin.queryAuditEvents({ chain: "nobody", limit: 1 }))).toBe("ResourceNotFound");

    // npm run audit reads the etcd store (KMS_STORE=etcd) while the replicas run, and proves both chains.
    const cli = async (args: string[]) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = "";
      stdout.on("data", (d: Buffer) => (out += d.toString()));
      stderr.resume();
      const code = await runAuditCli(args, { ...set.env, KMS_DATA_DIR: (set.replicas[0] as TestServer).dataDir }, { stdout, stderr });
      return { code, out };
    };
    const verified = await cli(["verify"]);
    expect(verified.code, verified.out).toBe(0);
    const report = JSON.parse(verified.out) as { ok: boolean; chains: { chain: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => c.chain)).toEqual(["r0", "r1"]);
    const exported = await cli(["export", "--action", "kms:Encrypt", "--key", keyId]);
    expect(exported.code).toBe(0);
    expect(exported.out.trim().split("\n").map((l) => (JSON.parse(l) as { chain: string }).chain)).toEqual(["r1"]);
  });

  it("a keyring rotation started on A is installed on B: records sealed under the new version open on both", async () => {
    const before = await a.kms.createKey({ alias: "sealed-before-rotation" });
    const blob = (await b.kms.encrypt({ keyId: before.keyId, plaintext: new Uint8Array([1]) })).ciphertextBlob;
    const { rotation } = await a.trust.rotateKeyring({});
    const target = rotation?.targetVersion ?? 0;
    // A key made on A now is sealed under the new version; B must open it.
    const after = await a.kms.createKey({ alias: "sealed-after-rotation" });
    const onB = await b.kms.encrypt({ keyId: after.keyId, plaintext: new Uint8Array([2]) }, at(a.lastRevision));
    expect((await a.kms.decrypt({ ciphertextBlob: onB.ciphertextBlob })).plaintext).toEqual(new Uint8Array([2]));
    expect((await b.trust.getKeyringStatus({})).currentVersion).toBe(target);
    // The rotation ends (old versions dropped) on A; B follows, and what was sealed before still opens there.
    for (let i = 0; i < 200 && (await a.trust.getKeyringStatus({})).rotation; i++) await sleep(50);
    for (let i = 0; i < 100 && (await b.trust.getKeyringStatus({})).versions.length !== (await a.trust.getKeyringStatus({})).versions.length; i++) await sleep(20);
    expect((await b.trust.getKeyringStatus({})).versions.map((v) => v.version)).toEqual((await a.trust.getKeyringStatus({})).versions.map((v) => v.version));
    expect((await b.kms.decrypt({ ciphertextBlob: blob })).plaintext).toEqual(new Uint8Array([1]));
  });

  it("a replica whose store goes silent refuses calls within the bound, and serves again once it catches up", async () => {
    const { keyId } = await a.kms.createKey({ alias: "stale-test" });
    // B holds the record in its cache: while the store is silent, only the freshness bound stops it serving.
    await b.kms.describeKey({ keyId }, at(a.lastRevision));
    await cluster.pause(0);
    try {
      const paused = performance.now();
      let code = "";
      while (performance.now() - paused < 5000) {
        code = await codeOf(b.kms.describeKey({ keyId })).catch(() => "served");
        if (code === "UnsupportedOperation.ServiceTemporaryUnavailable") break;
        await sleep(50);
      }
      expect(code).toBe("UnsupportedOperation.ServiceTemporaryUnavailable");
      // Refused no later than the bound plus one probe and the time a probe may take.
      expect(performance.now() - paused).toBeLessThan(1000 + 200 + 3000);
    } finally {
      cluster.resume(0);
    }
    const resumed = performance.now();
    for (;;) {
      const ok = await b.kms.describeKey({ keyId }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (performance.now() - resumed > 15_000) throw new Error("B did not serve again within 15 s of etcd resuming");
      await sleep(50);
    }
  }, 30_000);
});
