/** Key lifecycle through the real server, over the gRPC protocol (connect-es client). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyState, KeyUsage, Origin } from "../../gen/kms/v1/kms_pb.js";
import { codeOf, connectClients, type ConnectClients, type KmsClient } from "../helpers/clients.js";
import { startTestServer, useServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let clients: ConnectClients;
let kms: KmsClient;
let seq = 0;
const alias = (p = "k") => `${p}-${Date.now().toString(36)}-${++seq}`;
const DAY = 86_400_000;

useServer((s, c) => {
  ts = s;
  clients = c;
  kms = c.grpc;
});

/** Runs a scheduler pass; returns the ids of the keys it purged. */
async function purgedNow(): Promise<string[]> {
  return (await ts.server.scheduler.runOnce()).filter((d) => d.kind === "key-deletion").map((d) => d.subject);
}

async function stateOf(keyId: string): Promise<KeyState> {
  return (await kms.describeKey({ keyId })).keyMetadata!.keyState;
}

/** A key brought into the given state by public calls only. */
async function keyIn(state: KeyState): Promise<string> {
  if (state === KeyState.PENDING_IMPORT) return (await kms.createKey({ alias: alias("imp"), type: 2 })).keyId;
  const { keyId } = await kms.createKey({ alias: alias("st") });
  if (state === KeyState.DISABLED || state === KeyState.PENDING_DELETE) await kms.disableKey({ keyId });
  if (state === KeyState.PENDING_DELETE) await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  if (state === KeyState.ARCHIVED) await kms.archiveKey({ keyId });
  expect(await stateOf(keyId)).toBe(state);
  return keyId;
}

describe("CreateKey", () => {
  it("creates an enabled FIPS key with its fields", async () => {
    const a = alias();
    const res = await kms.createKey({ alias: a, description: "test cmk", tags: [{ tagKey: "team", tagValue: "pay" }] });
    expect(res.keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res).toMatchObject({ alias: a, description: "test cmk", keyState: KeyState.ENABLED, keyUsage: KeyUsage.ENCRYPT_DECRYPT, tagCode: 0, tagMsg: "Success" });
    expect(res.createTime).toBe(BigInt(Math.floor(ts.clock.now() / 1000)));
    const md = (await kms.describeKey({ keyId: res.keyId })).keyMetadata!;
    expect(md).toMatchObject({
      keyId: res.keyId,
      alias: a,
      type: 2,
      origin: Origin.TENCENT_KMS,
      owner: "user",
      creatorUin: 100000000001n,
      creatorUinString: "100000000001",
      resourceId: `creatorUin/100000000001/${res.keyId}`,
      keyRotationEnabled: false,
      deletionDate: 0n,
    });
    expect(md.tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["team", "pay"]]);
    expect(md.bindings).toEqual([]);
    await kms.bindCloudResource({ keyId: res.keyId, productId: "cos", resourceId: "bucket-1" });
    const bound = (await kms.describeKey({ keyId: res.keyId })).keyMetadata!;
    expect(bound.bindings.map((b) => [b.productId, b.resourceId])).toEqual([["cos", "bucket-1"]]);
  });

  it("Type 2 creates an EXTERNAL key in PendingImport", async () => {
    const res = await kms.createKey({ alias: alias(), type: 2 });
    expect(res.keyState).toBe(KeyState.PENDING_IMPORT);
    expect((await kms.describeKey({ keyId: res.keyId })).keyMetadata!.origin).toBe(Origin.EXTERNAL);
  });

  it("accepts the alias and description limits exactly", async () => {
    const a = `A${"b".repeat(58)}_`;
    expect(a.length).toBe(60);
    const desc = "é".repeat(512); // 1024 bytes of UTF-8
    const res = await kms.createKey({ alias: a, description: desc });
    expect(res.description).toBe(desc);
  });

  it.each([
    ["", "InvalidParameterValue.InvalidAlias"],
    ["x".repeat(61), "InvalidParameterValue.InvalidAlias"],
    ["-leading", "InvalidParameterValue.InvalidAlias"],
    ["_leading", "InvalidParameterValue.InvalidAlias"],
    ["has space", "InvalidParameterValue.InvalidAlias"],
    ["dot.ted", "InvalidParameterValue.InvalidAlias"],
    ["kms-reserved", "InvalidParameterValue.InvalidAlias"],
    ["ünïcode", "InvalidParameterValue.InvalidAlias"],
  ])("refuses alias %j with %s", async (a, code) => {
    expect(await codeOf(kms.createKey({ alias: a }))).toBe(code);
  });

  it("refuses a taken alias and writes nothing", async () => {
    const a = alias();
    await kms.createKey({ alias: a });
    const before = (await kms.getServiceStatus({})).cmkUserCount;
    expect(await codeOf(kms.createKey({ alias: a }))).toBe("InvalidParameterValue.AliasAlreadyExists");
    expect((await kms.getServiceStatus({})).cmkUserCount).toBe(before);
  });

  it("keeps alias uniqueness under concurrent creates", async () => {
    const a = alias("race");
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => kms.createKey({ alias: a })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const listed = await kms.listKeyDetail({ searchKeyAlias: a, limit: 200 });
    expect(listed.totalCount).toBe(1);
  });

  it.each([
    [{ description: "x".repeat(1025) }, "InvalidParameter"],
    [{ type: 3 }, "InvalidParameterValue.InvalidType"],
    [{ keyUsage: 99 as KeyUsage }, "InvalidParameterValue.InvalidKeyUsage"],
    [{ tags: [{ tagKey: "a", tagValue: "1" }, { tagKey: "a", tagValue: "2" }] }, "InvalidParameterValue.TagKeysDuplicated"],
    [{ tags: Array.from({ length: 51 }, (_, i) => ({ tagKey: `t${i}`, tagValue: "" })) }, "InvalidParameter"],
    [{ tags: [{ tagKey: "", tagValue: "v" }] }, "InvalidParameterValue"],
    [{ tags: [{ tagKey: "k", tagValue: "v".repeat(256) }] }, "InvalidParameterValue"],
  ])("refuses %j", async (extra, code) => {
    expect(await codeOf(kms.createKey({ alias: alias(), ...extra }))).toBe(code);
  });
});

describe("DescribeKey and DescribeKeys", () => {
  it("answers InvalidKeyId for malformed ids and CmkNotFound for unknown ones", async () => {
    expect(await codeOf(kms.describeKey({ keyId: "" }))).toBe("InvalidParameterValue.InvalidKeyId");
    expect(await codeOf(kms.describeKey({ keyId: "not-a-key" }))).toBe("InvalidParameterValue.InvalidKeyId");
    expect(await codeOf(kms.describeKey({ keyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
  });

  it("describes up to 100 keys in request order, leaving out unknown ids", async () => {
    const a = (await kms.createKey({ alias: alias() })).keyId;
    const b = (await kms.createKey({ alias: alias() })).keyId;
    const res = await kms.describeKeys({ keyIds: [b, "00000000-0000-4000-8000-000000000001", a] });
    expect(res.keyMetadatas.map((m) => m.keyId)).toEqual([b, a]);
  });

  it("enforces the list rules", async () => {
    const a = (await kms.createKey({ alias: alias() })).keyId;
    expect(await codeOf(kms.describeKeys({ keyIds: [] }))).toBe("InvalidParameter");
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    expect(await codeOf(kms.describeKeys({ keyIds: many }))).toBe("InvalidParameter");
    expect((await kms.describeKeys({ keyIds: many.slice(0, 100) })).keyMetadatas).toEqual([]);
    expect(await codeOf(kms.describeKeys({ keyIds: [a, a] }))).toBe("InvalidParameterValue.DuplicatedKeyId");
    expect(await codeOf(kms.describeKeys({ keyIds: [a, "bad"] }))).toBe("InvalidParameterValue.InvalidKeyId");
  });
});

describe("ListKeys and ListKeyDetail", () => {
  let own: TestServer;
  let ownClients: ConnectClients;
  let c: KmsClient;
  const ids: string[] = [];

  beforeAll(async () => {
    own = await startTestServer();
    ownClients = connectClients(own);
    c = ownClients.grpc;
    // 12 keys, one second apart: k0 oldest. k0-k2 tagged env=prod, k3 env=dev; k4 disabled; k5 external; k6 archived.
    for (let i = 0; i < 12; i++) {
      const tags = i < 3 ? [{ tagKey: "env", tagValue: "prod" }] : i === 3 ? [{ tagKey: "env", tagValue: "dev" }] : [];
      const res = await c.createKey({ alias: `list-${i}${i === 7 ? "-Special" : ""}`, type: i === 5 ? 2 : 1, tags });
      ids.push(res.keyId);
      own.clock.advance(1000);
    }
    await c.disableKey({ keyId: ids[4]! });
    await c.archiveKey({ keyId: ids[6]! });
  });
  afterAll(async () => {
    ownClients.close();
    await own.dispose();
  });

  it("pages key ids newest first with a total count", async () => {
    const first = await c.listKeys({});
    expect(first.totalCount).toBe(12);
    expect(first.keys.map((k) => k.keyId)).toEqual([...ids].reverse().slice(0, 10));
    const second = await c.listKeys({ offset: 10, limit: 10 });
    expect(second.keys.map((k) => k.keyId)).toEqual([ids[1], ids[0]]);
    expect((await c.listKeys({ offset: 50 })).keys).toEqual([]);
    expect((await c.listKeys({ role: 1 })).totalCount).toBe(0);
    expect((await c.listKeys({ limit: 200 })).keys).toHaveLength(12);
  });

  it("refuses out-of-range paging and roles", async () => {
    expect(await codeOf(c.listKeys({ limit: 201 }))).toBe("InvalidParameterValue");
    expect(await codeOf(c.listKeys({ role: 2 }))).toBe("InvalidParameterValue");
    expect(await codeOf(c.listKeyDetail({ limit: 201 }))).toBe("InvalidParameterValue");
    expect(await codeOf(c.listKeyDetail({ orderType: 2 }))).toBe("InvalidParameterValue");
    expect(await codeOf(c.listKeyDetail({ keyState: 9 as KeyState }))).toBe("InvalidParameterValue");
    expect(await codeOf(c.listKeyDetail({ keyUsage: 42 as KeyUsage }))).toBe("InvalidParameterValue.InvalidKeyUsage");
  });

  it("filters by state, origin, usage, alias search and tags, with ordering", async () => {
    const detail = (req: Parameters<KmsClient["listKeyDetail"]>[0]) => c.listKeyDetail({ limit: 200, ...req });
    expect((await detail({})).totalCount).toBe(12);
    expect((await detail({ keyState: KeyState.DISABLED })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[4]]);
    expect((await detail({ keyState: KeyState.ARCHIVED })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[6]]);
    expect((await detail({ keyState: KeyState.PENDING_IMPORT })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[5]]);
    expect((await detail({ keyState: KeyState.ENABLED })).totalCount).toBe(9);
    expect((await detail({ origin: Origin.EXTERNAL })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[5]]);
    expect((await detail({ origin: Origin.TENCENT_KMS })).totalCount).toBe(11);
    expect((await detail({ allKeyUsages: true })).totalCount).toBe(12);
    expect((await detail({ keyUsage: KeyUsage.ENCRYPT_DECRYPT })).totalCount).toBe(12);
    expect((await detail({ searchKeyAlias: "special" })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[7]]);
    expect((await detail({ searchKeyAlias: ids[9]!.slice(0, 13) })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[9]]);
    expect((await detail({ tagFilters: [{ tagKey: "env", tagValue: ["prod"] }], orderType: 1 })).keyMetadatas.map((m) => m.keyId)).toEqual(ids.slice(0, 3));
    expect((await detail({ tagFilters: [{ tagKey: "env", tagValue: [] }] })).totalCount).toBe(4);
    expect((await detail({ tagFilters: [{ tagKey: "env", tagValue: ["dev", "qa"] }] })).keyMetadatas.map((m) => m.keyId)).toEqual([ids[3]]);
    expect((await detail({ tagFilters: [{ tagKey: "env", tagValue: ["prod"] }], keyState: KeyState.DISABLED })).totalCount).toBe(0);
    const asc = await detail({ orderType: 1, offset: 2, limit: 3 });
    expect(asc.totalCount).toBe(12);
    expect(asc.keyMetadatas.map((m) => m.keyId)).toEqual(ids.slice(2, 5));
    expect((await detail({ role: 1 })).totalCount).toBe(0);
  });

  it("GetServiceStatus counts the keys and GetRegions lists the configured regions", async () => {
    const st = await c.getServiceStatus({});
    expect(st).toMatchObject({ serviceEnabled: true, invalidType: 1, cmkUserCount: 12, cmkLimit: 1_000_000 });
    expect((await c.getRegions({})).regions).toEqual(["ap-guangzhou"]);
  });
});

describe("UpdateAlias and UpdateKeyDescription", () => {
  it("moves the alias and frees the old one", async () => {
    const old = alias();
    const next = alias();
    const { keyId } = await kms.createKey({ alias: old });
    await kms.updateAlias({ keyId, alias: next });
    expect((await kms.describeKey({ keyId })).keyMetadata!.alias).toBe(next);
    await kms.createKey({ alias: old }); // the old alias is free again
    expect(await codeOf(kms.updateAlias({ keyId, alias: old }))).toBe("InvalidParameterValue.AliasAlreadyExists");
    await kms.updateAlias({ keyId, alias: next }); // same alias: no-op
    expect(await codeOf(kms.updateAlias({ keyId, alias: "kms-x" }))).toBe("InvalidParameterValue.InvalidAlias");
    expect(await codeOf(kms.updateAlias({ keyId: "00000000-0000-4000-8000-000000000000", alias: alias() }))).toBe("ResourceUnavailable.CmkNotFound");
    expect((await kms.describeKey({ keyId })).keyMetadata!.alias).toBe(next);
  });

  it("replaces the description within 1024 bytes", async () => {
    const { keyId } = await kms.createKey({ alias: alias(), description: "a" });
    await kms.updateKeyDescription({ keyId, description: "b".repeat(1024) });
    expect((await kms.describeKey({ keyId })).keyMetadata!.description).toBe("b".repeat(1024));
    expect(await codeOf(kms.updateKeyDescription({ keyId, description: "c".repeat(1025) }))).toBe("InvalidParameter");
    expect((await kms.describeKey({ keyId })).keyMetadata!.description).toBe("b".repeat(1024));
    await kms.updateKeyDescription({ keyId, description: "" });
    expect((await kms.describeKey({ keyId })).keyMetadata!.description).toBe("");
  });
});

describe("state machine", () => {
  const S = KeyState;
  type Outcome = KeyState | string;
  // Rows: starting state. Columns: action → resulting state, or the refusal code.
  const table: Record<string, Record<string, Outcome>> = {
    Enabled: {
      EnableKey: S.ENABLED,
      DisableKey: S.DISABLED,
      ScheduleKeyDeletion: "ResourceUnavailable.CmkShouldBeDisabled",
      CancelKeyDeletion: "ResourceUnavailable.CmkNotPendingDelete",
      ArchiveKey: S.ARCHIVED,
      CancelKeyArchive: "ResourceUnavailable.CmkStateNotSupport",
    },
    Disabled: {
      EnableKey: S.ENABLED,
      DisableKey: S.DISABLED,
      ScheduleKeyDeletion: S.PENDING_DELETE,
      CancelKeyDeletion: "ResourceUnavailable.CmkNotPendingDelete",
      ArchiveKey: "ResourceUnavailable.CmkStateNotSupport",
      CancelKeyArchive: "ResourceUnavailable.CmkStateNotSupport",
    },
    PendingDelete: {
      EnableKey: "ResourceUnavailable.CmkStateNotSupport",
      DisableKey: "ResourceUnavailable.CmkStateNotSupport",
      ScheduleKeyDeletion: "ResourceUnavailable.CmkStateNotSupport",
      CancelKeyDeletion: S.DISABLED,
      ArchiveKey: "ResourceUnavailable.CmkStateNotSupport",
      CancelKeyArchive: "ResourceUnavailable.CmkStateNotSupport",
    },
    PendingImport: {
      EnableKey: "ResourceUnavailable.CmkStateNotSupport",
      DisableKey: "ResourceUnavailable.CmkStateNotSupport",
      ScheduleKeyDeletion: S.PENDING_DELETE,
      CancelKeyDeletion: "ResourceUnavailable.CmkNotPendingDelete",
      ArchiveKey: "ResourceUnavailable.CmkStateNotSupport",
      CancelKeyArchive: "ResourceUnavailable.CmkStateNotSupport",
    },
    Archived: {
      EnableKey: "ResourceUnavailable.CmkStateNotSupport",
      DisableKey: "ResourceUnavailable.CmkStateNotSupport",
      ScheduleKeyDeletion: "ResourceUnavailable.CmkShouldBeDisabled",
      CancelKeyDeletion: "ResourceUnavailable.CmkNotPendingDelete",
      ArchiveKey: S.ARCHIVED,
      CancelKeyArchive: S.ENABLED,
    },
  };
  const stateByName: Record<string, KeyState> = {
    Enabled: S.ENABLED,
    Disabled: S.DISABLED,
    PendingDelete: S.PENDING_DELETE,
    PendingImport: S.PENDING_IMPORT,
    Archived: S.ARCHIVED,
  };
  const run: Record<string, (keyId: string) => Promise<unknown>> = {
    EnableKey: (keyId) => kms.enableKey({ keyId }),
    DisableKey: (keyId) => kms.disableKey({ keyId }),
    ScheduleKeyDeletion: (keyId) => kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 10 }),
    CancelKeyDeletion: (keyId) => kms.cancelKeyDeletion({ keyId }),
    ArchiveKey: (keyId) => kms.archiveKey({ keyId }),
    CancelKeyArchive: (keyId) => kms.cancelKeyArchive({ keyId }),
  };
  const cases = Object.entries(table).flatMap(([from, row]) => Object.entries(row).map(([action, outcome]) => [from, action, outcome] as const));

  it.each(cases)("%s --%s--> %s", async (from, action, outcome) => {
    const start = stateByName[from]!;
    const keyId = await keyIn(start);
    if (typeof outcome === "string") {
      expect(await codeOf(run[action]!(keyId))).toBe(outcome);
      expect(await stateOf(keyId)).toBe(start); // a refusal changes nothing
    } else {
      await run[action]!(keyId);
      expect(await stateOf(keyId)).toBe(outcome);
    }
  });

  it("a cancelled deletion of an EXTERNAL key without material returns it to PendingImport", async () => {
    const keyId = await keyIn(S.PENDING_IMPORT);
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    await kms.cancelKeyDeletion({ keyId });
    expect(await stateOf(keyId)).toBe(S.PENDING_IMPORT);
  });

  it("every lifecycle action answers CmkNotFound for an unknown key and InvalidKeyId for a malformed one", async () => {
    for (const action of Object.keys(run)) {
      expect(await codeOf(run[action]!("00000000-0000-4000-8000-00000000abcd"))).toBe("ResourceUnavailable.CmkNotFound");
      expect(await codeOf(run[action]!("nope"))).toBe("InvalidParameterValue.InvalidKeyId");
    }
  });
});

describe("EnableKeys and DisableKeys", () => {
  it("change every key at once", async () => {
    const keys = [await keyIn(KeyState.ENABLED), await keyIn(KeyState.ENABLED), await keyIn(KeyState.DISABLED)];
    await kms.disableKeys({ keyIds: keys });
    for (const k of keys) expect(await stateOf(k)).toBe(KeyState.DISABLED);
    await kms.enableKeys({ keyIds: keys });
    for (const k of keys) expect(await stateOf(k)).toBe(KeyState.ENABLED);
  });

  it("are all or nothing", async () => {
    const enabled = await keyIn(KeyState.ENABLED);
    const pending = await keyIn(KeyState.PENDING_DELETE);
    expect(await codeOf(kms.disableKeys({ keyIds: [enabled, pending] }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await stateOf(enabled)).toBe(KeyState.ENABLED);
    expect(await codeOf(kms.disableKeys({ keyIds: [enabled, "00000000-0000-4000-8000-00000000beef"] }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await stateOf(enabled)).toBe(KeyState.ENABLED);
  });

  it("validate the list", async () => {
    const k = await keyIn(KeyState.ENABLED);
    expect(await codeOf(kms.enableKeys({ keyIds: [] }))).toBe("InvalidParameter");
    expect(await codeOf(kms.enableKeys({ keyIds: [k, k] }))).toBe("InvalidParameterValue.DuplicatedKeyId");
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    expect(await codeOf(kms.disableKeys({ keyIds: many }))).toBe("InvalidParameter");
  });
});

describe("ScheduleKeyDeletion, CancelKeyDeletion and the scheduler", () => {
  it("validates the window", async () => {
    const keyId = await keyIn(KeyState.DISABLED);
    for (const days of [0, 6, 31, 365])
      expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: days }))).toBe("InvalidParameter.InvalidPendingWindowInDays");
    expect(await stateOf(keyId)).toBe(KeyState.DISABLED);
  });

  it("reports the deletion date and purges the key only once it has passed", async () => {
    const a = alias("doomed");
    const { keyId } = await kms.createKey({ alias: a });
    const blob = (await kms.encrypt({ keyId, plaintext: new TextEncoder().encode("x") })).ciphertextBlob;
    await kms.disableKey({ keyId });
    const res = await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    const due = ts.clock.now() + 7 * DAY;
    expect(res).toMatchObject({ keyId, deletionDate: BigInt(Math.floor(due / 1000)) });
    expect((await kms.describeKey({ keyId })).keyMetadata!.deletionDate).toBe(res.deletionDate);
    const count = (await kms.getServiceStatus({})).cmkUserCount;

    ts.clock.advance(7 * DAY - 1000);
    expect(await purgedNow()).not.toContain(keyId);
    expect(await stateOf(keyId)).toBe(KeyState.PENDING_DELETE);

    ts.clock.advance(1000);
    const purged = await purgedNow();
    expect(purged).toContain(keyId);
    expect(await codeOf(kms.describeKey({ keyId }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await codeOf(kms.cancelKeyDeletion({ keyId }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await codeOf(kms.decrypt({ ciphertextBlob: blob }))).toBe("ResourceUnavailable.CmkNotFound");
    expect((await kms.getServiceStatus({})).cmkUserCount).toBe(count - purged.length);
    expect((await kms.listKeys({ limit: 200 })).keys.map((k) => k.keyId)).not.toContain(keyId);
    await kms.createKey({ alias: a }); // its alias is free
  });

  it("a cancelled deletion is never purged", async () => {
    const keyId = await keyIn(KeyState.DISABLED);
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    expect(await kms.cancelKeyDeletion({ keyId })).toMatchObject({ keyId });
    expect((await kms.describeKey({ keyId })).keyMetadata!.deletionDate).toBe(0n);
    ts.clock.advance(8 * DAY);
    await purgedNow();
    expect(await stateOf(keyId)).toBe(KeyState.DISABLED);
  });
});
