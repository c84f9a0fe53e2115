/**
 * The call pipeline, in process: one lifecycle for every transport. These run
 * the real core (LevelDB, directory, audit, key family) without listeners.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";
import { Gate } from "../../src/access/gate.js";
import type { StoredAuditEvent } from "../../src/audit/event.js";
import { KMS_API } from "../../src/contract/kms-api.js";
import { GrpcStatus } from "../../src/errors.js";
import { actions } from "../../src/keys/actions/index.js";
import { keyResources } from "../../src/keys/resources.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import { CallPipeline } from "../../src/pipeline/pipeline.js";
import { RouteTable } from "../../src/pipeline/routes.js";
import { callMethod, expectOk, openInProcess, type InProcess } from "../helpers/in-process.js";

let kms: InProcess;
let root: Credentials;

beforeAll(async () => {
  kms = await openInProcess({ KMS_REGIONS: "ap-guangzhou,ap-beijing" });
  root = { kind: "token", token: kms.token };
});
afterAll(async () => {
  await kms.dispose();
});

async function events(filter: { action?: string; result?: string } = {}): Promise<StoredAuditEvent[]> {
  await kms.core.domain.audit.flush();
  return (await kms.core.domain.audit.query(filter, { limit: 1000 })).events;
}

async function subUser(name: string, statement: object): Promise<Credentials> {
  const { directory } = kms.core.domain;
  const now = kms.clock.now();
  const p = await directory.createPrincipal(name, "", now);
  await directory.createPolicy(`${name}-policy`, "", JSON.stringify({ version: "2.0", statement: [statement] }), now);
  await directory.attachPolicy(BigInt(p.uin), `${name}-policy`);
  const { token } = await directory.createToken(BigInt(p.uin), "", now);
  return { kind: "token", token };
}

describe("the call pipeline", () => {
  it("serves a call, and its change and audit event land in one batch naming the created key", async () => {
    const { keyId } = await expectOk<{ keyId: string }>(callMethod(kms.core.pipeline, KeyManagementService.method.createKey, { alias: "pipeline-1" }, root));
    const [event] = (await events({ action: "kms:CreateKey" })).filter((e) => e.keyIds.includes(keyId));
    expect(event).toMatchObject({ result: "Success", principalName: "root", transport: "grpc", source: "127.0.0.1" });
  });

  it("audits a call refused before dispatch with the action it named, and answers the documented code", async () => {
    const served = await callMethod(kms.core.pipeline, KeyManagementService.method.listKeys, {}, { kind: "token", token: `bad-${"x".repeat(40)}` }, { transport: "connect" });
    expect(served.ok).toBe(false);
    if (served.ok) return;
    expect(served.outcome).toMatchObject({ code: "AuthFailure.TokenFailure", status: GrpcStatus.Unauthenticated });
    const refused = (await events({ action: "kms:ListKeys", result: "AuthFailure.TokenFailure" })).find((e) => e.requestId === served.call.requestId);
    expect(refused).toMatchObject({ principalUin: "", transport: "connect" });
  });

  it("refuses a region it does not serve and acts in one it does", async () => {
    const refused = await callMethod(kms.core.pipeline, KeyManagementService.method.getRegions, {}, root, { region: "mars-1" });
    expect(refused.ok ? "" : refused.outcome.code).toBe("UnsupportedRegion");
    const served = await callMethod(kms.core.pipeline, KeyManagementService.method.getRegions, {}, root, { region: "ap-beijing" });
    expect(served.ok && served.call.region).toBe("ap-beijing");
  });

  it("authorises against the region the call names", async () => {
    const beijingOnly = await subUser("beijing", { effect: "allow", action: ["kms:ListKeys"], resource: ["qcs::kms:ap-beijing:uin/*"] });
    expect((await callMethod(kms.core.pipeline, KeyManagementService.method.listKeys, {}, beijingOnly, { region: "ap-beijing" })).ok).toBe(true);
    const elsewhere = await callMethod(kms.core.pipeline, KeyManagementService.method.listKeys, {}, beijingOnly, { region: "ap-guangzhou" });
    expect(elsewhere.ok ? "" : elsewhere.outcome.code).toBe("UnauthorizedOperation");
  });

  it("answers a missing key and a key outside a creator-scoped grant alike, naming neither creator nor existence", async () => {
    const { keyId } = await expectOk<{ keyId: string }>(callMethod(kms.core.pipeline, KeyManagementService.method.createKey, { alias: "pipeline-owned-by-root" }, root));
    const own = await subUser("creator-scoped", { effect: "allow", action: ["kms:DescribeKey"], resource: ["qcs::kms::uin/*:key/creatorUin/999999999999/*"] });
    const other = await callMethod(kms.core.pipeline, KeyManagementService.method.describeKey, { keyId }, own);
    const missing = await callMethod(kms.core.pipeline, KeyManagementService.method.describeKey, { keyId: "00000000-0000-4000-8000-000000000000" }, own);
    const answer = (s: typeof other) => (s.ok ? undefined : { code: s.outcome.code, message: s.outcome.message });
    expect(answer(other)).toEqual(answer(missing));
    expect(answer(other)?.code).toBe("UnauthorizedOperation");
    expect(answer(other)?.message).not.toMatch(/\d{12}/);
  });

  it("answers an unexpected failure with a fixed message and its RequestId, and logs the cause under that id", async () => {
    const { directory, audit, deps } = kms.core.domain;
    const routes = new RouteTable();
    const broken = { ...actions, getRegions: async () => Promise.reject(new Error("disk on fire at /var/secret/path")) };
    routes.add({ service: KeyManagementService, deps, actions: broken, policyService: "kms", resourceService: "kms", resources: keyResources((id) => deps.repo.getKey(id)), api: KMS_API });
    const pipeline = new CallPipeline({ routes, access: { directory, gate: new Gate(directory) }, audit, accountUin: 100000000001n, regions: ["ap-guangzhou"], rateLimits: { api3: 0, rpc: 0 }, now: () => kms.clock.now(), log: { info: () => {}, warn: () => {}, error: (m, e) => kms.logged.push(`${m}: ${e instanceof Error ? e.message : ""}`) } });
    const served = await callMethod(pipeline, KeyManagementService.method.getRegions, {}, root);
    expect(served.ok).toBe(false);
    if (served.ok) return;
    expect(served.outcome.code).toBe("InternalError");
    expect(served.outcome.message).toContain(served.call.requestId);
    expect(served.outcome.message).not.toMatch(/disk|secret/);
    expect(kms.logged.some((l) => l.includes(served.call.requestId) && l.includes("disk on fire"))).toBe(true);
  });

  it("limits RPC calls per credential and action when configured, and audits the refusal", async () => {
    const { directory, audit } = kms.core.domain;
    const pipeline = new CallPipeline({ routes: kms.core.pipeline.routes, access: { directory, gate: new Gate(directory) }, audit, accountUin: 100000000001n, regions: ["ap-guangzhou"], rateLimits: { api3: 0, rpc: 2 }, now: () => kms.clock.now(), log: { info: () => {}, warn: () => {}, error: () => {} } });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await callMethod(pipeline, KeyManagementService.method.getRegions, {}, root));
    expect(results.map((r) => (r.ok ? "ok" : r.outcome.code))).toEqual(["ok", "ok", "RequestLimitExceeded", "RequestLimitExceeded"]);
    const limited = results[2]!;
    expect((await events({ action: "kms:GetRegions", result: "RequestLimitExceeded" })).some((e) => e.requestId === limited.call.requestId)).toBe(true);
  });

  it("names admin calls kmsadmin:<Method> and checks them against the account", async () => {
    const keysOnly = await subUser("keys-only", { effect: "allow", action: ["kms:*"], resource: ["*"] });
    const served = await callMethod(kms.core.pipeline, AdminService.method.listPrincipals, {}, keysOnly);
    expect(served.ok ? "" : served.outcome.code).toBe("UnauthorizedOperation");
    expect(served.call.action).toBe("kmsadmin:ListPrincipals");
  });
});

describe("the route table", () => {
  it("finds every method by gRPC path and by API version and action, and nothing else", () => {
    const routes = kms.core.pipeline.routes;
    for (const m of KeyManagementService.methods) {
      expect(routes.byGrpcPath(`/kms.v1.KeyManagementService/${m.name}`)?.method).toBe(m);
      expect(routes.byApiAction("2019-01-18", m.name)?.method).toBe(m);
    }
    for (const m of SecretsManagerService.methods) {
      expect(routes.byGrpcPath(`/ssm.v1.SecretsManagerService/${m.name}`)?.method).toBe(m);
      expect(routes.byApiAction("2019-09-23", m.name)?.method).toBe(m);
    }
    // The two products share two action names: the version tells them apart.
    for (const name of ["GetServiceStatus", "GetRegions"]) {
      expect(routes.byApiAction("2019-01-18", name)?.method.parent).toBe(KeyManagementService);
      expect(routes.byApiAction("2019-09-23", name)?.method.parent).toBe(SecretsManagerService);
    }
    expect(routes.byApiAction("2019-01-18", "CreateSecret")).toBeUndefined();
    expect(routes.byApiAction("2019-09-23", "Encrypt")).toBeUndefined();
    expect(routes.byApiAction("2019-01-18", "CreatePrincipal")).toBeUndefined();
    expect(routes.byApiAction("2099-01-01", "CreateKey")).toBeUndefined();
    expect(routes.apiVersions()).toEqual(["2019-01-18", "2019-09-23"]);
  });

  it("refuses a service registered twice or an actions table that does not match its service", () => {
    const { deps } = kms.core.domain;
    const routes = new RouteTable();
    routes.add({ service: KeyManagementService, deps, actions, policyService: "kms", resourceService: "kms" });
    expect(() => routes.add({ service: KeyManagementService, deps, actions, policyService: "kms", resourceService: "kms" })).toThrow(/registered twice/);
    const { encrypt: _dropped, ...partial } = actions;
    expect(() => new RouteTable().add({ service: KeyManagementService, deps, actions: partial as typeof actions, policyService: "kms", resourceService: "kms" })).toThrow(/differ/);
  });
});
