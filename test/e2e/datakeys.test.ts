/**
 * Hosted data keys end to end, on the real server: the official
 * tencentcloud-sdk-nodejs client drives all 15 actions and GenerateDataKey
 * with IsHostedByKms 1, and surfaces the documented refusal codes; the same
 * over gRPC (connect-es) with each code's gRPC status; every action denied to
 * a sub-user without a grant, allowed on exactly the data key (or CMK, or
 * account) it was granted and denied on others, on both transports; the
 * scheduler's purge with a ManualClock; a restart keeps everything.
 */
import type { DescMessage, DescMethod, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataKeyService } from "../../gen/kms/v1/datakeys_pb.js";
import { ErrorInfoSchema, KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { DATA_KEYS_API } from "../../src/contract/datakeys-api.js";
import { fromApi, type JsonValue } from "../../src/transport/api3/translate.js";
import { adminClient, bearer, type AdminClient } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

const ACCOUNT = "100000000001";
const REGION = "ap-guangzhou";
const DENIED = "UnauthorizedOperation";
const OK = "ok";
const MISSING = "00000000-0000-4000-8000-000000000000";
const DAY = 86_400_000;

type Params = { [key: string]: JsonValue };
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString("base64");
const dataKeyResource = (id: string, creator = ACCOUNT) => `qcs::kms:${REGION}:uin/${ACCOUNT}:datakey/creatorUin/${creator}/${id}`;
const keyResource = (id: string) => `qcs::kms:${REGION}:uin/${ACCOUNT}:key/creatorUin/${ACCOUNT}/${id}`;
const ACCOUNT_RESOURCE = `qcs::kms:${REGION}:uin/${ACCOUNT}:*`;

let ts: TestServer;
let sdk: TencentKmsClient;
let sessions: Http2SessionManager;
let rootGrpc: Client<typeof DataKeyService>;
let rootKms: Client<typeof KeyManagementService>;
let admin: { client: AdminClient; close(): void };
let cmk: string;
let serial = 0;
const name = (prefix: string) => `${prefix}-${serial++}`;

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false" } });
  sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
  sessions = new Http2SessionManager(ts.grpcUrl);
  const transport = transportFor(ts.token);
  rootGrpc = createClient(DataKeyService, transport);
  rootKms = createClient(KeyManagementService, transport);
  admin = adminClient(ts);
  cmk = (await sdk.CreateKey({ Alias: "datakeys-e2e" })).KeyId!;
});
afterAll(async () => {
  admin.close();
  sessions.abort();
  await ts.dispose();
});

function transportFor(token: string): Transport {
  return createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] });
}

/** "ok", or the API 3.0 code of a failed call from either transport (a gRPC denial must be PERMISSION_DENIED). */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return OK;
  } catch (err) {
    if (err instanceof ConnectError) {
      const code = err.findDetails(ErrorInfoSchema)[0]?.code ?? `no ErrorInfo: ${err.message}`;
      if (code === DENIED) expect(err.code).toBe(Code.PermissionDenied);
      return code;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string") throw err;
    return code;
  }
}

async function hosted(extra: Params = {}): Promise<string> {
  return (await sdk.GenerateDataKey({ KeyId: cmk, KeySpec: "AES_256", IsHostedByKms: 1, DataKeyName: name("dk"), ...extra })).DataKeyId!;
}

describe("the official SDK", () => {
  it("drives all 15 data-key actions and GenerateDataKey with IsHostedByKms 1", async () => {
    const generated = await sdk.GenerateDataKey({
      KeyId: cmk,
      NumberOfBytes: 32,
      IsHostedByKms: 1,
      DataKeyName: "sdk-hosted",
      Description: "hosted via SDK",
      Tags: [{ TagKey: "team", TagValue: "pay" }],
      HsmClusterId: "tc-kms-cluster",
      EncryptionContext: '{"app":"sdk"}',
    });
    expect(generated).toMatchObject({ KeyId: cmk, TagCode: 0, TagMsg: "Success" });
    expect(generated.DataKeyId).toMatch(/^[0-9a-f-]{36}$/);
    const id = generated.DataKeyId!;
    const createdAt = Math.floor(ts.clock.now() / 1000);

    const md = (await sdk.DescribeDataKey({ DataKeyId: id })).DataKeyMetadata!;
    expect(md).toMatchObject({
      DataKeyId: id,
      KeyId: cmk,
      KeyName: "datakeys-e2e",
      DataKeyName: "sdk-hosted",
      NumberOfBytes: 32,
      Description: "hosted via SDK",
      KeyState: "Enabled",
      CreatorUin: Number(ACCOUNT),
      CreatorUinString: ACCOUNT,
      Owner: "user",
      DeletionDate: 0,
      Origin: "TENCENT_KMS",
      HsmClusterId: "tc-kms-cluster",
      ResourceId: `creatorUin/${ACCOUNT}/${id}`,
      IsSyncReplica: 0,
      SyncStatus: 0,
      AccountUin: Number(ACCOUNT),
      CreateTime: createdAt,
    });
    expect(md).not.toHaveProperty("tags");

    expect((await sdk.GetDataKeyPlaintext({ DataKeyId: id })).Plaintext).toBe(generated.Plaintext);
    const blob = (await sdk.GetDataKeyCiphertextBlob({ DataKeyId: id })).CiphertextBlob!;
    expect(blob).toBe(generated.CiphertextBlob);
    expect((await sdk.Decrypt({ CiphertextBlob: blob, EncryptionContext: '{"app":"sdk"}' })).Plaintext).toBe(generated.Plaintext);

    const plain = Buffer.alloc(16, 7);
    // Listings order by creation time: one second apart.
    ts.clock.advance(1000);
    const imported = await sdk.ImportDataKey({ DataKeyName: "sdk-imported", ImportKeyMaterial: b64(plain), ImportType: 2, KeyId: cmk, Description: "brought", Tags: [{ TagKey: "team", TagValue: "ops" }] });
    expect(imported).toMatchObject({ KeyId: cmk, TagCode: 0, TagMsg: "Success" });
    ts.clock.advance(1000);
    const fromBlob = await sdk.ImportDataKey({ DataKeyName: "sdk-imported-blob", ImportKeyMaterial: (await sdk.GenerateDataKey({ KeyId: cmk, NumberOfBytes: 48 })).CiphertextBlob!, ImportType: 1, KeyId: cmk });
    expect((await sdk.DescribeDataKey({ DataKeyId: fromBlob.DataKeyId! })).DataKeyMetadata).toMatchObject({ Origin: "EXTERNAL", NumberOfBytes: 48 });
    expect((await sdk.GetDataKeyPlaintext({ DataKeyId: imported.DataKeyId! })).Plaintext).toBe(b64(plain));

    const listed = await sdk.ListDataKeys({ Offset: 0, Limit: 2 });
    expect(listed.TotalCount).toBe(3);
    expect(listed.DataKeys).toEqual([{ DataKeyId: fromBlob.DataKeyId }, { DataKeyId: imported.DataKeyId }]);
    const detail = await sdk.ListDataKeyDetail({ KeyState: 1, Origin: "EXTERNAL", OrderType: 1, KeyId: cmk, DataKeyLen: 16, SearchKeyAlias: "IMPORTED", TagFilters: [{ TagKey: "team", TagValue: ["ops"] }], HsmClusterId: "tc-kms-cluster", Role: 0 });
    expect(detail.TotalCount).toBe(1);
    expect(detail.DataKeyMetadatas!.map((m) => m.DataKeyId)).toEqual([imported.DataKeyId]);
    expect((await sdk.DescribeDataKeys({ DataKeyIds: [imported.DataKeyId!, id, MISSING] })).DataKeyMetadatas!.map((m) => m.DataKeyId)).toEqual([imported.DataKeyId, id]);

    await sdk.UpdateDataKeyName({ DataKeyId: id, DataKeyName: "sdk-renamed" });
    await sdk.UpdateDataKeyDescription({ DataKeyId: id, Description: "new words" });
    expect((await sdk.DescribeDataKey({ DataKeyId: id })).DataKeyMetadata).toMatchObject({ DataKeyName: "sdk-renamed", Description: "new words" });
    await sdk.DisableDataKey({ DataKeyId: id });
    await sdk.EnableDataKey({ DataKeyId: id });
    await sdk.DisableDataKeys({ DataKeyIds: [id, imported.DataKeyId!] });
    expect((await sdk.ListDataKeyDetail({ KeyState: 2 })).TotalCount).toBe(2);
    await sdk.EnableDataKeys({ DataKeyIds: [imported.DataKeyId!] });
    const scheduled = await sdk.ScheduleDataKeyDeletion({ DataKeyId: id, PendingWindowInDays: 7 });
    expect(scheduled).toMatchObject({ DataKeyId: id, DeletionDate: Math.floor(ts.clock.now() / 1000) + 7 * 86400 });
    expect((await sdk.DescribeDataKey({ DataKeyId: id })).DataKeyMetadata).toMatchObject({ KeyState: "PendingDelete", DeletionDate: scheduled.DeletionDate });
    expect(await sdk.CancelDataKeyDeletion({ DataKeyId: id })).toMatchObject({ DataKeyId: id });
    expect((await sdk.DescribeDataKey({ DataKeyId: id })).DataKeyMetadata!.KeyState).toBe("Disabled");

    const status = await sdk.GetServiceStatus();
    expect(status).toMatchObject({
      ServiceEnabled: true,
      IsAllowedDataKeyHosted: true,
      DataKeyLimit: 1_000_000,
      FreeDataKeyLimit: 1_000_000,
      DataKeyUsedCount: 3,
      ExclusiveHSMEnabled: true,
      ExclusiveVSMEnabled: false,
      ExclusiveHSMList: [{ HsmClusterId: "tc-kms-cluster", HsmClusterName: "tc-kms" }],
      SyncTaskList: [],
      IsAllowedSync: false,
      RegionsQps: [],
      ProExpireTime: 0,
      ProResourceId: "",
    });
  });

  it("surfaces the documented refusal codes of every action", async () => {
    const enabled = await hosted();
    const disabled = await hosted();
    await sdk.DisableDataKey({ DataKeyId: disabled });
    const pending = await hosted();
    await sdk.DisableDataKey({ DataKeyId: pending });
    await sdk.ScheduleDataKeyDeletion({ DataKeyId: pending, PendingWindowInDays: 30 });
    const taken = (await sdk.DescribeDataKey({ DataKeyId: enabled })).DataKeyMetadata!.DataKeyName!;
    const cases: [string, () => Promise<unknown>, string][] = [
      ["GenerateDataKey", () => sdk.GenerateDataKey({ KeyId: cmk, KeySpec: "AES_128", IsHostedByKms: 1, DataKeyName: taken }), "InvalidParameterValue.DataKeyNameAlreadyExists"],
      ["GenerateDataKey", () => sdk.GenerateDataKey({ KeyId: cmk, KeySpec: "AES_128", IsHostedByKms: 1 }), "MissingParameter"],
      ["GenerateDataKey", () => sdk.GenerateDataKey({ KeyId: cmk, KeySpec: "AES_128", IsHostedByKms: 1, DataKeyName: "a b" }), "InvalidParameterValue.InvalidDataKeyName"],
      ["GenerateDataKey", () => sdk.GenerateDataKey({ KeyId: cmk, KeySpec: "AES_128", HsmClusterId: "hsm-cluster-123" }), "InvalidParameterValue.InvalidHsmClusterId"],
      ["ImportDataKey", () => sdk.ImportDataKey({ DataKeyName: name("imp"), ImportKeyMaterial: "AAAA", ImportType: 1 }), "InvalidParameterValue.InvalidImportKeyMaterial"],
      ["ImportDataKey", () => sdk.ImportDataKey({ DataKeyName: name("imp"), ImportKeyMaterial: "%%%", ImportType: 2, KeyId: cmk }), "InvalidParameterValue.InvalidImportKeyMaterial"],
      ["ImportDataKey", () => sdk.ImportDataKey({ DataKeyName: name("imp"), ImportKeyMaterial: b64("k"), ImportType: 2, KeyId: MISSING }), "ResourceUnavailable.CmkNotFound"],
      ["ImportDataKey", () => sdk.ImportDataKey({ DataKeyName: name("imp"), ImportKeyMaterial: b64("k"), ImportType: 2, KeyId: cmk, Description: "x".repeat(101) }), "InvalidParameter"],
      ["ListDataKeys", () => sdk.ListDataKeys({ Limit: 201 }), "InvalidParameterValue"],
      ["ListDataKeyDetail", () => sdk.ListDataKeyDetail({ KeyState: 4 }), "InvalidParameterValue"],
      ["ListDataKeyDetail", () => sdk.ListDataKeyDetail({ HsmClusterId: "elsewhere" }), "InvalidParameterValue.InvalidHsmClusterId"],
      ["DescribeDataKey", () => sdk.DescribeDataKey({ DataKeyId: MISSING }), "ResourceUnavailable.DataKeyNotFound"],
      ["DescribeDataKey", () => sdk.DescribeDataKey({ DataKeyId: "nope" }), "InvalidParameterValue.InvalidDataKeyId"],
      ["DescribeDataKeys", () => sdk.DescribeDataKeys({ DataKeyIds: [enabled, enabled] }), "InvalidParameterValue.DuplicatedDataKeyId"],
      ["EnableDataKey", () => sdk.EnableDataKey({ DataKeyId: pending }), "ResourceUnavailable.DataKeyPendingDelete"],
      ["EnableDataKeys", () => sdk.EnableDataKeys({ DataKeyIds: [disabled, MISSING] }), "ResourceUnavailable.DataKeyNotFound"],
      ["DisableDataKey", () => sdk.DisableDataKey({ DataKeyId: pending }), "ResourceUnavailable.DataKeyPendingDelete"],
      ["DisableDataKeys", () => sdk.DisableDataKeys({ DataKeyIds: Array.from({ length: 101 }, () => enabled) }), "InvalidParameter"],
      ["GetDataKeyPlaintext", () => sdk.GetDataKeyPlaintext({ DataKeyId: disabled }), "ResourceUnavailable.DataKeyDisabled"],
      ["GetDataKeyCiphertextBlob", () => sdk.GetDataKeyCiphertextBlob({ DataKeyId: pending }), "ResourceUnavailable.DataKeyPendingDelete"],
      ["ScheduleDataKeyDeletion", () => sdk.ScheduleDataKeyDeletion({ DataKeyId: enabled, PendingWindowInDays: 7 }), "ResourceUnavailable.DataKeyStateNotSupport"],
      ["ScheduleDataKeyDeletion", () => sdk.ScheduleDataKeyDeletion({ DataKeyId: disabled, PendingWindowInDays: 31 }), "InvalidParameter.InvalidPendingWindowInDays"],
      ["CancelDataKeyDeletion", () => sdk.CancelDataKeyDeletion({ DataKeyId: disabled }), "ResourceUnavailable.DataKeyNotPendingDelete"],
      ["UpdateDataKeyName", () => sdk.UpdateDataKeyName({ DataKeyId: disabled, DataKeyName: taken }), "InvalidParameterValue.DataKeyNameAlreadyExists"],
      ["UpdateDataKeyDescription", () => sdk.UpdateDataKeyDescription({ DataKeyId: pending, Description: "late" }), "ResourceUnavailable.DataKeyPendingDelete"],
      ["DescribeDataKey", () => sdk.DescribeDataKey({ DataKeyId: enabled, MemberAccount: { MemberUin: 100000000002 } }), "UnauthorizedOperation"],
    ];
    for (const [action, call, code] of cases) expect(await sdkCode(call()), action).toBe(code);
    const loose = sdk as unknown as { request(action: string, req: object): Promise<unknown> };
    expect(await sdkCode(loose.request("GetDataKeyPlaintext", {}))).toBe("MissingParameter");
    expect(await sdkCode(loose.request("ImportDataKey", { DataKeyName: "x", ImportType: 2 }))).toBe("MissingParameter");
    expect(await sdkCode(loose.request("DescribeDataKey", { DataKeyId: enabled, Colour: "blue" }))).toBe("UnknownParameter");
    expect(await sdkCode(loose.request("ListDataKeyDetail", { KeyState: "1" }))).toBe("InvalidParameter");

    await sdk.DisableKey({ KeyId: cmk });
    expect(await sdkCode(sdk.GetDataKeyPlaintext({ DataKeyId: enabled }))).toBe("ResourceUnavailable.CmkDisabled");
    expect(await sdkCode(sdk.GenerateDataKey({ KeyId: cmk, KeySpec: "AES_128", IsHostedByKms: 1, DataKeyName: name("off") }))).toBe("ResourceUnavailable.CmkDisabled");
    await sdk.EnableKey({ KeyId: cmk });
  });
});

describe("gRPC", () => {
  it("serves the same actions, with each code's gRPC status", async () => {
    const made = await rootKms.generateDataKey({ keyId: cmk, numberOfBytes: 24, isHostedByKms: 1, dataKeyName: "grpc-hosted", tags: [{ tagKey: "via", tagValue: "grpc" }] });
    const id = made.dataKeyId;
    expect((await rootGrpc.getDataKeyPlaintext({ dataKeyId: id })).plaintext).toEqual(made.plaintext);
    expect((await rootGrpc.describeDataKey({ dataKeyId: id })).dataKeyMetadata?.tags).toEqual([expect.objectContaining({ tagKey: "via", tagValue: "grpc" })]);
    ts.clock.advance(1000);
    const imported = await rootGrpc.importDataKey({ dataKeyName: "grpc-imported", importType: 2, importKeyMaterial: new Uint8Array(8).fill(1), keyId: cmk });
    expect((await rootGrpc.listDataKeyDetail({ searchKeyAlias: "grpc-", orderType: 1 })).dataKeyMetadatas.map((m) => m.dataKeyId)).toEqual([id, imported.dataKeyId]);
    await rootGrpc.updateDataKeyName({ dataKeyId: id, dataKeyName: "grpc-renamed" });
    await rootGrpc.updateDataKeyDescription({ dataKeyId: id, description: "over gRPC" });
    await rootGrpc.disableDataKeys({ dataKeyIds: [id, imported.dataKeyId] });
    await rootGrpc.enableDataKeys({ dataKeyIds: [imported.dataKeyId] });
    await rootGrpc.enableDataKey({ dataKeyId: imported.dataKeyId });
    await rootGrpc.disableDataKey({ dataKeyId: imported.dataKeyId });
    const deletion = await rootGrpc.scheduleDataKeyDeletion({ dataKeyId: id, pendingWindowInDays: 7 });
    expect(deletion.deletionDate).toBe(BigInt(Math.floor(ts.clock.now() / 1000) + 7 * 86400));
    await rootGrpc.cancelDataKeyDeletion({ dataKeyId: id });
    await rootGrpc.enableDataKey({ dataKeyId: id });
    expect((await rootGrpc.getDataKeyCiphertextBlob({ dataKeyId: id })).ciphertextBlob).toEqual(made.ciphertextBlob);
    expect((await rootGrpc.describeDataKeys({ dataKeyIds: [id] })).dataKeyMetadatas).toHaveLength(1);
    expect((await rootGrpc.listDataKeys({})).totalCount).toBeGreaterThanOrEqual(2);

    const status = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (err) {
        const e = ConnectError.from(err);
        return [e.findDetails(ErrorInfoSchema)[0]?.code, e.code];
      }
      return ["ok"];
    };
    expect(await status(rootGrpc.describeDataKey({ dataKeyId: MISSING }))).toEqual(["ResourceUnavailable.DataKeyNotFound", Code.NotFound]);
    expect(await status(rootGrpc.importDataKey({ dataKeyName: "grpc-imported", importType: 2, importKeyMaterial: new Uint8Array(8), keyId: cmk }))).toEqual([
      "InvalidParameterValue.DataKeyNameAlreadyExists",
      Code.AlreadyExists,
    ]);
    expect(await status(rootGrpc.getDataKeyPlaintext({ dataKeyId: imported.dataKeyId }))).toEqual(["ResourceUnavailable.DataKeyDisabled", Code.FailedPrecondition]);
    expect(await status(rootGrpc.describeDataKey({ dataKeyId: "x" }))).toEqual(["InvalidParameterValue.InvalidDataKeyId", Code.InvalidArgument]);
    expect(await status(rootGrpc.listDataKeyDetail({ memberAccounts: [{ memberUin: 1n }] }))).toEqual(["UnauthorizedOperation", Code.PermissionDenied]);
  });
});

// ---- authorisation: one row per action ----

interface Prepared {
  params: Params;
  /** What the grant must name: data keys, a CMK, or the account. */
  resources: string[];
  /** The same request on something the grant does not name; absent for account-wide calls. */
  elsewhere?: Params;
}

const AUTH_ROWS: Record<string, () => Promise<Prepared>> = {
  ImportDataKey: async () => {
    const own = (await sdk.CreateKey({ Alias: name("own-cmk") })).KeyId!;
    const other = (await sdk.CreateKey({ Alias: name("other-cmk") })).KeyId!;
    return {
      params: { DataKeyName: name("auth-imp"), ImportKeyMaterial: b64("0123456789abcdef"), ImportType: 2, KeyId: own },
      resources: [keyResource(own)],
      elsewhere: { DataKeyName: name("auth-imp"), ImportKeyMaterial: b64("0123456789abcdef"), ImportType: 2, KeyId: other },
    };
  },
  ListDataKeys: async () => ({ params: { Limit: 5 }, resources: [ACCOUNT_RESOURCE] }),
  ListDataKeyDetail: async () => ({ params: { KeyState: 1 }, resources: [ACCOUNT_RESOURCE] }),
  DescribeDataKey: async () => one((id) => ({ DataKeyId: id })),
  DescribeDataKeys: async () => one((id) => ({ DataKeyIds: [id] })),
  EnableDataKey: async () => one((id) => ({ DataKeyId: id })),
  EnableDataKeys: async () => one((id) => ({ DataKeyIds: [id] })),
  DisableDataKey: async () => one((id) => ({ DataKeyId: id })),
  DisableDataKeys: async () => one((id) => ({ DataKeyIds: [id] })),
  GetDataKeyPlaintext: async () => one((id) => ({ DataKeyId: id })),
  GetDataKeyCiphertextBlob: async () => one((id) => ({ DataKeyId: id })),
  ScheduleDataKeyDeletion: async () => one((id) => ({ DataKeyId: id, PendingWindowInDays: 7 }), "Disabled"),
  CancelDataKeyDeletion: async () => one((id) => ({ DataKeyId: id }), "PendingDelete"),
  UpdateDataKeyName: async () => one((id) => ({ DataKeyId: id, DataKeyName: name("auth-renamed") })),
  UpdateDataKeyDescription: async () => one((id) => ({ DataKeyId: id, Description: "granted" })),
};

/** A request on a fresh data key in `state`, and the same on another one the grant will not name. */
async function one(params: (id: string) => Params, state: "Enabled" | "Disabled" | "PendingDelete" = "Enabled"): Promise<Prepared> {
  const make = async () => {
    const id = await hosted();
    if (state !== "Enabled") await sdk.DisableDataKey({ DataKeyId: id });
    if (state === "PendingDelete") await sdk.ScheduleDataKeyDeletion({ DataKeyId: id, PendingWindowInDays: 7 });
    return id;
  };
  const id = await make();
  const other = await make();
  return { params: params(id), resources: [dataKeyResource(id)], elsewhere: params(other) };
}

interface Caller {
  grpc(action: string, params: Params): Promise<unknown>;
  api(action: string, params: Params): Promise<unknown>;
}

/** A sub-user with a bearer token and an access key, and one policy allowing `action` on `resources` (none: no policy). */
async function caller(who: string, action?: string, resources: string[] = []): Promise<Caller> {
  const principal = (await admin.client.createPrincipal({ name: who })).principal!;
  if (action) {
    const document = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: [`kms:${action}`], resource: resources }] });
    await admin.client.createPolicy({ name: `${who}-policy`, document });
    await admin.client.attachPolicy({ principalUin: principal.uin, policyName: `${who}-policy` });
  }
  const { secret } = await admin.client.createToken({ principalUin: principal.uin });
  const ak = await admin.client.createAccessKey({ principalUin: principal.uin });
  const transport = transportFor(secret);
  const user = tencentKms(ts.httpUrl, ak.accessKey!.secretId, ak.secretKey) as unknown as { request(action: string, req: object): Promise<unknown> };
  return {
    grpc: (a, params) => {
      const method = DataKeyService.methods.find((m) => m.name === a) as DescMethod;
      const input = fromApi(method.input, params, "json", DATA_KEYS_API.required) as MessageInitShape<DescMessage>;
      return transport.unary(method as DescMethodUnary, undefined, undefined, undefined, input);
    },
    api: (a, params) => user.request(a, params),
  };
}

describe("authorisation of the data-key actions", () => {
  it("has a row for every DataKeyService action", () => {
    expect(Object.keys(AUTH_ROWS).sort()).toEqual(DataKeyService.methods.map((m) => m.name).sort());
  });

  for (const [action, prepare] of Object.entries(AUTH_ROWS)) {
    it(`${action}: denied without a grant and elsewhere, allowed with exactly kms:${action} on its resource, on both transports`, async () => {
      const viaGrpc = await prepare();
      const viaApi = await prepare();
      const nobody = await caller(name(`${action}-nobody`));
      const grpcUser = await caller(name(`${action}-grpc`), action, viaGrpc.resources);
      const apiUser = await caller(name(`${action}-api`), action, viaApi.resources);
      expect(await outcome(nobody.grpc(action, viaGrpc.params))).toBe(DENIED);
      expect(await outcome(nobody.api(action, viaApi.params))).toBe(DENIED);
      if (viaGrpc.elsewhere && viaApi.elsewhere) {
        expect(await outcome(grpcUser.grpc(action, viaGrpc.elsewhere))).toBe(DENIED);
        expect(await outcome(apiUser.api(action, viaApi.elsewhere))).toBe(DENIED);
        // The grant names this data key (or CMK) only: its neighbour stays out of reach on the other transport too.
        expect(await outcome(apiUser.api(action, viaGrpc.params))).toBe(DENIED);
      }
      expect(await outcome(grpcUser.grpc(action, viaGrpc.params))).toBe(OK);
      expect(await outcome(apiUser.api(action, viaApi.params))).toBe(OK);
    });
  }

  it("lets a sub-user read the plaintext of the data keys it is granted and no other, by creator and by tag", async () => {
    const mine = await hosted({ Tags: [{ TagKey: "team", TagValue: "pay" }] });
    const theirs = await hosted({ Tags: [{ TagKey: "team", TagValue: "ops" }] });
    const byId = await caller(name("reader"), "GetDataKeyPlaintext", [dataKeyResource(mine)]);
    expect(await outcome(byId.api("GetDataKeyPlaintext", { DataKeyId: mine }))).toBe(OK);
    expect(await outcome(byId.api("GetDataKeyPlaintext", { DataKeyId: theirs }))).toBe(DENIED);
    expect(await outcome(byId.api("GetDataKeyPlaintext", { DataKeyId: MISSING }))).toBe(DENIED);

    const principal = (await admin.client.createPrincipal({ name: name("tagged") })).principal!;
    const document = JSON.stringify({
      version: "2.0",
      statement: [{ effect: "allow", action: ["kms:GetDataKeyPlaintext"], resource: [`qcs::kms::uin/${ACCOUNT}:datakey/*`], condition: { string_equal: { "qcs:resource_tag": ["team&pay"] } } }],
    });
    await admin.client.createPolicy({ name: `${principal.name}-policy`, document });
    await admin.client.attachPolicy({ principalUin: principal.uin, policyName: `${principal.name}-policy` });
    const ak = await admin.client.createAccessKey({ principalUin: principal.uin });
    const tagged = tencentKms(ts.httpUrl, ak.accessKey!.secretId, ak.secretKey);
    expect(await outcome(tagged.GetDataKeyPlaintext({ DataKeyId: mine }))).toBe(OK);
    expect(await outcome(tagged.GetDataKeyPlaintext({ DataKeyId: theirs }))).toBe(DENIED);
  });
});

describe("the scheduler and a restart", () => {
  it("purges a data key at its deletion date and keeps every other across a restart", async () => {
    const gone = await hosted();
    const kept = await hosted({ Description: "survives" });
    await sdk.DisableDataKey({ DataKeyId: gone });
    await sdk.ScheduleDataKeyDeletion({ DataKeyId: gone, PendingWindowInDays: 7 });
    ts.clock.advance(7 * DAY + 1000);
    const done = await ts.server.scheduler.runOnce();
    expect(done.filter((d) => d.kind === "datakey-deletion").map((d) => d.subject)).toContain(`${ACCOUNT}/${REGION}/${gone}`);
    expect(await sdkCode(sdk.DescribeDataKey({ DataKeyId: gone }))).toBe("ResourceUnavailable.DataKeyNotFound");

    const before = await sdk.ListDataKeyDetail({ Limit: 200 });
    await ts.stop();
    ts = await startTestServer({ dataDir: ts.dataDir, rootKey: ts.rootKey, clock: ts.clock, env: { KMS_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false" } });
    sessions.abort();
    sessions = new Http2SessionManager(ts.grpcUrl);
    sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
    const after = await sdk.ListDataKeyDetail({ Limit: 200 });
    expect(after.TotalCount).toBe(before.TotalCount);
    expect(after.DataKeyMetadatas!.map((m) => m.DataKeyId)).toEqual(before.DataKeyMetadatas!.map((m) => m.DataKeyId));
    expect((await sdk.DescribeDataKey({ DataKeyId: kept })).DataKeyMetadata!.Description).toBe("survives");
    expect((await sdk.GetDataKeyPlaintext({ DataKeyId: kept })).Plaintext).toHaveLength(44);
    const keptName = (await sdk.DescribeDataKey({ DataKeyId: kept })).DataKeyMetadata!.DataKeyName!;
    expect(await sdkCode(sdk.ImportDataKey({ DataKeyName: keptName, ImportKeyMaterial: b64("k"), ImportType: 2, KeyId: cmk }))).toBe("InvalidParameterValue.DataKeyNameAlreadyExists");
  });
});
