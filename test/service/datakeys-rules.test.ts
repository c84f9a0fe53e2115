/**
 * The hosted data keys' rules, in process over the real core: the documented
 * limits (names, descriptions, batches, windows, the data key limit), both
 * import types, what the CMK's state, rotation and deletion do to a data key,
 * the scheduler's purge under a ManualClock, the account/region scope, the
 * sealing of each stored ciphertext to its record, and GetServiceStatus's
 * counts. Every refusal is checked to write nothing.
 */
import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { runDataKeysDueWork } from "../../src/datakeys/scheduler.js";
import { runDueWork } from "../../src/keys/scheduler.js";
import { DK, KMS, MISSING_ID, openDataKeyWorld, type DataKeyWorld } from "./datakeys-harness.js";

const DAY = 86_400_000;
let w: DataKeyWorld;
let keyId: string;

beforeAll(async () => {
  w = await openDataKeyWorld();
  keyId = await w.cmk("rules-cmk");
});
afterAll(async () => {
  await w.dispose();
});

/** Expects the call to fail with `code` and the hosted data keys' store to be unchanged. */
async function refused(call: () => Promise<string>, code: string): Promise<void> {
  const before = await w.snapshot();
  expect(await call()).toBe(code);
  expect(await w.snapshot()).toEqual(before);
}

describe("fields and limits", () => {
  it("keeps names unique per account and region, and lets another region use the same name", async () => {
    await w.hosted(keyId, "unique-name");
    await refused(() => w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "unique-name" }), "InvalidParameterValue.DataKeyNameAlreadyExists");
    await refused(() => w.code(DK.importDataKey, { dataKeyName: "unique-name", importType: 2, importKeyMaterial: Buffer.alloc(16, 1), keyId }), "InvalidParameterValue.DataKeyNameAlreadyExists");
    const other = (await w.hosted(keyId, "other-name")).dataKeyId;
    await refused(() => w.code(DK.updateDataKeyName, { dataKeyId: other, dataKeyName: "unique-name" }), "InvalidParameterValue.DataKeyNameAlreadyExists");
    // Keys are regional: a data key in ap-beijing is sealed under a CMK of ap-beijing.
    const beijingKey = (await w.ok(KMS.createKey, { alias: "rules-cmk-beijing" }, { region: "ap-beijing" })).keyId as string;
    const beijing = await w.hosted(beijingKey, "unique-name", {}, { region: "ap-beijing" });
    expect(beijing.dataKeyId).toMatch(/^[0-9a-f-]{36}$/);
    // Renamed, the old name is free again.
    await w.ok(DK.updateDataKeyName, { dataKeyId: other, dataKeyName: "other-renamed" });
    await w.hosted(keyId, "other-name");
  });

  it("checks names, descriptions and tags before any key work", async () => {
    for (const name of ["", "has space", "x".repeat(61), "-lead", "名字"])
      await refused(() => w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: name }), name === "" ? "MissingParameter" : "InvalidParameterValue.InvalidDataKeyName");
    await w.hosted(keyId, "x".repeat(60));
    await w.hosted(keyId, "desc-100", { description: "é".repeat(50) });
    await refused(() => w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "desc-101", description: `${"é".repeat(50)}x` }), "InvalidParameter");
    await refused(
      () => w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "tags", tags: [{ tagKey: "a", tagValue: "1" }, { tagKey: "a", tagValue: "2" }] }),
      "InvalidParameterValue.TagKeysDuplicated",
    );
    // A bad name is reported even when the CMK does not exist: fields first.
    await refused(() => w.code(KMS.generateDataKey, { keyId: MISSING_ID, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "bad name" }), "InvalidParameterValue.InvalidDataKeyName");
    const id = (await w.hosted(keyId, "describe-me")).dataKeyId;
    await refused(() => w.code(DK.updateDataKeyDescription, { dataKeyId: id, description: "d".repeat(101) }), "InvalidParameter");
    await w.ok(DK.updateDataKeyDescription, { dataKeyId: id, description: "d".repeat(100) });
  });

  it("refuses the hosting fields without IsHostedByKms 1, and IsHostedByKms other than 0 or 1", async () => {
    expect(await w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, dataKeyName: "not-hosted" })).toBe("InvalidParameter");
    expect(await w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, description: "x" })).toBe("InvalidParameter");
    expect(await w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, tags: [{ tagKey: "a", tagValue: "b" }] })).toBe("InvalidParameter");
    expect(await w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 2, dataKeyName: "two" })).toBe("InvalidParameterValue");
    const plain = await w.ok(KMS.generateDataKey, { keyId, numberOfBytes: 16 });
    expect([plain.dataKeyId ?? "", plain.tagMsg ?? ""]).toEqual(["", ""]);
  });

  it("takes 1 to 100 distinct, well-formed ids in a batch", async () => {
    const id = (await w.hosted(keyId, "batch-1")).dataKeyId;
    const ids = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    expect((await w.ok(DK.describeDataKeys, { dataKeyIds: [...ids.slice(0, 99), id] })).dataKeyMetadatas).toHaveLength(1);
    expect(await w.code(DK.describeDataKeys, { dataKeyIds: [...ids, id] })).toBe("InvalidParameter");
    expect(await w.code(DK.describeDataKeys, { dataKeyIds: [] })).toBe("InvalidParameter");
    await refused(() => w.code(DK.disableDataKeys, { dataKeyIds: [id, id] }), "InvalidParameterValue.DuplicatedDataKeyId");
    await refused(() => w.code(DK.disableDataKeys, { dataKeyIds: [id, "not-an-id"] }), "InvalidParameterValue.InvalidDataKeyId");
    expect(await w.code(DK.describeDataKey, { dataKeyId: "" })).toBe("InvalidParameterValue.InvalidDataKeyId");
    expect(await w.code(DK.describeDataKey, { dataKeyId: MISSING_ID })).toBe("ResourceUnavailable.DataKeyNotFound");
  });

  it("takes a pending window of 7 to 30 days", async () => {
    const id = (await w.hosted(keyId, "window")).dataKeyId;
    await w.ok(DK.disableDataKey, { dataKeyId: id });
    for (const days of [0, 6, 31, 365]) await refused(() => w.code(DK.scheduleDataKeyDeletion, { dataKeyId: id, pendingWindowInDays: days }), "InvalidParameter.InvalidPendingWindowInDays");
    await w.ok(DK.scheduleDataKeyDeletion, { dataKeyId: id, pendingWindowInDays: 7 });
  });

  it("checks HsmClusterId against this service's one cluster", async () => {
    const status = await w.ok(KMS.getServiceStatus, {});
    expect(status.exclusiveHsmList).toEqual([expect.objectContaining({ hsmClusterId: "tc-kms-cluster" })]);
    await w.hosted(keyId, "in-cluster", { hsmClusterId: "tc-kms-cluster" });
    await refused(() => w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "elsewhere", hsmClusterId: "hsm-cluster-123" }), "InvalidParameterValue.InvalidHsmClusterId");
    expect(await w.code(KMS.createKey, { alias: "elsewhere", hsmClusterId: "hsm-cluster-123" })).toBe("InvalidParameterValue.InvalidHsmClusterId");
    expect((await w.ok(KMS.createKey, { alias: "in-cluster", hsmClusterId: "tc-kms-cluster" })).hsmClusterId).toBe("tc-kms-cluster");
    expect(await w.code(DK.listDataKeys, { hsmClusterId: "other" })).toBe("InvalidParameterValue.InvalidHsmClusterId");
    expect(await w.code(DK.importDataKey, { dataKeyName: "hsm", importType: 2, importKeyMaterial: Buffer.alloc(8), keyId, hsmClusterId: "other" })).toBe("InvalidParameterValue.InvalidHsmClusterId");
  });

  it("answers UnsupportedOperation for IsHostedByKms 1 where no hosted data keys are wired, and says so in GetServiceStatus", async () => {
    const deps = w.kms.core.domain.deps;
    const port = deps.hostedDataKeys;
    deps.hostedDataKeys = undefined;
    try {
      expect(await w.code(KMS.generateDataKey, { keyId, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "unwired" })).toBe("UnsupportedOperation");
      expect(await w.ok(KMS.getServiceStatus, {})).toMatchObject({ isAllowedDataKeyHosted: false, dataKeyLimit: 0, dataKeyUsedCount: 0 });
    } finally {
      deps.hostedDataKeys = port;
    }
  });

  it("lets an organisation manage a member account's data keys (MemberAccount, MemberAccounts), and no one else's", async () => {
    const tenant = async (name: string) => {
      const r = await w.ok(OperatorService.method.createAccount, { name });
      return { uin: (r.account as { uin: bigint }).uin, as: { credentials: { kind: "token", token: r.rootToken as string } as const } };
    };
    const org = await tenant("dk-org");
    const member = await tenant("dk-member");
    const outsider = await tenant("dk-outsider");
    await w.ok(OperatorService.method.setAccountOrganization, { memberUin: member.uin, organizationUin: org.uin });
    const memberKey = (await w.ok(KMS.createKey, { alias: "member-cmk" }, member.as)).keyId as string;
    const id = (await w.hosted(memberKey, "member-dk", {}, member.as)).dataKeyId;
    w.kms.clock.advance(1000);
    const ownId = (await w.hosted((await w.ok(KMS.createKey, { alias: "org-cmk" }, org.as)).keyId as string, "org-dk", {}, org.as)).dataKeyId;
    const memberAccount = { memberUin: member.uin };

    // By id, in the member's account: found, and the metadata says whose it is.
    const md = (await w.ok(DK.describeDataKey, { dataKeyId: id, memberAccount }, org.as)).dataKeyMetadata as Record<string, unknown>;
    expect(md).toMatchObject({ dataKeyId: id, keyName: "member-cmk", accountUin: member.uin, accountName: "dk-member" });
    await w.ok(DK.updateDataKeyDescription, { dataKeyId: id, description: "managed", memberAccount }, org.as);
    expect(((await w.ok(DK.describeDataKey, { dataKeyId: id }, member.as)).dataKeyMetadata as Record<string, unknown>).description).toBe("managed");
    // Without MemberAccount the member's data key is not the organisation's.
    expect(await w.code(DK.describeDataKey, { dataKeyId: id }, org.as)).toBe("ResourceUnavailable.DataKeyNotFound");

    // A listing over both accounts, in creation order, each data key with its account.
    const listed = await w.ok(DK.listDataKeyDetail, { memberAccounts: [{ memberUin: org.uin }, memberAccount], orderType: 1 }, org.as);
    expect((listed.dataKeyMetadatas as { dataKeyId: string; accountUin: bigint }[]).map((m) => [m.dataKeyId, m.accountUin])).toEqual([
      [id, member.uin],
      [ownId, org.uin],
    ]);
    expect(listed.totalCount).toBe(2);
    const second = await w.ok(DK.listDataKeyDetail, { memberAccounts: [{ memberUin: org.uin }, memberAccount], orderType: 1, offset: 1, limit: 1 }, org.as);
    expect((second.dataKeyMetadatas as { dataKeyId: string }[]).map((m) => m.dataKeyId)).toEqual([ownId]);
    await w.ok(DK.listDataKeyDetail, { memberAccounts: [] }, org.as);

    // Not a member of the caller's organisation, or no MemberUin: refused before anything is read.
    expect(await w.code(DK.describeDataKey, { dataKeyId: id, memberAccount }, outsider.as)).toBe("UnauthorizedOperation");
    expect(await w.code(DK.listDataKeyDetail, { memberAccounts: [memberAccount] }, outsider.as)).toBe("UnauthorizedOperation");
    expect(await w.code(DK.describeDataKey, { dataKeyId: id, memberAccount: {} }, org.as)).toBe("MissingParameter");
    expect(await w.code(DK.listDataKeyDetail, { memberAccounts: [memberAccount, memberAccount] }, org.as)).toBe("InvalidParameterValue");
  });
});

describe("the data key limit", () => {
  let small: DataKeyWorld;
  beforeAll(async () => {
    small = await openDataKeyWorld({ KMS_DATA_KEY_LIMIT: "2" });
  });
  afterAll(async () => {
    await small.dispose();
  });

  it("counts data keys per account and region, frees a place while one is pending deletion, and needs one back to cancel", async () => {
    const cmk = await small.cmk("limit-cmk");
    const a = (await small.hosted(cmk, "a")).dataKeyId;
    await small.ok(DK.importDataKey, { dataKeyName: "b", importType: 2, importKeyMaterial: Buffer.alloc(16, 2), keyId: cmk });
    expect(await small.ok(KMS.getServiceStatus, {})).toMatchObject({ isAllowedDataKeyHosted: true, dataKeyLimit: 2, freeDataKeyLimit: 2, dataKeyUsedCount: 2 });
    const before = await small.snapshot();
    expect(await small.code(KMS.generateDataKey, { keyId: cmk, numberOfBytes: 16, isHostedByKms: 1, dataKeyName: "c" })).toBe("LimitExceeded.DataKeyLimitExceeded");
    expect(await small.code(DK.importDataKey, { dataKeyName: "c", importType: 2, importKeyMaterial: Buffer.alloc(16, 3), keyId: cmk })).toBe("LimitExceeded.DataKeyLimitExceeded");
    expect(await small.snapshot()).toEqual(before);
    // Another region has its own count.
    await small.hosted((await small.ok(KMS.createKey, { alias: "limit-cmk" }, { region: "ap-beijing" })).keyId as string, "c", {}, { region: "ap-beijing" });
    await small.ok(DK.disableDataKey, { dataKeyId: a });
    await small.ok(DK.scheduleDataKeyDeletion, { dataKeyId: a, pendingWindowInDays: 7 });
    expect((await small.ok(KMS.getServiceStatus, {})).dataKeyUsedCount).toBe(1);
    await small.hosted(cmk, "c");
    const full = await small.snapshot();
    expect(await small.code(DK.cancelDataKeyDeletion, { dataKeyId: a })).toBe("LimitExceeded.DataKeyLimitExceeded");
    expect(await small.snapshot()).toEqual(full);
  });

  it("holds under concurrency: of 12 creations racing for 5 places, exactly 5 land", async () => {
    const racing = await openDataKeyWorld({ KMS_DATA_KEY_LIMIT: "5" });
    try {
      const cmk = await racing.cmk("race-cmk");
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2 === 0
            ? racing.hosted(cmk, `race-${i}`).then(() => "ok", (e: Error) => e.message)
            : racing.code(DK.importDataKey, { dataKeyName: `race-${i}`, importType: 2, importKeyMaterial: Buffer.alloc(16, i), keyId: cmk }).catch(() => "ok"),
        ),
      );
      expect(outcomes.filter((o) => o === "ok")).toHaveLength(5);
      expect(outcomes.filter((o) => o.includes("LimitExceeded.DataKeyLimitExceeded"))).toHaveLength(7);
      expect((await racing.ok(KMS.getServiceStatus, {})).dataKeyUsedCount).toBe(5);
      expect((await racing.ok(DK.listDataKeys, {})).totalCount).toBe(5);
    } finally {
      await racing.dispose();
    }
  });
});

describe("import", () => {
  it("ImportType 2 seals the plaintext under KeyId; ImportType 1 keeps a GenerateDataKey ciphertext as given", async () => {
    const material = Buffer.from("0123456789abcdef0123456789abcdef");
    const two = await w.ok(DK.importDataKey, { dataKeyName: "import-2", importType: 2, importKeyMaterial: material, keyId, description: "plain", tags: [{ tagKey: "t", tagValue: "v" }] });
    expect(two).toMatchObject({ keyId, tagCode: 0, tagMsg: "Success" });
    expect(Buffer.from((await w.ok(DK.getDataKeyPlaintext, { dataKeyId: two.dataKeyId as string })).plaintext as Uint8Array)).toEqual(material);
    const md = (await w.ok(DK.describeDataKey, { dataKeyId: two.dataKeyId as string })).dataKeyMetadata;
    expect(md).toMatchObject({ origin: 2, numberOfBytes: 32, description: "plain", keyName: "rules-cmk", keyId });

    const generated = await w.ok(KMS.generateDataKey, { keyId, numberOfBytes: 24 });
    const one = await w.ok(DK.importDataKey, { dataKeyName: "import-1", importType: 1, importKeyMaterial: generated.ciphertextBlob as Uint8Array });
    expect(one.keyId).toBe(keyId);
    expect(Buffer.from((await w.ok(DK.getDataKeyCiphertextBlob, { dataKeyId: one.dataKeyId as string })).ciphertextBlob as Uint8Array)).toEqual(Buffer.from(generated.ciphertextBlob as Uint8Array));
    expect(Buffer.from((await w.ok(DK.getDataKeyPlaintext, { dataKeyId: one.dataKeyId as string })).plaintext as Uint8Array)).toEqual(Buffer.from(generated.plaintext as Uint8Array));
    expect(((await w.ok(DK.describeDataKey, { dataKeyId: one.dataKeyId as string })).dataKeyMetadata as { numberOfBytes: number }).numberOfBytes).toBe(24);
  });

  it("refuses what is not a data key, a KeyId other than the ciphertext's, and type 2 without KeyId, writing nothing", async () => {
    const other = await w.cmk("import-other");
    const generated = await w.ok(KMS.generateDataKey, { keyId, numberOfBytes: 16 });
    const withContext = await w.ok(KMS.generateDataKey, { keyId, numberOfBytes: 16, encryptionContext: '{"a":"b"}' });
    const blob = generated.ciphertextBlob as Uint8Array;
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    const cases: [Record<string, unknown>, string][] = [
      [{ importType: 1, importKeyMaterial: Buffer.from("not a blob") }, "InvalidParameterValue.InvalidImportKeyMaterial"],
      [{ importType: 1, importKeyMaterial: tampered }, "InvalidParameterValue.InvalidImportKeyMaterial"],
      [{ importType: 1, importKeyMaterial: withContext.ciphertextBlob }, "InvalidParameterValue.InvalidImportKeyMaterial"],
      [{ importType: 1, importKeyMaterial: blob, keyId: other }, "InvalidParameterValue.InvalidKeyId"],
      [{ importType: 2, importKeyMaterial: Buffer.alloc(16) }, "MissingParameter"],
      [{ importType: 2, importKeyMaterial: Buffer.alloc(0), keyId }, "InvalidParameterValue.InvalidImportKeyMaterial"],
      [{ importType: 2, importKeyMaterial: Buffer.alloc(1025), keyId }, "InvalidParameterValue.InvalidImportKeyMaterial"],
      [{ importType: 2, importKeyMaterial: Buffer.alloc(16), keyId: MISSING_ID }, "ResourceUnavailable.CmkNotFound"],
      [{ importType: 3, importKeyMaterial: Buffer.alloc(16), keyId }, "InvalidParameterValue"],
    ];
    for (const [req, code] of cases) await refused(() => w.code(DK.importDataKey, { dataKeyName: "import-bad", ...req } as never), code);
    await w.ok(DK.importDataKey, { dataKeyName: "import-1k", importType: 2, importKeyMaterial: Buffer.alloc(1024, 9), keyId });
  });
});

describe("the CMK governs its data keys", () => {
  it("a disabled, pending-deletion or purged CMK refuses the plaintext with the key domain's code; a rotated one changes nothing", async () => {
    const cmk = await w.cmk("governing");
    const { dataKeyId, plaintext } = await w.hosted(cmk, "governed", { encryptionContext: '{"app":"orders"}' });
    const read = async () => Buffer.from((await w.ok(DK.getDataKeyPlaintext, { dataKeyId })).plaintext as Uint8Array);
    expect(await read()).toEqual(Buffer.from(plaintext));

    await w.ok(KMS.enableKeyRotation, { keyId: cmk, rotateDays: 7 });
    await w.ok(KMS.rotateKey, { keyId: cmk });
    expect(await read()).toEqual(Buffer.from(plaintext));
    // New data keys are sealed under the new primary version and old ones still open.
    const after = await w.hosted(cmk, "after-rotation");
    expect(Buffer.from((await w.ok(DK.getDataKeyPlaintext, { dataKeyId: after.dataKeyId })).plaintext as Uint8Array)).toEqual(Buffer.from(after.plaintext));

    await w.ok(KMS.disableKey, { keyId: cmk });
    expect(await w.code(DK.getDataKeyPlaintext, { dataKeyId })).toBe("ResourceUnavailable.CmkDisabled");
    // Its metadata and ciphertext stay reachable: only the plaintext needs the CMK.
    await w.ok(DK.describeDataKey, { dataKeyId });
    await w.ok(DK.getDataKeyCiphertextBlob, { dataKeyId });
    await w.ok(KMS.scheduleKeyDeletion, { keyId: cmk, pendingWindowInDays: 7 });
    expect(await w.code(DK.getDataKeyPlaintext, { dataKeyId })).toBe("ResourceUnavailable.CmkStateNotSupport");
    await w.ok(KMS.cancelKeyDeletion, { keyId: cmk });
    await w.ok(KMS.enableKey, { keyId: cmk });
    expect(await read()).toEqual(Buffer.from(plaintext));

    await w.ok(KMS.disableKey, { keyId: cmk });
    await w.ok(KMS.scheduleKeyDeletion, { keyId: cmk, pendingWindowInDays: 7 });
    w.kms.clock.advance(8 * DAY);
    await runDueWork(w.kms.core.domain.deps);
    expect(await w.code(DK.getDataKeyPlaintext, { dataKeyId })).toBe("ResourceUnavailable.CmkNotFound");
    expect(((await w.ok(DK.describeDataKey, { dataKeyId })).dataKeyMetadata as { keyName: string }).keyName).toBe("");
  });

  it("answers the plaintext encrypted to the caller's public key", async () => {
    const { dataKeyId, plaintext } = await w.hosted(keyId, "reply-rsa");
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
    const out = await w.ok(DK.getDataKeyPlaintext, { dataKeyId, encryptionPublicKey: pem, encryptionAlgorithm: "RSAES_OAEP_SHA_256" });
    expect(privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, out.plaintext as Uint8Array)).toEqual(Buffer.from(plaintext));
    expect(await w.code(DK.getDataKeyPlaintext, { dataKeyId, encryptionPublicKey: pem, encryptionAlgorithm: "ROT13" })).toBe("InvalidParameterValue");
    expect(await w.code(DK.getDataKeyPlaintext, { dataKeyId, encryptionPublicKey: "not a pem", encryptionAlgorithm: "RSAES_OAEP_SHA_256" })).toBe("InvalidParameterValue");
  });

  it("hands out the ciphertext GenerateDataKey answered, which Decrypt opens with its EncryptionContext", async () => {
    const { dataKeyId, plaintext, ciphertextBlob } = await w.hosted(keyId, "with-context", { encryptionContext: '{"b":"2","a":"1"}' });
    const blob = (await w.ok(DK.getDataKeyCiphertextBlob, { dataKeyId })).ciphertextBlob as Uint8Array;
    expect(Buffer.from(blob)).toEqual(Buffer.from(ciphertextBlob));
    expect(Buffer.from((await w.ok(KMS.decrypt, { ciphertextBlob: blob, encryptionContext: '{"a":"1","b":"2"}' })).plaintext as Uint8Array)).toEqual(Buffer.from(plaintext));
    expect(Buffer.from((await w.ok(DK.getDataKeyPlaintext, { dataKeyId })).plaintext as Uint8Array)).toEqual(Buffer.from(plaintext));
  });
});

describe("scope and storage", () => {
  it("answers DataKeyNotFound for a data key of another region, for every action", async () => {
    const beijingKey = (await w.ok(KMS.createKey, { alias: "scope-cmk-beijing" }, { region: "ap-beijing" })).keyId as string;
    const { dataKeyId } = await w.hosted(beijingKey, "beijing-only", {}, { region: "ap-beijing" });
    for (const [method, req] of [
      [DK.describeDataKey, { dataKeyId }],
      [DK.getDataKeyPlaintext, { dataKeyId }],
      [DK.getDataKeyCiphertextBlob, { dataKeyId }],
      [DK.disableDataKey, { dataKeyId }],
      [DK.enableDataKeys, { dataKeyIds: [dataKeyId] }],
      [DK.updateDataKeyName, { dataKeyId, dataKeyName: "moved" }],
      [DK.updateDataKeyDescription, { dataKeyId, description: "moved" }],
      [DK.scheduleDataKeyDeletion, { dataKeyId, pendingWindowInDays: 7 }],
      [DK.cancelDataKeyDeletion, { dataKeyId }],
    ] as const)
      expect(await w.code(method, req as never), method.name).toBe("ResourceUnavailable.DataKeyNotFound");
    expect((await w.ok(DK.describeDataKeys, { dataKeyIds: [dataKeyId] })).dataKeyMetadatas).toEqual([]);
    expect(((await w.ok(DK.listDataKeys, { limit: 200 })).dataKeys as { dataKeyId: string }[]).map((d) => d.dataKeyId)).not.toContain(dataKeyId);
    await w.ok(DK.describeDataKey, { dataKeyId }, { region: "ap-beijing" });
  });

  it("stores no plaintext, and a stored ciphertext moved onto another record does not open there", async () => {
    const a = await w.hosted(keyId, "sealed-a");
    const b = await w.hosted(keyId, "sealed-b");
    const store = w.kms.core.store;
    const values = [...(await w.snapshot()).values()].join("");
    expect(values).not.toContain(Buffer.from(a.plaintext).toString("hex"));
    expect(values).not.toContain(Buffer.from(a.ciphertextBlob).toString("hex"));
    const keyOf = (id: string) => `v1/datakeys/records/100000000001/ap-guangzhou/${id}`;
    const recA = JSON.parse(Buffer.from((await store.get(keyOf(a.dataKeyId)))!).toString()) as { sealedBlob: string };
    const recB = JSON.parse(Buffer.from((await store.get(keyOf(b.dataKeyId)))!).toString()) as Record<string, unknown>;
    await store.batch([{ type: "put", key: keyOf(b.dataKeyId), value: Buffer.from(JSON.stringify({ ...recB, sealedBlob: recA.sealedBlob })) }]);
    expect(await w.code(DK.getDataKeyPlaintext, { dataKeyId: b.dataKeyId })).toBe("InternalError");
    expect(await w.code(DK.getDataKeyCiphertextBlob, { dataKeyId: b.dataKeyId })).toBe("InternalError");
    expect(Buffer.from((await w.ok(DK.getDataKeyPlaintext, { dataKeyId: a.dataKeyId })).plaintext as Uint8Array)).toEqual(Buffer.from(a.plaintext));
  });

  it("writes each change with its audit event, naming the data key", async () => {
    const { dataKeyId } = await w.hosted(keyId, "audited");
    await w.ok(DK.disableDataKey, { dataKeyId });
    const audit = w.kms.core.domain.audit;
    await audit.flush();
    const events = (await audit.query({ action: "kms:DisableDataKey" }, { limit: 100 })).events.filter((e) => e.keyIds.includes(dataKeyId));
    expect(events).toHaveLength(1);
    const generated = (await audit.query({ action: "kms:GenerateDataKey" }, { limit: 1000 })).events.filter((e) => e.keyIds.includes(dataKeyId));
    expect(generated[0]?.keyIds).toEqual(expect.arrayContaining([keyId, dataKeyId]));
  });
});

describe("the scheduler", () => {
  it("purges a data key at its deletion date, not before, and frees its name", async () => {
    const dk = w.kms.core.domain.dataKeys;
    // What earlier tests left due goes first.
    await runDataKeysDueWork(dk, w.kms.clock.now());
    const { dataKeyId } = await w.hosted(keyId, "purged");
    await w.ok(DK.disableDataKey, { dataKeyId });
    await w.ok(DK.scheduleDataKeyDeletion, { dataKeyId, pendingWindowInDays: 7 });
    const cancelled = (await w.hosted(keyId, "cancelled")).dataKeyId;
    await w.ok(DK.disableDataKey, { dataKeyId: cancelled });
    await w.ok(DK.scheduleDataKeyDeletion, { dataKeyId: cancelled, pendingWindowInDays: 7 });
    await w.ok(DK.cancelDataKeyDeletion, { dataKeyId: cancelled });

    w.kms.clock.advance(7 * DAY - 1000);
    expect(await runDataKeysDueWork(dk, w.kms.clock.now())).toEqual([]);
    await w.ok(DK.describeDataKey, { dataKeyId });
    w.kms.clock.advance(1000);
    expect(await runDataKeysDueWork(dk, w.kms.clock.now())).toEqual([{ kind: "datakey-deletion", subject: `100000000001/ap-guangzhou/${dataKeyId}` }]);
    expect(await w.code(DK.describeDataKey, { dataKeyId })).toBe("ResourceUnavailable.DataKeyNotFound");
    expect([...(await w.snapshot()).keys()].filter((k) => k.includes(dataKeyId) || k.endsWith("/purged"))).toEqual([]);
    await w.hosted(keyId, "purged");
    await w.ok(DK.describeDataKey, { dataKeyId: cancelled });
    expect(await runDataKeysDueWork(dk, w.kms.clock.now())).toEqual([]);
  });
});
