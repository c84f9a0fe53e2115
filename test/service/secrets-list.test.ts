/**
 * ListSecrets with every filter the SDK documents (State, SearchSecretName,
 * TagFilters, SecretType, ProductName, EncryptType, InstanceID), OrderType
 * and paging (Limit 0 = 20); and the request fields the gateway must require.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsManagerService, SecretStatus } from "../../gen/ssm/v1/ssm_pb.js";
import { SSM_API } from "../../src/contract/ssm-api.js";

const SSM_REQUIRED = SSM_API.required;
import { codeOf, openHarness, type Harness } from "./secrets-harness.js";

let h: Harness;

beforeAll(async () => {
  h = await openHarness();
  // 25 secrets a minute apart: s00 oldest ... s24 newest; every 5th tagged team=a, the other multiples of 3 team=b; some disabled, some pending deletion.
  for (let i = 0; i < 25; i++) {
    const name = `s${String(i).padStart(2, "0")}`;
    const tags = i % 5 === 0 ? [{ tagKey: "team", tagValue: "a" }] : i % 3 === 0 ? [{ tagKey: "team", tagValue: "b" }] : [];
    await h.ssm("CreateSecret", { secretName: name, secretString: `v${i}`, tags });
    h.clock.advance(60_000);
  }
  for (const i of [1, 2, 3]) await h.ssm("DisableSecret", { secretName: `s0${i}` });
  await h.ssm("DeleteSecret", { secretName: "s03", recoveryWindowInDays: 3 });
  await h.ssm("CreateSecret", { secretName: "other-db", secretString: "x" });
  await h.ssm("CreateSSHKeyPairSecret", { secretName: "ssh-one", projectId: 0n });
});
afterAll(async () => h.close());

const names = (r: { secretMetadatas: { secretName: string }[] }) => r.secretMetadatas.map((m) => m.secretName);

describe("ListSecrets", () => {
  it("by default: user-defined secrets, newest first, 20 per page, TotalCount over all pages", async () => {
    const r = await h.ssm("ListSecrets", {});
    expect(r.totalCount).toBe(26);
    expect(names(r)).toEqual(["other-db", ...Array.from({ length: 19 }, (_, i) => `s${String(24 - i).padStart(2, "0")}`)]);
  });

  it("OrderType 1 is oldest first; Offset and Limit page", async () => {
    const r = await h.ssm("ListSecrets", { orderType: 1, offset: 2, limit: 3 });
    expect(r.totalCount).toBe(26);
    expect(names(r)).toEqual(["s02", "s03", "s04"]);
    expect(names(await h.ssm("ListSecrets", { offset: 25, limit: 10 }))).toEqual(["s00"]);
    expect(names(await h.ssm("ListSecrets", { offset: 40 }))).toEqual([]);
  });

  it("State filters by status (1 Enabled, 2 Disabled, 3 PendingDelete, 4 Creating, 5 Failed)", async () => {
    expect((await h.ssm("ListSecrets", { state: 1, limit: 100 })).totalCount).toBe(23);
    expect(names(await h.ssm("ListSecrets", { state: 2, orderType: 1 }))).toEqual(["s01", "s02"]);
    const pending = await h.ssm("ListSecrets", { state: 3 });
    expect(names(pending)).toEqual(["s03"]);
    expect(pending.secretMetadatas[0]).toMatchObject({ status: SecretStatus.PENDING_DELETE });
    expect(pending.secretMetadatas[0]!.deleteTime).toBeGreaterThan(0n);
    expect((await h.ssm("ListSecrets", { state: 4 })).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", { state: 5 })).totalCount).toBe(0);
  });

  it("SearchSecretName matches part of the name", async () => {
    expect(names(await h.ssm("ListSecrets", { searchSecretName: "s1", orderType: 1 }))).toEqual(["s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19"]);
    expect(names(await h.ssm("ListSecrets", { searchSecretName: "db" }))).toEqual(["other-db"]);
    expect((await h.ssm("ListSecrets", { searchSecretName: "zzz" })).totalCount).toBe(0);
  });

  it("TagFilters: the key with one of the values, or any value when none is given; several filters AND", async () => {
    expect(names(await h.ssm("ListSecrets", { tagFilters: [{ tagKey: "team", tagValue: ["a"] }], orderType: 1 }))).toEqual(["s00", "s05", "s10", "s15", "s20"]);
    expect((await h.ssm("ListSecrets", { tagFilters: [{ tagKey: "team", tagValue: ["a", "b"] }] })).totalCount).toBe(5 + 7);
    expect((await h.ssm("ListSecrets", { tagFilters: [{ tagKey: "team" }] })).totalCount).toBe(12);
    expect((await h.ssm("ListSecrets", { tagFilters: [{ tagKey: "team", tagValue: ["a"] }, { tagKey: "team", tagValue: ["b"] }] })).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", { tagFilters: [{ tagKey: "owner" }] })).totalCount).toBe(0);
    expect(names(await h.ssm("ListSecrets", { tagFilters: [{ tagKey: "team", tagValue: ["b"] }], state: 3 }))).toEqual(["s03"]);
  });

  it("SecretType selects the kind; ProductName and InstanceID select cloud products (none here); EncryptType 1 matches nothing", async () => {
    expect(names(await h.ssm("ListSecrets", { secretType: 2 }))).toEqual(["ssh-one"]);
    expect((await h.ssm("ListSecrets", { secretType: 1 })).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", { secretType: 1, productName: "Mysql,Tdsql-mysql" })).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", { instanceId: "cdb-1" })).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", { encryptType: 1 })).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", { encryptType: 0 })).totalCount).toBe(26);
  });

  it("metadata carries what the SDK parses", async () => {
    const m = (await h.ssm("ListSecrets", { searchSecretName: "s05" })).secretMetadatas[0]!;
    expect(m).toMatchObject({ secretName: "s05", status: SecretStatus.ENABLED, secretType: 0, kmsKeyType: 1, encryptType: 0, createUinString: "100000000001" });
    expect(m.kmsKeyId).toMatch(/^[0-9a-f-]{36}$/);
    const ssh = (await h.ssm("ListSecrets", { secretType: 2 })).secretMetadatas[0]!;
    expect(ssh.resourceName).toBe((await h.ssm("GetSSHKeyPairValue", { secretName: "ssh-one" })).sshKeyName);
  });

  it.each([
    ["OrderType 2", { orderType: 2 }],
    ["State 6", { state: 6 }],
    ["SecretType 4", { secretType: 4 }],
    ["EncryptType 2", { encryptType: 2 }],
    ["an empty TagKey", { tagFilters: [{ tagKey: "" }] }],
  ])("refuses %s with InvalidParameterValue", async (_what, init) => {
    expect(await codeOf(h.ssm("ListSecrets", init))).toBe("InvalidParameterValue");
  });

  it("lists only the caller's account and region", async () => {
    expect((await h.ssm("ListSecrets", {}, h.call({ region: "ap-shanghai" }))).totalCount).toBe(0);
    expect((await h.ssm("ListSecrets", {}, h.call({ uin: 200000000002n }))).totalCount).toBe(0);
  });
});

describe("SSM_REQUIRED (for the gateway)", () => {
  it("names, for every request of the service, real API fields", () => {
    for (const m of SecretsManagerService.methods) {
      const required = SSM_REQUIRED[m.input.typeName];
      expect(required, m.input.typeName).toBeDefined();
      const apiNames = new Set(m.input.fields.map((f) => f.jsonName));
      for (const name of required!) expect(apiNames.has(name), `${m.input.typeName}.${name}`).toBe(true);
    }
  });

  it("matches the SDK: every non-optional request field of ssm_models.d.ts, and only those", () => {
    const require = createRequire(import.meta.url);
    const dts = readFileSync(require.resolve("tencentcloud-sdk-nodejs/tencentcloud/services/ssm/v20190923/ssm_models.d.ts"), "utf8");
    const sdkRequired = new Map<string, string[]>();
    for (const [, iface, body] of dts.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
      const fields = [...body!.matchAll(/^\s{4}(\w+)(\??):/gm)].filter(([, , opt]) => opt === "").map(([, f]) => f!);
      sdkRequired.set(iface!, fields);
    }
    for (const m of SecretsManagerService.methods) {
      const name = m.input.name;
      if (!sdkRequired.has(name) && !/^(GetServiceStatus|GetRegions|DescribeSupportedProducts)Request$/.test(name)) continue; // the seed's own actions
      expect([...SSM_REQUIRED[m.input.typeName]!].sort(), name).toEqual([...(sdkRequired.get(name) ?? [])].sort());
    }
    expect([...SSM_REQUIRED["ssm.v1.Tag"]!].sort()).toEqual([...sdkRequired.get("Tag")!].sort());
    expect([...SSM_REQUIRED["ssm.v1.TagFilter"]!].sort()).toEqual([...sdkRequired.get("TagFilter")!].sort());
    expect([...SSM_REQUIRED["ssm.v1.ProductPrivilegeUnit"]!].sort()).toEqual([...sdkRequired.get("ProductPrivilegeUnit")!].sort());
  });
});
