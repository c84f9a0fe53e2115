/**
 * White-box keys through the real server: the official SDK (API 3.0) drives
 * all 13 actions with their exact refusal codes; connect-es over gRPC does
 * the same on the contract; grpc-js with its default 4 MB receive limit reads
 * a full DescribeWhiteBoxKeyDetails page of AES-256 keys; and a device that
 * holds only the DecryptKey tables (client/whitebox/cli.mjs as a child
 * process, and the client imported) decrypts what EncryptByWhiteBox answered,
 * for AES-256 and SM4, with and without a given IV, for lengths up to 4 KB,
 * bound to its fingerprint or refused. Changes are in the audit log.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptCbc, openTables } from "../../client/whitebox/index.mjs";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import { DescribeWhiteBoxKeyDetailsResponseSchema, WhiteBoxAlgorithm, WhiteBoxKeyService, WhiteBoxKeyStatus } from "../../gen/kms/v1/whitebox_pb.js";
import { adminClient, bearer, type AdminClient } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

const CLI = join(import.meta.dirname, "../../client/whitebox/cli.mjs");
const FP = (n: number) => `${n.toString(16).padStart(8, "0")}-fedcba98765432-fedcba98765432-fedcba98765432-fedcba9876543210`;
const GRPC_JS_DEFAULT_RECEIVE = 4 * 1024 * 1024;

type Params = Record<string, unknown>;
type Answer = Record<string, unknown>;

let ts: TestServer;
let sdk: TencentKmsClient;
let wb: Client<typeof WhiteBoxKeyService>;
let sessions: Http2SessionManager;
let admin: { client: AdminClient; close(): void };
const dir = mkdtempSync(join(tmpdir(), "whitebox-e2e-"));

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_RATE_LIMIT: "0", KMS_RPC_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false", KMS_REGIONS: "ap-guangzhou,ap-beijing,ap-shanghai" } });
  sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
  sessions = new Http2SessionManager(ts.grpcUrl);
  wb = createClient(WhiteBoxKeyService, createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(ts.token)] }));
  admin = adminClient(ts);
});
afterAll(async () => {
  admin.close();
  sessions.abort();
  await ts.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Any action through the official SDK, with hand-built parameters (including ones its types forbid). */
const api = (action: string, params: Params = {}, client = sdk) => client.request(action, params) as Promise<Answer>;
const text = (a: Answer, name: string) => {
  const v = a[name];
  if (typeof v !== "string") throw new Error(`no string ${name} in ${JSON.stringify(a).slice(0, 300)}`);
  return v;
};
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString("base64");

let aliasSeq = 0;
const alias = () => `e2e-wb-${++aliasSeq}-${randomBytes(3).toString("hex")}`;

/** The gRPC status and ErrorInfo code of a failed connect-es call. */
async function rpcError(call: Promise<unknown>): Promise<{ status: Code; code: string }> {
  try {
    await call;
  } catch (err) {
    const ce = ConnectError.from(err);
    return { status: ce.code, code: ce.findDetails(ErrorInfoSchema)[0]?.code ?? "" };
  }
  throw new Error("expected the call to fail");
}

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

async function device(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { encoding: "buffer" });
    return { code: 0, stdout, stderr: stderr.toString() };
  } catch (err) {
    const e = err as { code: number; stdout: Buffer; stderr: Buffer };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr.toString() };
  }
}

let fileSeq = 0;
function file(content: string): string {
  const path = join(dir, `f${++fileSeq}`);
  writeFileSync(path, content);
  return path;
}

describe("the official SDK", () => {
  let aes: Answer;
  let sm4: Answer;

  beforeAll(async () => {
    aes = await sdk.CreateWhiteBoxKey({ Alias: alias(), Algorithm: "AES_256", Description: "app secret", Tags: [{ TagKey: "env", TagValue: "prod" }] }) as Answer;
    sm4 = await sdk.CreateWhiteBoxKey({ Alias: alias(), Algorithm: "SM4" }) as Answer;
  });

  it("creates keys and answers the SDK's shapes: base64 tables, Tencent's spellings, numbers", async () => {
    expect(aes).toMatchObject({ KeyId: expect.stringMatching(/^[0-9a-f-]{36}$/), TagCode: 0, TagMsg: "Success" });
    expect(Buffer.from(text(aes, "EncryptKey"), "base64").length).toBe(749_632);
    expect(Buffer.from(text(sm4, "DecryptKey"), "base64").length).toBe(153_312);
    const { KeyInfo } = (await sdk.DescribeWhiteBoxKey({ KeyId: text(aes, "KeyId") })) as { KeyInfo: Answer };
    expect(KeyInfo).toMatchObject({
      KeyId: aes.KeyId,
      Description: "app secret",
      Status: "Enabled",
      Algorithm: "AES_256",
      CreatorUin: 100000000001,
      OwnerUin: 100000000001,
      CreateTime: Math.floor(ts.clock.now() / 1000),
      ResourceId: `creatorUin/100000000001/${text(aes, "KeyId")}`,
      DeviceFingerprintBind: false,
      EncryptKey: aes.EncryptKey,
      DecryptKey: aes.DecryptKey,
    });
    expect(await sdk.DescribeWhiteBoxServiceStatus()).toMatchObject({ ServiceEnabled: true });
  });

  it("refuses CreateWhiteBoxKey's bad input with the documented codes", async () => {
    const taken = text(await api("DescribeWhiteBoxKey", { KeyId: aes.KeyId }).then((r) => r.KeyInfo as Answer), "Alias");
    const cases: [string, Params][] = [
      ["MissingParameter", { Alias: alias() }],
      ["MissingParameter", { Algorithm: "SM4" }],
      ["InvalidParameterValue", { Alias: alias(), Algorithm: "AES_128" }],
      ["InvalidParameterValue", { Alias: alias(), Algorithm: "" }],
      ["InvalidParameterValue.InvalidAlias", { Alias: "-bad", Algorithm: "SM4" }],
      ["InvalidParameterValue.InvalidAlias", { Alias: "kms-mine", Algorithm: "SM4" }],
      ["InvalidParameterValue.AliasAlreadyExists", { Alias: taken, Algorithm: "SM4" }],
      ["InvalidParameterValue", { Alias: alias(), Algorithm: "SM4", Description: "x".repeat(1025) }],
      ["InvalidParameterValue.TagKeysDuplicated", { Alias: alias(), Algorithm: "SM4", Tags: [{ TagKey: "a", TagValue: "1" }, { TagKey: "a", TagValue: "2" }] }],
      ["MissingParameter", { Alias: alias(), Algorithm: "SM4", Tags: [{ TagKey: "a" }] }],
      ["UnknownParameter", { Alias: alias(), Algorithm: "SM4", KeyUsage: "ENCRYPT_DECRYPT" }],
    ];
    for (const [expected, params] of cases) expect(await sdkCode(api("CreateWhiteBoxKey", params)), JSON.stringify(params)).toBe(expected);
  });

  it("encrypts with EncryptByWhiteBox and refuses its bad input with the documented codes", async () => {
    const keyId = text(sm4, "KeyId");
    const iv = randomBytes(16);
    const given = await sdk.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("hello"), InitializationVector: b64(iv) });
    expect(given.InitializationVector).toBe(b64(iv));
    const generated = await sdk.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("hello") });
    expect(Buffer.from(generated.InitializationVector ?? "", "base64").length).toBe(16);
    // Over GET, with form-encoded parameters, too.
    const viaGet = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey, { reqMethod: "GET" });
    expect((await viaGet.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("hello"), InitializationVector: b64(iv) })).CipherText).toBe(given.CipherText);

    const cases: [string, Params][] = [
      ["MissingParameter", { KeyId: keyId }],
      ["MissingParameter", { PlainText: b64("x") }],
      ["InvalidParameterValue", { KeyId: keyId, PlainText: "not base64!" }],
      ["InvalidParameterValue", { KeyId: keyId, PlainText: "" }],
      ["InvalidParameterValue", { KeyId: keyId, PlainText: b64(randomBytes(4097)) }],
      ["InvalidParameterValue", { KeyId: keyId, PlainText: b64("x"), InitializationVector: b64(randomBytes(8)) }],
      ["InvalidParameterValue", { KeyId: keyId, PlainText: b64("x"), InitializationVector: "%%" }],
      ["InvalidParameterValue.InvalidKeyId", { KeyId: "nope", PlainText: b64("x") }],
      ["ResourceNotFound", { KeyId: "0d0466b0-e727-4d9c-b35d-f84bb474a37f", PlainText: b64("x") }],
    ];
    for (const [expected, params] of cases) expect(await sdkCode(api("EncryptByWhiteBox", params)), JSON.stringify(params).slice(0, 120)).toBe(expected);
    expect(await sdkCode(api("EncryptByWhiteBox", { KeyId: keyId, PlainText: b64("x") }, tencentKms(ts.httpUrl, ts.secretId, ts.secretKey, { region: "ap-beijing" })))).toBe("ResourceNotFound");
  });

  it("runs the lifecycle: disable (refusing encryption), enable, delete only when disabled", async () => {
    const keyId = text(await api("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4" }), "KeyId");
    expect(await sdkCode(api("DeleteWhiteBoxKey", { KeyId: keyId }))).toBe("FailedOperation");
    await sdk.DisableWhiteBoxKey({ KeyId: keyId });
    expect(((await sdk.DescribeWhiteBoxKey({ KeyId: keyId })).KeyInfo as Answer).Status).toBe("Disabled");
    expect(await sdkCode(api("EncryptByWhiteBox", { KeyId: keyId, PlainText: b64("x") }))).toBe("ResourceUnavailable.KeyDisabled");
    await sdk.EnableWhiteBoxKey({ KeyId: keyId });
    await sdk.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("x") });
    await sdk.DisableWhiteBoxKeys({ KeyIds: [keyId] });
    await sdk.DeleteWhiteBoxKey({ KeyId: keyId });
    for (const action of ["DescribeWhiteBoxKey", "DescribeWhiteBoxDecryptKey", "DescribeWhiteBoxDeviceFingerprints", "EnableWhiteBoxKey", "DisableWhiteBoxKey", "DeleteWhiteBoxKey"])
      expect(await sdkCode(api(action, { KeyId: keyId })), action).toBe("ResourceNotFound");
    for (const action of ["DescribeWhiteBoxKey", "DeleteWhiteBoxKey", "EnableWhiteBoxKey"]) {
      expect(await sdkCode(api(action, {})), action).toBe("MissingParameter");
      expect(await sdkCode(api(action, { KeyId: "x" })), action).toBe("InvalidParameterValue.InvalidKeyId");
    }
  });

  it("keeps 50 keys per account and region, and applies batches of up to 50 distinct, existing ids all or nothing", async () => {
    const beijing = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey, { region: "ap-beijing" });
    const ids = await Promise.all(Array.from({ length: 50 }, async () => text(await api("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4" }, beijing), "KeyId")));
    expect(await sdkCode(api("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4" }, beijing))).toBe("LimitExceeded.KeyLimitExceeded");
    await beijing.DisableWhiteBoxKeys({ KeyIds: ids });
    expect((await beijing.DescribeWhiteBoxKeyDetails({ KeyStatus: 0 })).TotalCount).toBe(50);
    const missing = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    for (const action of ["EnableWhiteBoxKeys", "DisableWhiteBoxKeys"]) {
      expect(await sdkCode(api(action, {}, beijing)), action).toBe("MissingParameter");
      expect(await sdkCode(api(action, { KeyIds: [] }, beijing)), action).toBe("InvalidParameter");
      expect(await sdkCode(api(action, { KeyIds: [...ids, missing] }, beijing)), action).toBe("InvalidParameter");
      expect(await sdkCode(api(action, { KeyIds: [ids[0], ids[0]] }, beijing)), action).toBe("InvalidParameterValue.DuplicatedKeyId");
      expect(await sdkCode(api(action, { KeyIds: [ids[0], "bad"] }, beijing)), action).toBe("InvalidParameterValue.InvalidKeyId");
      expect(await sdkCode(api(action, { KeyIds: [ids[0], missing] }, beijing)), action).toBe("ResourceNotFound");
    }
    expect((await beijing.DescribeWhiteBoxKeyDetails({ KeyStatus: 1 })).TotalCount).toBe(0);
    await beijing.EnableWhiteBoxKeys({ KeyIds: ids });
    expect((await beijing.DescribeWhiteBoxKeyDetails({ KeyStatus: 1 })).TotalCount).toBe(50);
  });

  it("lists with DescribeWhiteBoxKeyDetails: filters, pages of at most 2, tables included", async () => {
    const all = await sdk.DescribeWhiteBoxKeyDetails({});
    expect(all.KeyInfos).toHaveLength(2);
    expect(all.KeyInfos?.[0]?.EncryptKey).toBeTypeOf("string");
    const tagged = await sdk.DescribeWhiteBoxKeyDetails({ TagFilters: [{ TagKey: "env", TagValue: ["prod"] }], KeyStatus: 1 });
    expect(tagged.TotalCount).toBe(1);
    expect(tagged.KeyInfos?.[0]).toMatchObject({ KeyId: aes.KeyId, Status: "Enabled", Algorithm: "AES_256" });
    expect(await sdkCode(api("DescribeWhiteBoxKeyDetails", { Limit: 3 }))).toBe("InvalidParameterValue");
    expect(await sdkCode(api("DescribeWhiteBoxKeyDetails", { KeyStatus: 2 }))).toBe("InvalidParameterValue");
    expect(await sdkCode(api("DescribeWhiteBoxKeyDetails", { TagFilters: [{ TagValue: ["x"] }] }))).toBe("MissingParameter");
  });

  it("stores device fingerprints and refuses bad lists with the documented codes", async () => {
    const keyId = text(await api("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4" }), "KeyId");
    await sdk.OverwriteWhiteBoxDeviceFingerprints({ KeyId: keyId, DeviceFingerprints: [{ Identity: FP(1), Description: "till 1" }, { Identity: FP(2) }] });
    expect((await sdk.DescribeWhiteBoxDeviceFingerprints({ KeyId: keyId })).DeviceFingerprints).toEqual([
      { Identity: FP(1), Description: "till 1" },
      { Identity: FP(2), Description: "" },
    ]);
    expect(((await sdk.DescribeWhiteBoxKey({ KeyId: keyId })).KeyInfo as Answer).DeviceFingerprintBind).toBe(true);
    const cases: [string, Params][] = [
      ["MissingParameter", { DeviceFingerprints: [] }],
      ["MissingParameter", { KeyId: keyId, DeviceFingerprints: [{ Description: "no identity" }] }],
      ["InvalidParameterValue", { KeyId: keyId, DeviceFingerprints: [{ Identity: "0123" }] }],
      ["LimitExceeded.FingerprintsLimitExceeded", { KeyId: keyId, DeviceFingerprints: Array.from({ length: 201 }, (_, i) => ({ Identity: FP(i) })) }],
      ["InvalidParameterValue.InvalidKeyId", { KeyId: "x", DeviceFingerprints: [] }],
    ];
    for (const [expected, params] of cases) expect(await sdkCode(api("OverwriteWhiteBoxDeviceFingerprints", params)), expected).toBe(expected);
    // Without DeviceFingerprints (or with an empty list): every device goes.
    await api("OverwriteWhiteBoxDeviceFingerprints", { KeyId: keyId });
    expect((await sdk.DescribeWhiteBoxDeviceFingerprints({ KeyId: keyId })).DeviceFingerprints).toEqual([]);
  });
});

describe("a device holding only the DecryptKey tables", () => {
  for (const algorithm of ["AES_256", "SM4"] as const) {
    it(`decrypts EncryptByWhiteBox's answers with the command, ${algorithm}, with and without a given IV, 1 to 4096 bytes`, async () => {
      const created = await sdk.CreateWhiteBoxKey({ Alias: alias(), Algorithm: algorithm });
      const tables = file(created.DecryptKey ?? "");
      for (const length of [1, 16, 33, 4096]) {
        for (const withIv of [true, false]) {
          const plaintext = randomBytes(length);
          const iv = withIv ? b64(randomBytes(16)) : undefined;
          const enc = await sdk.EncryptByWhiteBox({ KeyId: created.KeyId ?? "", PlainText: b64(plaintext), ...(iv ? { InitializationVector: iv } : {}) });
          if (iv) expect(enc.InitializationVector).toBe(iv);
          const run = await device(["decrypt", "--tables", tables, "--iv", enc.InitializationVector ?? "", "--in", file(enc.CipherText ?? "")]);
          expect(run.stderr).toBe("");
          expect(run.code).toBe(0);
          expect(run.stdout.equals(plaintext), `${length} bytes, IV ${withIv ? "given" : "generated"}`).toBe(true);
        }
      }
      // The tables as imported by an app: every length from 0 to 64 and a few up to 4096.
      const app = openTables(created.DecryptKey ?? "");
      for (const length of [...Array.from({ length: 64 }, (_, i) => i + 1), 100, 1000, 2047, 4095]) {
        const plaintext = randomBytes(length);
        const enc = await sdk.EncryptByWhiteBox({ KeyId: created.KeyId ?? "", PlainText: b64(plaintext) });
        const got = decryptCbc(app, Buffer.from(enc.InitializationVector ?? "", "base64"), Buffer.from(enc.CipherText ?? "", "base64"));
        expect(Buffer.from(got).equals(plaintext), `${length} bytes`).toBe(true);
      }
    });
  }

  it("opens fingerprint-bound tables from DescribeWhiteBoxDecryptKey on a listed device only", async () => {
    for (const algorithm of ["AES_256", "SM4"] as const) {
      const { KeyId: keyId = "" } = await sdk.CreateWhiteBoxKey({ Alias: alias(), Algorithm: algorithm });
      await sdk.OverwriteWhiteBoxDeviceFingerprints({ KeyId: keyId, DeviceFingerprints: [{ Identity: FP(10) }, { Identity: FP(11), Description: "kiosk" }] });
      const bound = file((await sdk.DescribeWhiteBoxDecryptKey({ KeyId: keyId })).DecryptKey ?? "");
      const enc = await sdk.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("for listed devices") });
      const args = ["decrypt", "--tables", bound, "--iv", enc.InitializationVector ?? "", "--in", file(enc.CipherText ?? "")];
      for (const fp of [FP(10), FP(11)]) {
        const run = await device([...args, "--fingerprint", fp]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout.toString()).toBe("for listed devices");
      }
      const other = await device([...args, "--fingerprint", FP(12)]);
      expect(other.code).toBe(2);
      expect(other.stdout.length).toBe(0);
      expect((await device(args)).code).toBe(2);

      // Removing the devices: the next DecryptKey is unbound again and opens anywhere.
      await sdk.OverwriteWhiteBoxDeviceFingerprints({ KeyId: keyId, DeviceFingerprints: [] });
      const unbound = file((await sdk.DescribeWhiteBoxDecryptKey({ KeyId: keyId })).DecryptKey ?? "");
      const run = await device(["decrypt", "--tables", unbound, "--iv", enc.InitializationVector ?? "", "--in", file(enc.CipherText ?? "")]);
      expect(run.stdout.toString()).toBe("for listed devices");
    }
  });
});

describe("gRPC", () => {
  it("serves all 13 actions with connect-es, answering ErrorInfo codes and gRPC statuses", async () => {
    const created = await wb.createWhiteBoxKey({ alias: alias(), algorithm: WhiteBoxAlgorithm.SM4, tags: [{ tagKey: "via", tagValue: "grpc" }] });
    const keyId = created.keyId;
    expect((await wb.describeWhiteBoxKey({ keyId })).keyInfo).toMatchObject({ keyId, status: WhiteBoxKeyStatus.ENABLED, algorithm: WhiteBoxAlgorithm.SM4 });
    expect((await wb.describeWhiteBoxKeyDetails({ tagFilters: [{ tagKey: "via" }] })).keyInfos.map((k) => k.keyId)).toEqual([keyId]);
    expect(Buffer.from((await wb.describeWhiteBoxDecryptKey({ keyId })).decryptKey).equals(Buffer.from(created.decryptKey))).toBe(true);
    expect((await wb.describeWhiteBoxServiceStatus({})).serviceEnabled).toBe(true);
    await wb.overwriteWhiteBoxDeviceFingerprints({ keyId, deviceFingerprints: [{ identity: FP(20) }] });
    expect((await wb.describeWhiteBoxDeviceFingerprints({ keyId })).deviceFingerprints.map((d) => d.identity)).toEqual([FP(20)]);
    const enc = await wb.encryptByWhiteBox({ keyId, plainText: Buffer.from("over grpc") });
    expect(Buffer.from(decryptCbc(openTables(created.decryptKey), enc.initializationVector, enc.cipherText)).toString()).toBe("over grpc");
    await wb.disableWhiteBoxKey({ keyId });
    expect(await rpcError(wb.encryptByWhiteBox({ keyId, plainText: Buffer.from("x") }))).toEqual({ status: Code.FailedPrecondition, code: "ResourceUnavailable.KeyDisabled" });
    await wb.enableWhiteBoxKey({ keyId });
    expect(await rpcError(wb.deleteWhiteBoxKey({ keyId }))).toEqual({ status: Code.FailedPrecondition, code: "FailedOperation" });
    await wb.disableWhiteBoxKeys({ keyIds: [keyId] });
    await wb.enableWhiteBoxKeys({ keyIds: [keyId] });
    await wb.disableWhiteBoxKeys({ keyIds: [keyId] });
    await wb.deleteWhiteBoxKey({ keyId });
    expect(await rpcError(wb.describeWhiteBoxKey({ keyId }))).toEqual({ status: Code.NotFound, code: "ResourceNotFound" });
    expect(await rpcError(wb.createWhiteBoxKey({ alias: alias() }))).toEqual({ status: Code.InvalidArgument, code: "InvalidParameterValue" });
    expect(await rpcError(wb.enableWhiteBoxKeys({ keyIds: [] }))).toEqual({ status: Code.InvalidArgument, code: "InvalidParameter" });
    expect(await rpcError(wb.overwriteWhiteBoxDeviceFingerprints({ keyId, deviceFingerprints: Array.from({ length: 201 }, (_, i) => ({ identity: FP(i) })) }))).toEqual({
      status: Code.ResourceExhausted,
      code: "LimitExceeded.FingerprintsLimitExceeded",
    });
  });

  it("answers a full DescribeWhiteBoxKeyDetails page of AES-256 keys within grpc-js's default 4 MB receive limit", async () => {
    const region = "ap-shanghai";
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${ts.token}`);
    md.set("kms-region", region);
    const definition = protoLoader.loadSync("kms/v1/whitebox.proto", { includeDirs: [resolve(import.meta.dirname, "../../proto")], keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true });
    type Unary = (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Answer) => void) => void;
    const Service = (grpc.loadPackageDefinition(definition) as unknown as { kms: { v1: { WhiteBoxKeyService: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Unary> } } }).kms.v1.WhiteBoxKeyService;
    const client = new Service(`127.0.0.1:${ts.server.grpc.port}`, grpc.credentials.createInsecure());
    const call = (method: string, req: object) => new Promise<Answer>((ok, fail) => (client[method] as Unary).call(client, req, md, (err, res) => (err ? fail(err) : ok(res))));
    try {
      for (let i = 0; i < 3; i++) await call("CreateWhiteBoxKey", { alias: alias(), algorithm: "WHITE_BOX_ALGORITHM_AES_256" });
      const page = await call("DescribeWhiteBoxKeyDetails", {});
      expect(page.total_count).toBe(3);
      const infos = page.key_infos as { algorithm: string; status: string; encrypt_key: Buffer; decrypt_key: Buffer }[];
      expect(infos.map((k) => [k.algorithm, k.status, k.encrypt_key.length, k.decrypt_key.length])).toEqual(Array(2).fill(["WHITE_BOX_ALGORITHM_AES_256", "WHITE_BOX_KEY_STATUS_ENABLED", 749_632, 749_632]));
      const rest = await call("DescribeWhiteBoxKeyDetails", { offset: 2, limit: 2 });
      expect((rest.key_infos as unknown[]).length).toBe(1);

      // The same page as connect-es decodes it, re-encoded: the bytes on the wire.
      const viaConnect = await wb.describeWhiteBoxKeyDetails({}, { headers: { "kms-region": region } });
      const size = toBinary(DescribeWhiteBoxKeyDetailsResponseSchema, viaConnect).length;
      expect(size).toBeGreaterThan(2 * 2 * 749_632);
      expect(size).toBeLessThan(GRPC_JS_DEFAULT_RECEIVE);
    } finally {
      client.close();
    }
  });
});

describe("the audit log", () => {
  it("holds every white-box change and refusal with its key", async () => {
    const keyId = text(await api("CreateWhiteBoxKey", { Alias: alias(), Algorithm: "SM4" }), "KeyId");
    await api("EncryptByWhiteBox", { KeyId: keyId, PlainText: b64("audited") });
    await api("DisableWhiteBoxKey", { KeyId: keyId });
    await sdkCode(api("EncryptByWhiteBox", { KeyId: keyId, PlainText: b64("audited") }));
    await api("DeleteWhiteBoxKey", { KeyId: keyId });
    const expected = [
      ["kms:CreateWhiteBoxKey", "Success"],
      ["kms:EncryptByWhiteBox", "Success"],
      ["kms:DisableWhiteBoxKey", "Success"],
      ["kms:EncryptByWhiteBox", "ResourceUnavailable.KeyDisabled"],
      ["kms:DeleteWhiteBoxKey", "Success"],
    ];
    // Calls that change nothing are written with the next group commit: wait for it.
    let trail: string[][] = [];
    for (let i = 0; i < 50 && trail.length < expected.length; i++) {
      trail = (await admin.client.queryAuditEvents({ keyId })).events.map((e) => [e.action, e.result]);
      if (trail.length < expected.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(trail).toEqual(expected);
  });
});
