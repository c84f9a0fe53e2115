/**
 * The hosted data keys' state table, cell by cell, in process: every action
 * on a data key from each of its three states, with the documented code for
 * every refusal, and the store unchanged by every refusal. The expected table
 * is written here from the API's documentation, not read from state.ts.
 */
import type { DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataKeyState } from "../../src/datakeys/data-key.js";
import { DK, openDataKeyWorld, type DataKeyWorld } from "./datakeys-harness.js";

let w: DataKeyWorld;
let keyId: string;
let serial = 0;

beforeAll(async () => {
  w = await openDataKeyWorld();
  keyId = await w.cmk("states-cmk");
});
afterAll(async () => {
  await w.dispose();
});

/** A data key brought to `state` through the API. */
async function dataKeyIn(state: DataKeyState): Promise<string> {
  const { dataKeyId } = await w.hosted(keyId, `states-${serial++}`);
  if (state !== "Enabled") await w.ok(DK.disableDataKey, { dataKeyId });
  if (state === "PendingDelete") await w.ok(DK.scheduleDataKeyDeletion, { dataKeyId, pendingWindowInDays: 7 });
  return dataKeyId;
}

async function stateOf(dataKeyId: string): Promise<string> {
  const md = (await w.ok(DK.describeDataKey, { dataKeyId })).dataKeyMetadata as { keyState: number };
  return ["", "Enabled", "Disabled", "PendingDelete"][md.keyState] as string;
}

type Request = (id: string) => [DescMethod, MessageInitShape<DescMethod["input"]>];
/** Per state: the state it leads to, or the refusal code. */
type Row = Record<DataKeyState, { to: DataKeyState } | { code: string }>;

const PD = "ResourceUnavailable.DataKeyPendingDelete";
const CASES: [string, Request, Row][] = [
  ["EnableDataKey", (id) => [DK.enableDataKey, { dataKeyId: id }], { Enabled: { to: "Enabled" }, Disabled: { to: "Enabled" }, PendingDelete: { code: PD } }],
  ["EnableDataKeys", (id) => [DK.enableDataKeys, { dataKeyIds: [id] }], { Enabled: { to: "Enabled" }, Disabled: { to: "Enabled" }, PendingDelete: { code: PD } }],
  ["DisableDataKey", (id) => [DK.disableDataKey, { dataKeyId: id }], { Enabled: { to: "Disabled" }, Disabled: { to: "Disabled" }, PendingDelete: { code: PD } }],
  ["DisableDataKeys", (id) => [DK.disableDataKeys, { dataKeyIds: [id] }], { Enabled: { to: "Disabled" }, Disabled: { to: "Disabled" }, PendingDelete: { code: PD } }],
  [
    "ScheduleDataKeyDeletion",
    (id) => [DK.scheduleDataKeyDeletion, { dataKeyId: id, pendingWindowInDays: 10 }],
    { Enabled: { code: "ResourceUnavailable.DataKeyStateNotSupport" }, Disabled: { to: "PendingDelete" }, PendingDelete: { code: PD } },
  ],
  [
    "CancelDataKeyDeletion",
    (id) => [DK.cancelDataKeyDeletion, { dataKeyId: id }],
    { Enabled: { code: "ResourceUnavailable.DataKeyNotPendingDelete" }, Disabled: { code: "ResourceUnavailable.DataKeyNotPendingDelete" }, PendingDelete: { to: "Disabled" } },
  ],
  ["UpdateDataKeyName", (id) => [DK.updateDataKeyName, { dataKeyId: id, dataKeyName: `renamed-${id.slice(0, 8)}` }], { Enabled: { to: "Enabled" }, Disabled: { to: "Disabled" }, PendingDelete: { code: PD } }],
  ["UpdateDataKeyDescription", (id) => [DK.updateDataKeyDescription, { dataKeyId: id, description: "new words" }], { Enabled: { to: "Enabled" }, Disabled: { to: "Disabled" }, PendingDelete: { code: PD } }],
  [
    "GetDataKeyPlaintext",
    (id) => [DK.getDataKeyPlaintext, { dataKeyId: id }],
    { Enabled: { to: "Enabled" }, Disabled: { code: "ResourceUnavailable.DataKeyDisabled" }, PendingDelete: { code: PD } },
  ],
  [
    "GetDataKeyCiphertextBlob",
    (id) => [DK.getDataKeyCiphertextBlob, { dataKeyId: id }],
    { Enabled: { to: "Enabled" }, Disabled: { code: "ResourceUnavailable.DataKeyDisabled" }, PendingDelete: { code: PD } },
  ],
  ["DescribeDataKey", (id) => [DK.describeDataKey, { dataKeyId: id }], { Enabled: { to: "Enabled" }, Disabled: { to: "Disabled" }, PendingDelete: { to: "PendingDelete" } }],
  ["DescribeDataKeys", (id) => [DK.describeDataKeys, { dataKeyIds: [id] }], { Enabled: { to: "Enabled" }, Disabled: { to: "Disabled" }, PendingDelete: { to: "PendingDelete" } }],
];

const STATES: DataKeyState[] = ["Enabled", "Disabled", "PendingDelete"];

describe("the data key state table", () => {
  for (const [action, request, row] of CASES) {
    for (const state of STATES) {
      const expected = row[state];
      const title = "code" in expected ? `${action} from ${state} answers ${expected.code} and writes nothing` : `${action} from ${state} leaves it ${expected.to}`;
      it(title, async () => {
        const id = await dataKeyIn(state);
        const [method, req] = request(id);
        if ("code" in expected) {
          const before = await w.snapshot();
          expect(await w.code(method, req)).toBe(expected.code);
          expect(await w.snapshot()).toEqual(before);
          expect(await stateOf(id)).toBe(state);
        } else {
          await w.ok(method, req);
          expect(await stateOf(id)).toBe(expected.to);
        }
      });
    }
  }

  it("keeps a deletion date only while PendingDelete, and cancelling drops its schedule entry", async () => {
    const id = await dataKeyIn("Disabled");
    const scheduled = await w.ok(DK.scheduleDataKeyDeletion, { dataKeyId: id, pendingWindowInDays: 30 });
    expect(scheduled.deletionDate).toBe(BigInt(Math.floor(w.kms.clock.now() / 1000) + 30 * 86400));
    const md = (await w.ok(DK.describeDataKey, { dataKeyId: id })).dataKeyMetadata as { deletionDate: bigint };
    expect(md.deletionDate).toBe(scheduled.deletionDate);
    const entries = async () => [...(await w.snapshot()).keys()].filter((k) => k.startsWith("v1/datakeys/deletions/") && k.endsWith(id));
    expect(await entries()).toHaveLength(1);
    expect(await w.ok(DK.cancelDataKeyDeletion, { dataKeyId: id })).toMatchObject({ dataKeyId: id });
    expect(((await w.ok(DK.describeDataKey, { dataKeyId: id })).dataKeyMetadata as { deletionDate: bigint }).deletionDate).toBe(0n);
    expect(await entries()).toEqual([]);
  });

  it("applies a batch all or nothing: one data key that refuses (or is missing) leaves every other as it was", async () => {
    const a = await dataKeyIn("Disabled");
    const b = await dataKeyIn("PendingDelete");
    const before = await w.snapshot();
    expect(await w.code(DK.enableDataKeys, { dataKeyIds: [a, b] })).toBe(PD);
    expect(await w.code(DK.enableDataKeys, { dataKeyIds: [a, "00000000-0000-4000-8000-000000000000"] })).toBe("ResourceUnavailable.DataKeyNotFound");
    expect(await w.snapshot()).toEqual(before);
    expect(await stateOf(a)).toBe("Disabled");
  });
});
