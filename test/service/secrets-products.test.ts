/**
 * Product secrets in the secrets family, in-process: the lifecycle table for
 * type 1 secrets (every product action and every write in every state, with
 * the code SSM documents and nothing written on refusal), the family's
 * ProductSecretValues (SSM_Current and the flows' versions, sealed by the
 * secret's CMK), and a create flow against an instance that cannot be
 * reached. The flows on a real database are tested in products-rotation and
 * through the real server (e2e/ssm-sdk).
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProductValues, historyOf } from "../../src/secrets/product-values.js";
import { buildInstanceRecord } from "../../src/secrets/products/instance.js";
import { PRODUCTS } from "../../src/secrets/products/registry.js";
import { runSecretsDueWork } from "../../src/secrets/scheduler.js";
import type { SecretRecord, SecretStatus } from "../../src/secrets/secret.js";
import { ACCOUNT, codeOf, expectRefusedUnchanged, openHarness, REGION, type Harness } from "./secrets-harness.js";

let h: Harness;
let cmk: string;
let closedPort: number;
const scope = { account: ACCOUNT.toString(), region: REGION };
const ref = (secretName: string) => ({ uin: scope.account, region: REGION, secretName });
const STATES: readonly SecretStatus[] = ["Enabled", "Disabled", "PendingDelete", "Creating", "Failed"];

/** A port nothing listens on: a registered instance there is unreachable. */
async function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A product secret brought into `state` as the flows would leave it: record
 * and binding as CreateProductSecret writes them, then (Enabled and later) the
 * first credentials committed through the family's ProductSecretValues.
 */
async function productIn(state: SecretStatus, name: string): Promise<void> {
  const record: SecretRecord = {
    name,
    ...scope,
    description: "",
    kmsKeyId: cmk,
    kmsKeyType: "CUSTOMER",
    creatorUin: scope.account,
    status: "Creating",
    secretType: 1,
    createTime: h.clock.now(),
    additionalConfig: "",
    tags: [],
    versions: [],
    product: { name: "Mysql", instanceId: "cdb-x" },
  };
  const engine = h.secrets.products;
  const binding = { ...ref(name), product: "Mysql", instanceId: "cdb-x", userNamePrefix: "p", users: ["pSSM001", "pSSM002"], hosts: ["%"], privileges: [], rotation: { enabled: false, frequencyDays: 1 }, createTime: h.clock.now() };
  await h.store.batch([h.secrets.repo.putRecord(record), ...engine.repo.putBinding(binding)]);
  const values = createProductValues(h.secrets);
  if (state === "Creating") return;
  if (state === "Failed") {
    await h.store.batch((await values.failOps(ref(name), { flowId: 1, nowMs: h.clock.now(), kind: "create", reason: "test" })).ops);
    return;
  }
  const { ops } = await values.commitOps(ref(name), { UserName: "pSSM001", Password: `pw-${name}` }, { flowId: 1, nowMs: h.clock.now() });
  await h.store.batch(ops);
  if (state === "Enabled") return;
  await h.ssm("DisableSecret", { secretName: name });
  if (state === "PendingDelete") await h.ssm("DeleteSecret", { secretName: name, recoveryWindowInDays: 7 });
}

const RD = "ResourceUnavailable.ResourceDisabled";
const RPD = "ResourceUnavailable.ResourcePendingDeleted";
const UNINIT = "ResourceUnavailable.ResourceUninitialized";
const AUTO = "OperationDenied.AutoRotatedResource";
const FO = "FailedOperation";
/** Needs a database: covered through the real server (e2e/ssm-sdk.test.ts). */
const DB = "database";

/** [action, request for secret `n`, outcome in Enabled, Disabled, PendingDelete, Creating, Failed], from SSM's documentation. */
const MATRIX: [string, (n: string) => object, string[]][] = [
  ["GetSecretValue", (n) => ({ secretName: n, versionId: "SSM_Current" }), ["ok", RD, RPD, UNINIT, UNINIT]],
  ["PutSecretValue", (n) => ({ secretName: n, versionId: "mine", secretString: "x" }), [AUTO, AUTO, AUTO, AUTO, AUTO]],
  ["UpdateSecret", (n) => ({ secretName: n, versionId: "SSM_Current", secretString: "x" }), [AUTO, AUTO, AUTO, AUTO, AUTO]],
  ["DeleteSecretVersion", (n) => ({ secretName: n, versionId: "SSM_Current" }), [FO, FO, FO, FO, FO]],
  ["DisableSecretVersion", (n) => ({ secretName: n, versionId: "SSM_Current" }), [FO, FO, FO, FO, FO]],
  ["UpdateSecretVersion", (n) => ({ secretName: n, versionId: "SSM_Current", validTo: 4102444800n }), [FO, FO, FO, FO, FO]],
  ["ExportSecret", (n) => ({ secretName: n, kmsKeyId: cmk }), [FO, FO, FO, FO, FO]],
  ["UpdateDescription", (n) => ({ secretName: n, description: "d" }), ["ok", "ok", FO, FO, FO]],
  ["EnableSecret", (n) => ({ secretName: n }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["DisableSecret", (n) => ({ secretName: n }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["DeleteSecret", (n) => ({ secretName: n }), [FO, "ok", FO, UNINIT, "ok"]],
  ["RotateProductSecret", (n) => ({ secretName: n }), [DB, RD, RPD, UNINIT, UNINIT]],
  ["UpdateRotationStatus", (n) => ({ secretName: n, enableRotation: true, frequency: 30 }), ["ok", "ok", RPD, UNINIT, UNINIT]],
  ["DescribeRotationDetail", (n) => ({ secretName: n }), ["ok", "ok", "ok", "ok", "ok"]],
  ["DescribeRotationHistory", (n) => ({ secretName: n }), ["ok", "ok", "ok", "ok", "ok"]],
  ["DescribeSecret", (n) => ({ secretName: n }), ["ok", "ok", "ok", "ok", "ok"]],
];

beforeAll(async () => {
  h = await openHarness();
  cmk = (await h.kmsCall("CreateKey", { alias: "products-cmk" })).keyId;
  closedPort = await unusedPort();
  // Registered straight into the store (registration would log in first): an instance nobody serves.
  const instance = buildInstanceRecord({ instanceId: "cdb-down", product: "Mysql", host: "127.0.0.1", port: closedPort, adminUser: "admin", adminPassword: "not-used-1" }, { uin: scope.account, region: REGION }, h.kms.rootKey, PRODUCTS, h.clock.now());
  await h.store.batch([h.secrets.products.instances.put(instance)]);
});
afterAll(async () => h?.close());

describe("a product secret in every state", () => {
  for (const [action, request, outcomes] of MATRIX) {
    STATES.forEach((state, i) => {
      const expected = outcomes[i] as string;
      if (expected === DB) return;
      it(`${action} on a ${state} product secret: ${expected}`, async () => {
        const name = `${action}-${state}`;
        await productIn(state, name);
        const run = () => h.ssm(action as "DescribeSecret", request(name) as { secretName: string });
        if (expected !== "ok") return expectRefusedUnchanged(h, run, expected);
        await run();
      });
    });
  }

  it("serves the committed credentials, lists the accounts and shows the rotation policy", async () => {
    await productIn("Enabled", "shown");
    expect(JSON.parse((await h.ssm("GetSecretValue", { secretName: "shown", versionId: "SSM_Current" })).secretString)).toEqual({ UserName: "pSSM001", Password: "pw-shown" });
    await h.ssm("UpdateRotationStatus", { secretName: "shown", enableRotation: true, frequency: 45 });
    const d = await h.ssm("DescribeSecret", { secretName: "shown" });
    expect(d).toMatchObject({ secretType: 1, productName: "Mysql", resourceId: "cdb-x", rotationStatus: true, rotationFrequency: 45 });
    // No flow committed these credentials here, so neither account is named current (a flow's Done record does that).
    expect(d.accountInfoList.map((a) => [a.accountName, a.version])).toEqual([
      ["pSSM001", "待轮转"],
      ["pSSM002", "待轮转"],
    ]);
    expect(d.nextRotationTime).not.toBe("");
    const listed = (await h.ssm("ListSecrets", { secretType: 1, searchSecretName: "shown" })).secretMetadatas.find((m) => m.secretName === "shown");
    expect(listed).toMatchObject({ rotationStatus: 1, rotationFrequency: 45, productName: "Mysql", resourceId: "cdb-x" });
    expect(listed?.nextRotationTime).toBeGreaterThan(0n);
    expect((await h.ssm("UpdateRotationStatus", { secretName: "shown", enableRotation: false })) && (await h.ssm("DescribeRotationDetail", { secretName: "shown" }))).toMatchObject({
      enableRotation: false,
      frequency: 45,
      nextRotateBeginTime: "",
    });
  });
});

describe("the rotation actions on other secrets", () => {
  it("refuse user-defined and SSH secrets with the documented codes, writing nothing", async () => {
    await h.ssm("CreateSecret", { secretName: "plain", secretString: "x" });
    await expectRefusedUnchanged(h, () => h.ssm("RotateProductSecret", { secretName: "plain" }), "FailedOperation.RotationForbidden");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateRotationStatus", { secretName: "plain", enableRotation: true }), "FailedOperation.RotationForbidden");
    await expectRefusedUnchanged(h, () => h.ssm("DescribeRotationDetail", { secretName: "plain" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("DescribeRotationHistory", { secretName: "plain" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("RotateProductSecret", { secretName: "nobody" }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateRotationStatus", { secretName: "plain" }), "MissingParameter");
    for (const frequency of [0, 29, 366]) await expectRefusedUnchanged(h, () => h.ssm("UpdateRotationStatus", { secretName: "plain", enableRotation: true, frequency }), "InvalidParameterValue");
  });
});

describe("the family's ProductSecretValues", () => {
  it("keeps SSM_Current and the newest ten committed versions, each sealed under the secret's CMK", async () => {
    await productIn("Enabled", "history");
    const values = createProductValues(h.secrets);
    for (let flowId = 2; flowId <= 13; flowId++) {
      const { ops, versionId } = await values.commitOps(ref("history"), { UserName: flowId % 2 ? "pSSM001" : "pSSM002", Password: `pw-${flowId}` }, { flowId, nowMs: h.clock.now() });
      expect(versionId).toBe(`SSM_${flowId}`);
      await h.store.batch(ops);
    }
    const secret = (await h.secrets.repo.get(scope, "history"))!;
    expect(historyOf(secret).map((v) => v.versionId)).toEqual(["SSM_4", "SSM_5", "SSM_6", "SSM_7", "SSM_8", "SSM_9", "SSM_10", "SSM_11", "SSM_12", "SSM_13"]);
    expect(secret.versions[0]?.versionId).toBe("SSM_Current");
    expect(await values.read(ref("history"))).toEqual({ current: { UserName: "pSSM001", Password: "pw-13" }, previous: { UserName: "pSSM002", Password: "pw-12" } });
    expect(JSON.parse((await h.ssm("GetSecretValue", { secretName: "history", versionId: "SSM_7" })).secretString).Password).toBe("pw-7");
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "history", versionId: "SSM_3" }))).toBe("ResourceNotFound");
    // Pruned versions leave no value behind.
    expect(await h.secrets.repo.getValue(scope, "history", "SSM_3")).toBeUndefined();
    // A disabled CMK: the flow's commit is refused with SSM's code (the engine fails the flow with it).
    await h.kmsCall("DisableKey", { keyId: cmk });
    expect(await codeOf(values.commitOps(ref("history"), { UserName: "pSSM002", Password: "pw-14" }, { flowId: 14, nowMs: h.clock.now() }))).toBe("FailedOperation.AccessKmsError");
    await h.kmsCall("EnableKey", { keyId: cmk });
  });
});

describe("CreateProductSecret against an instance that cannot be reached", () => {
  const request = { secretName: "unreachable", userNamePrefix: "u", productName: "Mysql", instanceId: "cdb-down", domains: ["%"], privilegesList: [{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"] }] };

  it("refuses what is wrong before writing anything", async () => {
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, instanceId: "cdb-none" }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, productName: "Redis" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, domains: [] }), "MissingParameter");
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, accountRemark: "x" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, encryptType: 1 }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, rotationFrequency: 0 }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateProductSecret", { ...request, secretName: "plain" }), "ResourceInUse.SecretExists");
  });

  it("is Creating, then Failed with the reason in DescribeAsyncRequestInfo; another account or region cannot see the flow", async () => {
    const { flowId } = await h.ssm("CreateProductSecret", request);
    await h.secrets.products.settled();
    const info = await h.ssm("DescribeAsyncRequestInfo", { flowId });
    expect(info.taskStatus).toBe(2);
    expect(info.description).toMatch(/unreachable/);
    expect((await h.ssm("DescribeSecret", { secretName: "unreachable" })).status).toBe(5);
    expect(await codeOf(h.ssm("DescribeAsyncRequestInfo", { flowId }, h.call({ region: "ap-shanghai" })))).toBe("ResourceNotFound");
    expect(await codeOf(h.ssm("DescribeAsyncRequestInfo", { flowId }, h.call({ uin: 200000000002n })))).toBe("ResourceNotFound");
    // The failed secret can be deleted; its flows go with it.
    await h.ssm("DeleteSecret", { secretName: "unreachable" });
    expect(await codeOf(h.ssm("DescribeAsyncRequestInfo", { flowId }))).toBe("ResourceNotFound");
    expect(await h.secrets.products.binding(ref("unreachable"))).toBeUndefined();
  });
});

describe("the purge of a product secret deleted with DeleteMode 1", () => {
  it("waits while its accounts cannot be dropped, and goes with its binding and flows once they need not be", async () => {
    await productIn("Disabled", "purged");
    await h.ssm("DeleteSecret", { secretName: "purged", recoveryWindowInDays: 1, deleteMode: 1 });
    expect((await h.secrets.repo.get(scope, "purged"))?.product?.dropAccounts).toBe(true);
    h.clock.advance(86_400_000 + 1000);
    // Its instance (cdb-x) is not registered: the accounts cannot be dropped, so the purge is postponed, the secret kept.
    const [postponed] = await runSecretsDueWork(h.secrets, h.clock.now());
    expect(postponed).toMatchObject({ name: "purged", postponed: expect.stringContaining("cdb-x") });
    expect((await h.ssm("DescribeSecret", { secretName: "purged" })).status).toBe(3);
    // Restored, it keeps its accounts whatever DeleteMode said; deleted with DeleteMode 0 it is purged, binding and all.
    await h.ssm("RestoreSecret", { secretName: "purged" });
    expect((await h.secrets.repo.get(scope, "purged"))?.product?.dropAccounts).toBeUndefined();
    await h.ssm("DeleteSecret", { secretName: "purged", recoveryWindowInDays: 1 });
    h.clock.advance(86_400_000 + 1000);
    expect(await runSecretsDueWork(h.secrets, h.clock.now())).toEqual([{ ...scope, name: "purged" }]);
    expect(await h.secrets.repo.get(scope, "purged")).toBeUndefined();
    expect(await h.secrets.products.binding(ref("purged"))).toBeUndefined();
  });
});
