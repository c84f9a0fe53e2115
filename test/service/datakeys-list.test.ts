/**
 * ListDataKeys and ListDataKeyDetail in process: every filter the API
 * documents (KeyState, Origin, KeyId, DataKeyLen, SearchKeyAlias, TagFilters,
 * HsmClusterId, Role), both orders, paging, their refusals, and that the
 * listing follows every change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DK, KMS, openDataKeyWorld, type DataKeyWorld } from "./datakeys-harness.js";

let w: DataKeyWorld;
let cmkA: string;
let cmkB: string;
/** name → id, in creation order. */
const ids = new Map<string, string>();

beforeAll(async () => {
  w = await openDataKeyWorld();
  cmkA = await w.cmk("list-a");
  cmkB = await w.cmk("list-b");
  const make = async (name: string, how: () => Promise<string>) => {
    ids.set(name, await how());
    w.kms.clock.advance(1000);
  };
  await make("Orders-1", async () => (await w.hosted(cmkA, "Orders-1", { tags: [{ tagKey: "team", tagValue: "pay" }] })).dataKeyId);
  await make("orders-2", async () => (await w.ok(KMS.generateDataKey, { keyId: cmkB, keySpec: 1, isHostedByKms: 1, dataKeyName: "orders-2", tags: [{ tagKey: "team", tagValue: "ops" }] })).dataKeyId as string);
  await make("imported", async () => (await w.ok(DK.importDataKey, { dataKeyName: "imported", importType: 2, importKeyMaterial: Buffer.alloc(64, 5), keyId: cmkA })).dataKeyId as string);
  await make("disabled", async () => (await w.hosted(cmkB, "disabled")).dataKeyId);
  await make("pending", async () => (await w.hosted(cmkA, "pending")).dataKeyId);
  await w.ok(DK.disableDataKeys, { dataKeyIds: [ids.get("disabled")!, ids.get("pending")!] });
  await w.ok(DK.scheduleDataKeyDeletion, { dataKeyId: ids.get("pending")!, pendingWindowInDays: 7 });
  // Another region's data key never shows here.
  const beijingKey = (await w.ok(KMS.createKey, { alias: "list-cmk-beijing" }, { region: "ap-beijing" })).keyId as string;
  await w.hosted(beijingKey, "Orders-1", {}, { region: "ap-beijing" });
});
afterAll(async () => {
  await w.dispose();
});

async function names(req: Record<string, unknown>): Promise<{ total: number; names: string[] }> {
  const out = await w.ok(DK.listDataKeyDetail, req as never);
  const byId = new Map([...ids].map(([n, i]) => [i, n]));
  return { total: out.totalCount as number, names: (out.dataKeyMetadatas as { dataKeyId: string }[]).map((m) => byId.get(m.dataKeyId) ?? m.dataKeyId) };
}

describe("ListDataKeyDetail", () => {
  it("lists every data key of the account and region, newest first by default, oldest first with OrderType 1", async () => {
    expect(await names({})).toEqual({ total: 5, names: ["pending", "disabled", "imported", "orders-2", "Orders-1"] });
    expect(await names({ orderType: 1 })).toEqual({ total: 5, names: ["Orders-1", "orders-2", "imported", "disabled", "pending"] });
  });

  it("pages with Offset and Limit, TotalCount counting every match", async () => {
    expect(await names({ offset: 1, limit: 2 })).toEqual({ total: 5, names: ["disabled", "imported"] });
    expect(await names({ offset: 5 })).toEqual({ total: 5, names: [] });
  });

  it("filters on state, origin, CMK, length, search and tags, combined with AND", async () => {
    expect((await names({ keyState: 1 })).names.sort()).toEqual(["Orders-1", "imported", "orders-2"]);
    expect((await names({ keyState: 2 })).names).toEqual(["disabled"]);
    expect((await names({ keyState: 3 })).names).toEqual(["pending"]);
    expect((await names({ origin: "EXTERNAL" })).names).toEqual(["imported"]);
    expect((await names({ origin: "TENCENT_KMS" })).total).toBe(4);
    expect((await names({ origin: "ALL" })).total).toBe(5);
    expect((await names({ keyId: cmkB })).names).toEqual(["disabled", "orders-2"]);
    expect((await names({ dataKeyLen: 16 })).names).toEqual(["orders-2"]);
    expect((await names({ dataKeyLen: 64 })).names).toEqual(["imported"]);
    expect((await names({ searchKeyAlias: "ORDERS" })).names).toEqual(["orders-2", "Orders-1"]);
    expect((await names({ searchKeyAlias: ids.get("imported")!.slice(0, 13) })).names).toEqual(["imported"]);
    expect((await names({ tagFilters: [{ tagKey: "team", tagValue: [] }] })).names).toEqual(["orders-2", "Orders-1"]);
    expect((await names({ tagFilters: [{ tagKey: "team", tagValue: ["pay", "x"] }] })).names).toEqual(["Orders-1"]);
    expect((await names({ keyId: cmkA, keyState: 1, origin: "TENCENT_KMS", dataKeyLen: 32, searchKeyAlias: "orders" })).names).toEqual(["Orders-1"]);
  });

  it("answers this service's cluster as every data key, Tencent's shared edition and Role 1 as none", async () => {
    expect((await names({ hsmClusterId: "tc-kms-cluster" })).total).toBe(5);
    expect(await names({ hsmClusterId: "default" })).toEqual({ total: 0, names: [] });
    expect(await names({ role: 1 })).toEqual({ total: 0, names: [] });
  });

  it("answers the metadata Tencent's DataKeyMetadata declares", async () => {
    const out = await w.ok(DK.listDataKeyDetail, { searchKeyAlias: "pending" });
    expect(out.dataKeyMetadatas).toEqual([
      expect.objectContaining({
        dataKeyId: ids.get("pending"),
        keyId: cmkA,
        keyName: "list-a",
        dataKeyName: "pending",
        numberOfBytes: 32,
        keyState: 3,
        origin: 1,
        owner: "user",
        creatorUin: 100000000001n,
        creatorUinString: "100000000001",
        resourceId: `creatorUin/100000000001/${ids.get("pending")}`,
        hsmClusterId: "tc-kms-cluster",
        accountUin: 100000000001n,
        isSyncReplica: 0,
        syncStatus: 0,
      }),
    ]);
    expect(((out.dataKeyMetadatas as { deletionDate: bigint }[])[0] as { deletionDate: bigint }).deletionDate).toBeGreaterThan(0n);
  });

  it("refuses filter values the API does not define", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ keyState: 4 }, "InvalidParameterValue"],
      [{ origin: "external" }, "InvalidParameterValue"],
      [{ orderType: 2 }, "InvalidParameterValue"],
      [{ role: 2 }, "InvalidParameterValue"],
      [{ limit: 201 }, "InvalidParameterValue"],
      [{ dataKeyLen: 1025 }, "InvalidParameterValue"],
      [{ keyId: "nope" }, "InvalidParameterValue.InvalidKeyId"],
      [{ hsmClusterId: "hsm-other" }, "InvalidParameterValue.InvalidHsmClusterId"],
      [{ tagFilters: [{ tagKey: "", tagValue: [] }] }, "InvalidParameterValue"],
    ];
    for (const [req, code] of cases) expect(await w.code(DK.listDataKeyDetail, req as never), JSON.stringify(req)).toBe(code);
  });

  it("follows renames, state changes and new data keys at once", async () => {
    await w.ok(DK.updateDataKeyName, { dataKeyId: ids.get("imported")!, dataKeyName: "renamed-import" });
    expect((await names({ searchKeyAlias: "renamed" })).names).toEqual(["imported"]);
    await w.ok(DK.enableDataKey, { dataKeyId: ids.get("disabled")! });
    expect((await names({ keyState: 2 })).total).toBe(0);
    await w.ok(DK.disableDataKey, { dataKeyId: ids.get("disabled")! });
    expect((await names({ keyState: 2 })).names).toEqual(["disabled"]);
    // The page is answered from the index: what it says must be what DescribeDataKey says.
    await w.ok(DK.updateDataKeyDescription, { dataKeyId: ids.get("disabled")!, description: "described" });
    const listed = (await w.ok(DK.listDataKeyDetail, { keyState: 2 })).dataKeyMetadatas;
    expect(listed).toEqual([(await w.ok(DK.describeDataKey, { dataKeyId: ids.get("disabled")! })).dataKeyMetadata]);
    expect(listed).toEqual([expect.objectContaining({ description: "described" })]);
  });
});

describe("ListDataKeys", () => {
  it("lists ids newest first, with paging and Role", async () => {
    const out = await w.ok(DK.listDataKeys, { limit: 2 });
    expect(out.totalCount).toBe(5);
    expect((out.dataKeys as { dataKeyId: string }[]).map((d) => d.dataKeyId)).toEqual([ids.get("pending"), ids.get("disabled")]);
    expect((await w.ok(DK.listDataKeys, { role: 1 })).totalCount).toBe(0);
    expect(await w.code(DK.listDataKeys, { limit: 201 })).toBe("InvalidParameterValue");
    expect(await w.code(DK.listDataKeys, { role: 5 })).toBe("InvalidParameterValue");
  });
});
