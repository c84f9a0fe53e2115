/**
 * Secrets Manager's user-defined secrets in-process, every action with its
 * refusals (exact codes), over a real LevelDB and the real key domain.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KmsKeyType, SecretStatus } from "../../gen/ssm/v1/ssm_pb.js";
import { runSecretsDueWork } from "../../src/secrets/scheduler.js";
import { ACCOUNT, codeOf, errorOf, expectRefusedUnchanged, openHarness, REGION, type Harness } from "./secrets-harness.js";

let h: Harness;
let cmk: string;

beforeAll(async () => {
  h = await openHarness();
  cmk = (await h.kmsCall("CreateKey", { alias: "secrets-cmk" })).keyId;
});
afterAll(async () => h.close());

const text = (name: string, value: string, more: object = {}) => ({ secretName: name, secretString: value, ...more });

describe("CreateSecret", () => {
  it("creates an Enabled secret whose first version is SSM_Current by default, and reads it back", async () => {
    const out = await h.ssm("CreateSecret", text("db-password", "hunter2-abc"));
    expect(out).toMatchObject({ secretName: "db-password", versionId: "SSM_Current", tagCode: 0, tagMsg: "Success" });
    const v = await h.ssm("GetSecretValue", { secretName: "db-password", versionId: "SSM_Current" });
    expect(v.secretString).toBe("hunter2-abc");
    expect(v.secretBinary.length).toBe(0);
    const d = await h.ssm("DescribeSecret", { secretName: "db-password" });
    expect(d).toMatchObject({ secretName: "db-password", status: SecretStatus.ENABLED, secretType: 0, createUin: ACCOUNT, createUinString: ACCOUNT.toString(), deleteTime: 0n });
    expect(d.createTime).toBe(BigInt(Math.floor(h.clock.now() / 1000)));
  });

  it("keeps binary values binary and answers them as bytes", async () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 0]);
    await h.ssm("CreateSecret", { secretName: "bin", versionId: "v1", secretBinary: bytes });
    const v = await h.ssm("GetSecretValue", { secretName: "bin", versionId: "v1" });
    expect([...v.secretBinary]).toEqual([...bytes]);
    expect(v.secretString).toBe("");
  });

  it("encrypts under Secrets Manager's default CMK, one per account and region, created on first use", async () => {
    const a = await h.ssm("DescribeSecret", { secretName: "db-password" });
    expect(a.kmsKeyType).toBe(KmsKeyType.DEFAULT);
    await h.ssm("CreateSecret", text("second", "x"));
    expect((await h.ssm("DescribeSecret", { secretName: "second" })).kmsKeyId).toBe(a.kmsKeyId);
    const key = await h.kmsCall("DescribeKey", { keyId: a.kmsKeyId });
    expect(key.keyMetadata?.alias).toMatch(/^ssm-default-[a-z0-9]{12}$/);
    expect(key.keyMetadata?.description).toContain(`account ${ACCOUNT} in ${REGION}`);
    // Another region of the same account gets its own.
    const sh = h.call({ region: "ap-shanghai" });
    await h.ssm("CreateSecret", text("second", "y"), sh);
    const other = await h.ssm("DescribeSecret", { secretName: "second" }, sh);
    expect(other.kmsKeyId).not.toBe(a.kmsKeyId);
    expect(other.kmsKeyType).toBe(KmsKeyType.DEFAULT);
  });

  it("names are unique per account and region, not globally", async () => {
    await h.ssm("CreateSecret", text("shared-name", "a"));
    await h.ssm("CreateSecret", text("shared-name", "b"), h.call({ region: "ap-shanghai" }));
    await h.ssm("CreateSecret", text("shared-name", "c"), h.call({ uin: 200000000002n }));
    expect((await h.ssm("GetSecretValue", { secretName: "shared-name", versionId: "SSM_Current" })).secretString).toBe("a");
    expect((await h.ssm("GetSecretValue", { secretName: "shared-name", versionId: "SSM_Current" }, h.call({ region: "ap-shanghai" }))).secretString).toBe("b");
    expect((await h.ssm("GetSecretValue", { secretName: "shared-name", versionId: "SSM_Current" }, h.call({ uin: 200000000002n }))).secretString).toBe("c");
    expect(await codeOf(h.ssm("DescribeSecret", { secretName: "shared-name" }, h.call({ uin: 300000000003n })))).toBe("ResourceNotFound");
  });

  it("uses a CMK the caller names (CUSTOMER), with tags and a description", async () => {
    await h.ssm("CreateSecret", text("custom", "v", { kmsKeyId: cmk, description: "app creds", tags: [{ tagKey: "team", tagValue: "pay" }], additionalConfig: '{"a":1}' }));
    const d = await h.ssm("DescribeSecret", { secretName: "custom" });
    expect(d).toMatchObject({ kmsKeyId: cmk, kmsKeyType: KmsKeyType.CUSTOMER, description: "app creds", additionalConfig: '{"a":1}' });
    expect(d.tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["team", "pay"]]);
  });

  it("refuses an existing name with ResourceInUse.SecretExists and writes nothing", async () => {
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", text("db-password", "other")), "ResourceInUse.SecretExists");
  });

  it.each([
    ["empty name", { secretName: "" }],
    ["name starting with -", { secretName: "-x" }],
    ["name with a dot", { secretName: "a.b" }],
    ["name of 129 bytes", { secretName: "a".repeat(129) }],
    ["version id starting with .", { secretName: "ok", versionId: ".v" }],
    ["version id of 65 bytes", { secretName: "ok", versionId: "v".repeat(65) }],
    ["version id with /", { secretName: "ok", versionId: "a/b" }],
    ["description over 2048 bytes", { secretName: "ok", description: "é".repeat(1025) }],
    ["SecretType 1", { secretName: "ok", secretType: 1 }],
    ["EncryptType 1", { secretName: "ok", encryptType: 1 }],
    ["a KmsHsmClusterId", { secretName: "ok", kmsHsmClusterId: "cluster-1" }],
    ["AdditionalConfig that is not a JSON object", { secretName: "ok", additionalConfig: "[1]" }],
    ["a malformed KmsKeyId", { secretName: "ok", kmsKeyId: "not-a-key" }],
    ["a tag key of 128 characters", { secretName: "ok", tags: [{ tagKey: "k".repeat(128), tagValue: "" }] }],
    ["51 tags", { secretName: "ok", tags: Array.from({ length: 51 }, (_, i) => ({ tagKey: `k${i}`, tagValue: "" })) }],
  ])("refuses %s with InvalidParameterValue", async (_what, init) => {
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretString: "v", ...init }), "InvalidParameterValue");
  });

  it("refuses duplicate tag keys with InvalidParameterValue.TagKeysDuplicated", async () => {
    const tags = [
      { tagKey: "k", tagValue: "1" },
      { tagKey: "k", tagValue: "2" },
    ];
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", text("ok", "v", { tags })), "InvalidParameterValue.TagKeysDuplicated");
  });

  it("takes exactly one of SecretString and SecretBinary, 1 to 32768 bytes", async () => {
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok", secretString: "a", secretBinary: new Uint8Array([1]) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok", secretString: "" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok", secretBinary: new Uint8Array(0) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok", secretString: "x".repeat(32769) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok", secretBinary: new Uint8Array(32769) }), "InvalidParameterValue");
    // 32768 bytes of UTF-8 is the limit, not 32768 characters.
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", { secretName: "ok", secretString: "é".repeat(16385) }), "InvalidParameterValue");
    await h.ssm("CreateSecret", { secretName: "max-string", secretString: "é".repeat(16384) });
    await h.ssm("CreateSecret", { secretName: "max-binary", secretBinary: new Uint8Array(32768).fill(7) });
    expect((await h.ssm("GetSecretValue", { secretName: "max-binary", versionId: "SSM_Current" })).secretBinary.length).toBe(32768);
  });

  it("answers FailedOperation.AccessKmsError for a CMK the key domain refuses, naming its code, and writes nothing", async () => {
    const missing = "11111111-2222-4333-8444-555555555555";
    const e1 = await errorOf(h.ssm("CreateSecret", text("kms-bad", "v", { kmsKeyId: missing })));
    expect(e1).toMatchObject({ code: "FailedOperation.AccessKmsError" });
    expect(e1.message).toContain("ResourceUnavailable.CmkNotFound");
    const rsa = (await h.kmsCall("CreateKey", { alias: "rsa-key", keyUsage: 2 })).keyId;
    await expectRefusedUnchanged(h, () => h.ssm("CreateSecret", text("kms-bad", "v", { kmsKeyId: rsa })), "FailedOperation.AccessKmsError");
    const off = (await h.kmsCall("CreateKey", { alias: "off-key" })).keyId;
    await h.kmsCall("DisableKey", { keyId: off });
    const e3 = await errorOf(h.ssm("CreateSecret", text("kms-bad", "v", { kmsKeyId: off })));
    expect(e3).toMatchObject({ code: "FailedOperation.AccessKmsError" });
    expect(e3.message).toContain("ResourceUnavailable.CmkDisabled");
    expect(await codeOf(h.ssm("DescribeSecret", { secretName: "kms-bad" }))).toBe("ResourceNotFound");
  });
});

describe("limits", () => {
  it("refuses more secrets than SecretLimit in a region with LimitExceeded (every state counts), and GetServiceStatus reports both", async () => {
    const small = await openHarness({ settings: { secretLimit: 2 } });
    try {
      await small.ssm("CreateSecret", text("a", "1"));
      await small.ssm("CreateSecret", text("b", "2"));
      await expectRefusedUnchanged(small, () => small.ssm("CreateSecret", text("c", "3")), "LimitExceeded");
      await expectRefusedUnchanged(small, () => small.ssm("CreateSSHKeyPairSecret", { secretName: "c", projectId: 0n }), "LimitExceeded");
      // Another region has its own count.
      await small.ssm("CreateSecret", text("c", "3"), small.call({ region: "ap-shanghai" }));
      expect(await small.ssm("GetServiceStatus", {})).toMatchObject({ serviceEnabled: true, invalidType: 1, secretLimit: 2, totalCount: 2 });
      await small.ssm("DisableSecret", { secretName: "a" });
      await small.ssm("DeleteSecret", { secretName: "a", recoveryWindowInDays: 7 });
      expect(await codeOf(small.ssm("CreateSecret", text("c", "3")))).toBe("LimitExceeded");
      await small.ssm("RestoreSecret", { secretName: "a" });
      await small.ssm("DeleteSecret", { secretName: "a" });
      await small.ssm("CreateSecret", text("c", "3"));
      expect((await small.ssm("GetServiceStatus", {})).totalCount).toBe(2);
    } finally {
      await small.close();
    }
  });

  it("keeps at most 10 versions: the 11th is LimitExceeded", async () => {
    await h.ssm("CreateSecret", text("ten", "v0", { versionId: "v0" }));
    for (let i = 1; i < 10; i++) await h.ssm("PutSecretValue", { secretName: "ten", versionId: `v${i}`, secretString: `v${i}` });
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "ten", versionId: "v10", secretString: "x" }), "LimitExceeded");
    await h.ssm("DeleteSecretVersion", { secretName: "ten", versionId: "v3" });
    await h.ssm("PutSecretValue", { secretName: "ten", versionId: "v10", secretString: "v10" });
    expect((await h.ssm("ListSecretVersionIds", { secretName: "ten" })).versions.map((v) => v.versionId)).toEqual(["v0", "v1", "v2", "v4", "v5", "v6", "v7", "v8", "v9", "v10"]);
  });
});

describe("versions: PutSecretValue, UpdateSecret, ListSecretVersionIds, DeleteSecretVersion", () => {
  it("adds versions, each readable on its own; an existing id is ResourceInUse.VersionIdExists", async () => {
    await h.ssm("CreateSecret", text("multi", "first", { versionId: "v1" }));
    h.clock.advance(1000);
    expect(await h.ssm("PutSecretValue", { secretName: "multi", versionId: "v2", secretBinary: new Uint8Array([9, 9]) })).toMatchObject({ secretName: "multi", versionId: "v2" });
    expect((await h.ssm("GetSecretValue", { secretName: "multi", versionId: "v1" })).secretString).toBe("first");
    expect([...(await h.ssm("GetSecretValue", { secretName: "multi", versionId: "v2" })).secretBinary]).toEqual([9, 9]);
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "multi", versionId: "v2", secretString: "x" }), "ResourceInUse.VersionIdExists");
    const list = await h.ssm("ListSecretVersionIds", { secretName: "multi" });
    expect(list.secretName).toBe("multi");
    expect(list.versions.map((v) => v.versionId)).toEqual(["v1", "v2"]);
    expect(list.versions[1]!.createTime - list.versions[0]!.createTime).toBe(1n);
  });

  it("refuses PutSecretValue on a missing secret (ResourceNotFound) and bad values (InvalidParameterValue)", async () => {
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "nope", versionId: "v", secretString: "x" }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "multi", versionId: "v3" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "multi", versionId: "", secretString: "x" }), "InvalidParameterValue");
  });

  it("UpdateSecret replaces one version's value, even its kind; a missing version is ResourceNotFound", async () => {
    await h.ssm("UpdateSecret", { secretName: "multi", versionId: "v2", secretString: "now text" });
    const v = await h.ssm("GetSecretValue", { secretName: "multi", versionId: "v2" });
    expect(v.secretString).toBe("now text");
    expect(v.secretBinary.length).toBe(0);
    expect((await h.ssm("DescribeSecretVersion", { secretName: "multi", versionId: "v2" })).updateTime).toBe(BigInt(Math.floor(h.clock.now() / 1000)));
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecret", { secretName: "multi", versionId: "v9", secretString: "x" }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecret", { secretName: "nope", versionId: "v1", secretString: "x" }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecret", { secretName: "multi", versionId: "v1", secretString: "a", secretBinary: new Uint8Array([1]) }), "InvalidParameterValue");
  });

  it("DeleteSecretVersion removes one version and its value; the id can be used again", async () => {
    await h.ssm("DeleteSecretVersion", { secretName: "multi", versionId: "v1" });
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "multi", versionId: "v1" }))).toBe("ResourceNotFound");
    expect([...(await h.dump()).keys()].some((k) => k.endsWith("/multi/v1"))).toBe(false);
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecretVersion", { secretName: "multi", versionId: "v1" }), "ResourceNotFound");
    await h.ssm("PutSecretValue", { secretName: "multi", versionId: "v1", secretString: "again" });
    expect((await h.ssm("GetSecretValue", { secretName: "multi", versionId: "v1" })).secretString).toBe("again");
  });

  it("GetSecretValue: missing secret or version is ResourceNotFound; EncryptionPublicKey is refused", async () => {
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "nope", versionId: "v1" }))).toBe("ResourceNotFound");
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "multi", versionId: "v7" }))).toBe("ResourceNotFound");
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "multi", versionId: "" }))).toBe("InvalidParameterValue");
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "multi", versionId: "v1", encryptionPublicKey: "abc" }))).toBe("InvalidParameterValue");
  });
});

describe("UpdateDescription and DescribeSecret", () => {
  it("changes the description, at most 2048 bytes", async () => {
    expect(await h.ssm("UpdateDescription", { secretName: "multi", description: "new words" })).toMatchObject({ secretName: "multi" });
    expect((await h.ssm("DescribeSecret", { secretName: "multi" })).description).toBe("new words");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateDescription", { secretName: "multi", description: "x".repeat(2049) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateDescription", { secretName: "nope", description: "x" }), "ResourceNotFound");
    await h.ssm("UpdateDescription", { secretName: "multi", description: "x".repeat(2048) });
  });

  it("DescribeSecret of a missing or malformed name: ResourceNotFound / InvalidParameterValue", async () => {
    expect(await codeOf(h.ssm("DescribeSecret", { secretName: "nope" }))).toBe("ResourceNotFound");
    expect(await codeOf(h.ssm("DescribeSecret", { secretName: "bad name" }))).toBe("InvalidParameterValue");
  });
});

describe("Disable, Enable, Delete, Restore and the recovery window", () => {
  it("a disabled secret withholds its values, an enabled one answers again", async () => {
    await h.ssm("CreateSecret", text("toggle", "t"));
    await h.ssm("DisableSecret", { secretName: "toggle" });
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "toggle", versionId: "SSM_Current" }))).toBe("ResourceUnavailable.ResourceDisabled");
    expect((await h.ssm("DescribeSecret", { secretName: "toggle" })).status).toBe(SecretStatus.DISABLED);
    await h.ssm("EnableSecret", { secretName: "toggle" });
    expect((await h.ssm("GetSecretValue", { secretName: "toggle", versionId: "SSM_Current" })).secretString).toBe("t");
  });

  it("DeleteSecret needs a Disabled secret; RecoveryWindowInDays must be 0 to 30", async () => {
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecret", { secretName: "toggle", recoveryWindowInDays: 7 }), "FailedOperation");
    await h.ssm("DisableSecret", { secretName: "toggle" });
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecret", { secretName: "toggle", recoveryWindowInDays: 31 }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecret", { secretName: "toggle", deleteMode: 1 }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecret", { secretName: "toggle", deleteMode: 2 }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecret", { secretName: "nope" }), "ResourceNotFound");
  });

  it("a recovery window makes it PendingDelete until DeleteTime; RestoreSecret brings it back Disabled", async () => {
    const out = await h.ssm("DeleteSecret", { secretName: "toggle", recoveryWindowInDays: 7 });
    const due = BigInt(Math.floor((h.clock.now() + 7 * 86_400_000) / 1000));
    expect(out).toMatchObject({ secretName: "toggle", deleteTime: due, flowId: 0n });
    const d = await h.ssm("DescribeSecret", { secretName: "toggle" });
    expect(d).toMatchObject({ status: SecretStatus.PENDING_DELETE, deleteTime: due });
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "toggle", versionId: "SSM_Current" }))).toBe("ResourceUnavailable.ResourcePendingDeleted");
    expect(await codeOf(h.ssm("EnableSecret", { secretName: "toggle" }))).toBe("FailedOperation");
    await h.ssm("RestoreSecret", { secretName: "toggle" });
    expect(await h.ssm("DescribeSecret", { secretName: "toggle" })).toMatchObject({ status: SecretStatus.DISABLED, deleteTime: 0n });
    expect(await codeOf(h.ssm("RestoreSecret", { secretName: "toggle" }))).toBe("FailedOperation");
    // The cancelled purge leaves no schedule entry behind.
    expect([...(await h.dump()).keys()].filter((k) => k.startsWith("v1/secrets/deletions/") && k.endsWith("/toggle"))).toEqual([]);
  });

  it("the scheduler purges a secret when its window ends, values and all, and not a minute before", async () => {
    await h.ssm("DeleteSecret", { secretName: "toggle", recoveryWindowInDays: 1 });
    h.clock.advance(86_400_000 - 60_000);
    expect(await runSecretsDueWork(h.secrets, h.clock.now())).toEqual([]);
    h.clock.advance(60_000);
    expect(await runSecretsDueWork(h.secrets, h.clock.now())).toEqual([{ account: ACCOUNT.toString(), region: REGION, name: "toggle" }]);
    expect(await codeOf(h.ssm("DescribeSecret", { secretName: "toggle" }))).toBe("ResourceNotFound");
    expect([...(await h.dump()).keys()].filter((k) => k.includes("/toggle"))).toEqual([]);
    // The name is free again.
    await h.ssm("CreateSecret", text("toggle", "reborn"));
    expect((await h.ssm("GetSecretValue", { secretName: "toggle", versionId: "SSM_Current" })).secretString).toBe("reborn");
  });

  it("a stale schedule entry (restored, then deleted again later) does not purge early", async () => {
    await h.ssm("DisableSecret", { secretName: "toggle" });
    await h.ssm("DeleteSecret", { secretName: "toggle", recoveryWindowInDays: 1 });
    await h.ssm("RestoreSecret", { secretName: "toggle" });
    h.clock.advance(3_600_000);
    await h.ssm("DeleteSecret", { secretName: "toggle", recoveryWindowInDays: 2 });
    h.clock.advance(86_400_000);
    expect(await runSecretsDueWork(h.secrets, h.clock.now())).toEqual([]);
    expect((await h.ssm("DescribeSecret", { secretName: "toggle" })).status).toBe(SecretStatus.PENDING_DELETE);
    h.clock.advance(86_400_000);
    expect((await runSecretsDueWork(h.secrets, h.clock.now())).map((p) => p.name)).toEqual(["toggle"]);
  });

  it("RecoveryWindowInDays 0 deletes at once, every version with it", async () => {
    await h.ssm("CreateSecret", text("now", "n", { versionId: "a" }));
    await h.ssm("PutSecretValue", { secretName: "now", versionId: "b", secretString: "m" });
    await h.ssm("DisableSecret", { secretName: "now" });
    const out = await h.ssm("DeleteSecret", { secretName: "now" });
    expect(out.deleteTime).toBe(BigInt(Math.floor(h.clock.now() / 1000)));
    expect(await codeOf(h.ssm("DescribeSecret", { secretName: "now" }))).toBe("ResourceNotFound");
    expect([...(await h.dump()).keys()].filter((k) => k.includes("/now"))).toEqual([]);
  });
});

describe("GetRegions and GetServiceStatus", () => {
  it("answers the configured regions", async () => {
    expect((await h.ssm("GetRegions", {})).regions).toEqual([REGION, "ap-shanghai"]);
  });

  it("counts the account's secrets in the call's region", async () => {
    const s = await h.ssm("GetServiceStatus", {});
    expect(s.totalCount).toBe((await h.secrets.repo.list({ account: ACCOUNT.toString(), region: REGION })).length);
    expect(s).toMatchObject({ serviceEnabled: true, invalidType: 1, accessKeyEscrowEnabled: false, secretLimit: 1_000_000 });
  });
});
