/**
 * Authorisation of the white-box actions end to end, as test/e2e/authz.test.ts
 * does it for KeyManagementService: one row per WhiteBoxKeyService method,
 * each denied to a sub-user without a grant and allowed to one granted
 * exactly kms:<Action> on exactly its resource, on both transports (connect-es
 * gRPC with a bearer token, the official SDK with an access key). White-box
 * keys use CAM's key resource form
 * (qcs::kms:<region>:uin/<account>:key/creatorUin/<creator>/<keyId>); a denied
 * call changes nothing; a key a sub-user creates names it as its creator;
 * resource tags work as conditions.
 */
import { randomBytes } from "node:crypto";
import type { DescMessage, DescMethod, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import { WhiteBoxKeyService } from "../../gen/kms/v1/whitebox_pb.js";
import { WHITEBOX_API } from "../../src/contract/whitebox-api.js";
import { fromApi, type JsonValue } from "../../src/transport/api3/translate.js";
import { adminClient, bearer, type AdminClient } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

const ACCOUNT = "100000000001";
const REGION = "ap-guangzhou";
const DENIED = "UnauthorizedOperation";
const OK = "ok";
const FP = "0000abcd-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef";

type Params = { [key: string]: JsonValue };
type Answer = Record<string, unknown>;

const keyResource = (keyId: string, creator = ACCOUNT) => `qcs::kms:${REGION}:uin/${ACCOUNT}:key/creatorUin/${creator}/${keyId}`;
const ACCOUNT_RESOURCE = `qcs::kms:${REGION}:uin/${ACCOUNT}:*`;

interface Statement {
  effect: "allow" | "deny";
  action: string[];
  resource: string[];
  condition?: Record<string, Record<string, string[]>>;
}
const allow = (action: string[], resource: string[], condition?: Statement["condition"]): Statement => ({ effect: "allow", action, resource, ...(condition ? { condition } : {}) });

let ts: TestServer;
let rootSdk: TencentKmsClient;
let rootWb: Client<typeof WhiteBoxKeyService>;
let rootAdmin: { client: AdminClient; close(): void };
let sessions: Http2SessionManager;
let nobody: Caller;

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_RATE_LIMIT: "0", KMS_RPC_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false" } });
  rootSdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
  sessions = new Http2SessionManager(ts.grpcUrl);
  rootWb = createClient(WhiteBoxKeyService, transportFor(ts.token));
  rootAdmin = adminClient(ts);
  nobody = await newCaller("nobody");
});
afterAll(async () => {
  rootAdmin.close();
  sessions.abort();
  await ts.dispose();
});

const METHODS = new Map(WhiteBoxKeyService.methods.map((m) => [m.name, m]));

const isUnary = (m: DescMethod): m is DescMethodUnary => m.methodKind === "unary";

function method(action: string): DescMethodUnary {
  const m = METHODS.get(action);
  if (!m || !isUnary(m)) throw new Error(`no unary white-box method ${action}`);
  return m;
}

function transportFor(token: string): Transport {
  return createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] });
}

/** "ok" or the API 3.0 code of a failed call, from either transport; a denial over gRPC must carry PERMISSION_DENIED. */
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

interface Caller {
  uin: bigint;
  /** A white-box action over gRPC, its request built from the API 3.0 parameters. */
  grpc(action: string, params: Params): Promise<MessageShape<DescMessage>>;
  api(action: string, params: Params): Promise<Answer>;
}

async function grant(uin: bigint, policyName: string, statements: readonly Statement[]): Promise<void> {
  await rootAdmin.client.createPolicy({ name: policyName, document: JSON.stringify({ version: "2.0", statement: statements }) });
  await rootAdmin.client.attachPolicy({ principalUin: uin, policyName });
}

async function newCaller(name: string, ...statements: Statement[]): Promise<Caller> {
  const admin = rootAdmin.client;
  const principal = (await admin.createPrincipal({ name, description: `white-box authz test ${name}` })).principal;
  if (!principal) throw new Error("CreatePrincipal answered no principal");
  const uin = principal.uin;
  if (statements.length > 0) await grant(uin, `${name}-policy`, statements);
  const { secret: token } = await admin.createToken({ principalUin: uin });
  const ak = await admin.createAccessKey({ principalUin: uin });
  const transport = transportFor(token);
  const sdk = tencentKms(ts.httpUrl, ak.accessKey?.secretId ?? "", ak.secretKey);
  return {
    uin,
    grpc: async (action, params) => {
      const m = method(action);
      return (await transport.unary(m, undefined, undefined, undefined, fromApi(m.input, params, "json", WHITEBOX_API.required) as MessageInitShape<DescMessage>)).message;
    },
    api: (action, params) => sdk.request(action, params) as Promise<Answer>,
  };
}

async function onBoth(c: Caller, action: string, params: Params): Promise<{ grpc: string; api3: string }> {
  return { grpc: await outcome(c.grpc(action, params)), api3: await outcome(c.api(action, params)) };
}
const both = (code: string) => ({ grpc: code, api3: code });

// ---- root-side setup ----

const rootApi = (action: string, params: Params = {}) => rootSdk.request(action, params) as Promise<Answer>;

let aliasSeq = 0;
const alias = () => `wb-authz-${++aliasSeq}-${randomBytes(3).toString("hex")}`;

async function newKey(params: Params = {}): Promise<string> {
  const answer = await rootApi("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4", ...params });
  return answer.KeyId as string;
}
async function disabledKey(): Promise<string> {
  const keyId = await newKey();
  await rootApi("DisableWhiteBoxKey", { KeyId: keyId });
  return keyId;
}

// ---- the table: one row per WhiteBoxKeyService method ----

interface Prepared {
  params: Params;
  /** Keys the call names: its policy grants exactly these (none: the account resource). */
  keys: string[];
}

interface Row {
  prepare(): Promise<Prepared>;
  /** True when a successful call changes what snapshot() sees. */
  mutates?: boolean;
}

const one = (keyId: string, params: Params = {}): Prepared => ({ params: { KeyId: keyId, ...params }, keys: [keyId] });
const keyless = (params: Params = {}): Prepared => ({ params, keys: [] });
const two = async (make: () => Promise<string>): Promise<Prepared> => {
  const keys = [await make(), await make()];
  return { params: { KeyIds: keys }, keys };
};

const ROWS: Record<string, Row> = {
  CreateWhiteBoxKey: { prepare: async () => keyless({ Alias: alias(), Algorithm: "SM4" }), mutates: true },
  DeleteWhiteBoxKey: { prepare: async () => one(await disabledKey()), mutates: true },
  DescribeWhiteBoxKey: { prepare: async () => one(await newKey()) },
  DescribeWhiteBoxKeyDetails: { prepare: async () => keyless({ Limit: 1 }) },
  DescribeWhiteBoxDecryptKey: { prepare: async () => one(await newKey()) },
  DescribeWhiteBoxServiceStatus: { prepare: async () => keyless() },
  DescribeWhiteBoxDeviceFingerprints: { prepare: async () => one(await newKey()) },
  OverwriteWhiteBoxDeviceFingerprints: { prepare: async () => one(await newKey(), { DeviceFingerprints: [{ Identity: FP }] }), mutates: true },
  EnableWhiteBoxKey: { prepare: async () => one(await disabledKey()), mutates: true },
  EnableWhiteBoxKeys: { prepare: () => two(disabledKey), mutates: true },
  DisableWhiteBoxKey: { prepare: async () => one(await newKey()), mutates: true },
  DisableWhiteBoxKeys: { prepare: () => two(() => newKey()), mutates: true },
  EncryptByWhiteBox: { prepare: async () => one(await newKey(), { PlainText: Buffer.from("secret").toString("base64") }) },
};

/** What root sees of the call's subject: each key's state and devices (or its absence), and the key count. */
async function snapshot(p: Prepared): Promise<unknown> {
  const keys = [];
  for (const keyId of p.keys) {
    const info = await rootWb.describeWhiteBoxKey({ keyId }).then(
      (r) => ({ status: r.keyInfo?.status, bound: r.keyInfo?.deviceFingerprintBind }),
      () => "gone",
    );
    keys.push(info);
  }
  return { keys, count: (await rootWb.describeWhiteBoxKeyDetails({ limit: 1 })).totalCount };
}

/** An action of the same scope the row's grant does not name. */
function otherAction(action: string, p: Prepared): [string, Params] {
  const keyId = p.keys[0];
  if (keyId === undefined) return action === "DescribeWhiteBoxServiceStatus" ? ["DescribeWhiteBoxKeyDetails", {}] : ["DescribeWhiteBoxServiceStatus", {}];
  return action === "DescribeWhiteBoxKey" ? ["DescribeWhiteBoxDecryptKey", { KeyId: keyId }] : ["DescribeWhiteBoxKey", { KeyId: keyId }];
}

describe("every WhiteBoxKeyService action", () => {
  it("has a row in the table, and only those", () => {
    expect(Object.keys(ROWS).sort()).toEqual(WhiteBoxKeyService.methods.map((m) => m.name).sort());
  });

  for (const [action, row] of Object.entries(ROWS)) {
    it(`${action}: denied without a grant, allowed with exactly kms:${action} on its resource, on both transports`, async () => {
      const viaGrpc = await row.prepare();
      const viaApi = await row.prepare();
      const resources = (p: Prepared) => (p.keys.length > 0 ? p.keys.map((k) => keyResource(k)) : [ACCOUNT_RESOURCE]);
      const grpcUser = await newCaller(`${action}-grpc`, allow([`kms:${action}`], resources(viaGrpc)));
      const apiUser = await newCaller(`${action}-api3`, allow([`kms:${action}`], resources(viaApi)));
      const before = { grpc: await snapshot(viaGrpc), api3: await snapshot(viaApi) };

      expect(await outcome(nobody.grpc(action, viaGrpc.params))).toBe(DENIED);
      expect(await outcome(nobody.api(action, viaApi.params))).toBe(DENIED);
      if (viaGrpc.keys.length > 0) {
        expect(await outcome(grpcUser.grpc(action, viaApi.params))).toBe(DENIED);
        expect(await outcome(apiUser.api(action, viaGrpc.params))).toBe(DENIED);
      }
      const [otherG, otherGParams] = otherAction(action, viaGrpc);
      const [otherA, otherAParams] = otherAction(action, viaApi);
      expect(await outcome(grpcUser.grpc(otherG, otherGParams))).toBe(DENIED);
      expect(await outcome(apiUser.api(otherA, otherAParams))).toBe(DENIED);
      expect({ grpc: await snapshot(viaGrpc), api3: await snapshot(viaApi) }).toEqual(before);

      expect(await outcome(grpcUser.grpc(action, viaGrpc.params))).toBe(OK);
      expect(await outcome(apiUser.api(action, viaApi.params))).toBe(OK);
      if (row.mutates) {
        expect(await snapshot(viaGrpc)).not.toEqual(before.grpc);
        expect(await snapshot(viaApi)).not.toEqual(before.api3);
      }
    });
  }

  it("denies a batch naming one key outside the grant, as a whole", async () => {
    const [mine, theirs] = [await newKey(), await newKey()];
    const user = await newCaller("batch", allow(["kms:DisableWhiteBoxKeys"], [keyResource(mine)]));
    expect(await onBoth(user, "DisableWhiteBoxKeys", { KeyIds: [mine, theirs] })).toEqual(both(DENIED));
    expect((await rootWb.describeWhiteBoxKey({ keyId: mine })).keyInfo?.status).toBe(1);
  });

  it("names a key a sub-user created with that sub-user as its creator", async () => {
    const maker = await newCaller("maker");
    await grant(maker.uin, "maker-wb", [
      allow(["kms:CreateWhiteBoxKey"], [ACCOUNT_RESOURCE]),
      allow(["kms:DescribeWhiteBoxKey", "kms:EncryptByWhiteBox"], [`qcs::kms:${REGION}:uin/${ACCOUNT}:key/creatorUin/${maker.uin}/*`]),
    ]);
    const keyId = (await maker.api("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4" })).KeyId as string;
    const info = (await rootWb.describeWhiteBoxKey({ keyId })).keyInfo;
    expect(info?.creatorUin).toBe(maker.uin);
    expect(info?.resourceId).toBe(`creatorUin/${maker.uin}/${keyId}`);
    expect(await onBoth(maker, "DescribeWhiteBoxKey", { KeyId: keyId })).toEqual(both(OK));
    expect(await onBoth(maker, "EncryptByWhiteBox", { KeyId: keyId, PlainText: "eA==" })).toEqual(both(OK));
    expect(await onBoth(maker, "DescribeWhiteBoxKey", { KeyId: await newKey() })).toEqual(both(DENIED));
    // A missing key is named with the account as creator: no existence oracle.
    expect(await onBoth(maker, "DescribeWhiteBoxKey", { KeyId: "0d0466b0-e727-4d9c-b35d-f84bb474a37f" })).toEqual(both(DENIED));
  });

  it("tests resource tags as conditions", async () => {
    const prod = await newKey({ Tags: [{ TagKey: "env", TagValue: "prod" }] });
    const dev = await newKey({ Tags: [{ TagKey: "env", TagValue: "dev" }] });
    const user = await newCaller("tag-prod", allow(["kms:EncryptByWhiteBox"], ["*"], { string_equal: { "qcs:resource_tag": ["env&prod"] } }));
    expect(await onBoth(user, "EncryptByWhiteBox", { KeyId: prod, PlainText: "eA==" })).toEqual(both(OK));
    expect(await onBoth(user, "EncryptByWhiteBox", { KeyId: dev, PlainText: "eA==" })).toEqual(both(DENIED));
  });

  it("keeps a white-box grant from reaching CMKs, and a CMK grant from reaching white-box keys", async () => {
    const wbKey = await newKey();
    const cmk = (await rootApi("CreateKey", { Alias: alias() })).KeyId as string;
    const user = await newCaller("cross", allow(["kms:EncryptByWhiteBox"], ["*"]), allow(["kms:Encrypt"], [keyResource(cmk)]));
    expect(await outcome(user.api("EncryptByWhiteBox", { KeyId: wbKey, PlainText: "eA==" }))).toBe(OK);
    expect(await outcome(user.api("Encrypt", { KeyId: cmk, Plaintext: "eA==" }))).toBe(OK);
    // kms:Encrypt on the white-box key's resource grants nothing for EncryptByWhiteBox, and the reverse.
    const narrow = await newCaller("cross-narrow", allow(["kms:Encrypt"], [keyResource(wbKey)]));
    expect(await onBoth(narrow, "EncryptByWhiteBox", { KeyId: wbKey, PlainText: "eA==" })).toEqual(both(DENIED));
  });
});
