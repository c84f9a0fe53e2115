/**
 * Authorisation end to end: every KMS action is denied to a sub-user without
 * a grant and allowed to one granted exactly that action on exactly its
 * resource, on both transports (connect-es gRPC with a bearer token, and the
 * official tencentcloud SDK signing API 3.0 requests with an access key);
 * KeyVersionService and AdminService deny by default; explicit deny wins;
 * wildcard resources; conditions on encryption context, resource tags and
 * source IP; no existence oracle for missing keys; policy changes apply on
 * the next call.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, randomUUID } from "node:crypto";
import type { DescMessage, DescMethod, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { ErrorInfoSchema, KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";
import { createSm2Encrypter } from "../../src/crypto/asymmetric/sm2.js";
import { KMS_API } from "../../src/contract/kms-api.js";
import { fromApi, type JsonValue } from "../../src/transport/api3/translate.js";
import { adminClient, bearer, connectClients, type AdminClient, type ConnectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

const ACCOUNT = "100000000001";
const REGION = "ap-guangzhou";
const DENIED = "UnauthorizedOperation";
const OK = "ok";

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
const deny = (action: string[], resource: string[]): Statement => ({ effect: "deny", action, resource });
const policyDocument = (statements: readonly Statement[]) => JSON.stringify({ version: "2.0", statement: statements });

let ts: TestServer;
let root: ConnectClients;
let rootAdmin: { client: AdminClient; close(): void };
let rootSdk: TencentKmsClient;
let sessions: Http2SessionManager;
let nobody: Caller;

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false" } });
  root = connectClients(ts);
  rootAdmin = adminClient(ts);
  rootSdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
  sessions = new Http2SessionManager(ts.grpcUrl);
  nobody = await newCaller("nobody");
});
afterAll(async () => {
  sessions.abort();
  rootAdmin.close();
  root.close();
  await ts.dispose();
});

// ---- calling any method generically, on either transport ----

const KMS_METHODS = new Map(KeyManagementService.methods.map((m) => [m.name, m]));

function kmsMethod(action: string): DescMethod {
  const m = KMS_METHODS.get(action);
  if (!m) throw new Error(`no KMS method ${action}`);
  return m;
}

const isUnary = (method: DescMethod): method is DescMethodUnary => method.methodKind === "unary";

async function unary(transport: Transport, method: DescMethod, input: MessageInitShape<DescMessage>): Promise<MessageShape<DescMessage>> {
  if (!isUnary(method)) throw new Error(`${method.name} is not unary`);
  return (await transport.unary(method, undefined, undefined, undefined, input)).message;
}

/** Any KMS action as an API 3.0 call through the official SDK. */
async function sdkCall(client: TencentKmsClient, action: string, params: Params): Promise<Answer> {
  const answer: unknown = await client.request(action, params);
  return answer as Answer;
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
  name: string;
  uin: bigint;
  token: string;
  secretId: string;
  transport: Transport;
  sdk: TencentKmsClient;
  admin: AdminClient;
  versions: Client<typeof KeyVersionService>;
  /** A KMS action over gRPC, its request built from the API 3.0 parameters. */
  grpc(action: string, params: Params): Promise<MessageShape<DescMessage>>;
  api(action: string, params: Params): Promise<Answer>;
  rpc(method: DescMethod, input: MessageInitShape<DescMessage>): Promise<MessageShape<DescMessage>>;
}

/** A sub-user with a bearer token and an access key; with statements, one policy holding them is attached. */
async function newCaller(name: string, ...statements: Statement[]): Promise<Caller> {
  const admin = rootAdmin.client;
  const principal = (await admin.createPrincipal({ name, description: `authz test ${name}` })).principal;
  if (!principal) throw new Error("CreatePrincipal answered no principal");
  const uin = principal.uin;
  if (statements.length > 0) await grant(uin, `${name}-policy`, statements);
  const { secret: token } = await admin.createToken({ principalUin: uin });
  const ak = await admin.createAccessKey({ principalUin: uin });
  const secretId = ak.accessKey?.secretId ?? "";
  const transport = transportFor(token);
  const sdk = tencentKms(ts.httpUrl, secretId, ak.secretKey);
  const rpc = (method: DescMethod, input: MessageInitShape<DescMessage>) => unary(transport, method, input);
  return {
    name,
    uin,
    token,
    secretId,
    transport,
    sdk,
    admin: createClient(AdminService, transport),
    versions: createClient(KeyVersionService, transport),
    rpc,
    grpc: (action, params) => {
      const method = kmsMethod(action);
      return rpc(method, fromApi(method.input, params, "json", KMS_API.required));
    },
    api: (action, params) => sdkCall(sdk, action, params),
  };
}

/** gRPC (h2c) with a bearer token, over the one shared HTTP/2 session. */
function transportFor(token: string): Transport {
  return createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] });
}

async function grant(uin: bigint, policyName: string, statements: readonly Statement[]): Promise<void> {
  await rootAdmin.client.createPolicy({ name: policyName, document: policyDocument(statements) });
  await rootAdmin.client.attachPolicy({ principalUin: uin, policyName });
}

/** The outcome of one call on each transport. */
async function onBoth(c: Caller, action: string, params: Params): Promise<{ grpc: string; api3: string }> {
  return { grpc: await outcome(c.grpc(action, params)), api3: await outcome(c.api(action, params)) };
}
const both = (code: string) => ({ grpc: code, api3: code });

// ---- root-side setup ----

const rootApi = (action: string, params: Params = {}) => sdkCall(rootSdk, action, params);

function text(answer: Answer, name: string): string {
  const v = answer[name];
  if (typeof v !== "string") throw new Error(`expected a string ${name} in ${JSON.stringify(answer)}`);
  return v;
}

let aliasSeq = 0;
const alias = () => `authz-${++aliasSeq}-${randomBytes(3).toString("hex")}`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function newKey(params: Params = {}): Promise<string> {
  return text(await rootApi("CreateKey", { Alias: alias(), ...params }), "KeyId");
}
async function disabledKey(): Promise<string> {
  const keyId = await newKey();
  await rootApi("DisableKey", { KeyId: keyId });
  return keyId;
}
async function rotatingKey(): Promise<string> {
  const keyId = await newKey();
  await rootApi("EnableKeyRotation", { KeyId: keyId });
  return keyId;
}
async function encryptAsRoot(keyId: string, plaintext: string, context?: string): Promise<string> {
  return text(await rootApi("Encrypt", { KeyId: keyId, Plaintext: b64(plaintext), ...(context ? { EncryptionContext: context } : {}) }), "CiphertextBlob");
}
async function importParams(keyId: string): Promise<Params> {
  const p = await rootApi("GetParametersForImport", { KeyId: keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" });
  const publicKey = createPublicKey({ key: Buffer.from(text(p, "PublicKey"), "base64"), format: "der", type: "spki" });
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, randomBytes(32));
  return { KeyId: keyId, ImportToken: text(p, "ImportToken"), EncryptedKeyMaterial: wrapped.toString("base64") };
}

/** Whether the key can be archived (it cannot while bound to a cloud resource); leaves it as it was. */
async function archivable(keyId: string): Promise<string> {
  const result = await outcome(rootApi("ArchiveKey", { KeyId: keyId }));
  if (result === OK) await rootApi("CancelKeyArchive", { KeyId: keyId });
  return result;
}

// ---- the table: one row per KeyManagementService method ----

interface Prepared {
  params: Params;
  /** Keys the call names: its policy grants exactly these (none: the account resource). */
  keys: string[];
}

interface Row {
  /** Run as root: fresh, valid parameters for one call. */
  prepare(): Promise<Prepared>;
  /** True when a successful call changes what snapshot() sees. */
  mutates?: boolean;
  /** State beyond the keys' metadata that a denied call must leave alone. */
  state?(p: Prepared): Promise<unknown>;
}

const one = (keyId: string, params: Params = {}): Prepared => ({ params: { KeyId: keyId, ...params }, keys: [keyId] });
const keyless = (params: Params = {}): Prepared => ({ params, keys: [] });

const ROWS: Record<string, Row> = {
  CreateKey: {
    prepare: async () => keyless({ Alias: alias(), Description: "made by a sub-user" }),
    mutates: true,
    state: async () => (await rootApi("ListKeys", { Limit: 1 })).TotalCount,
  },
  DescribeKey: { prepare: async () => one(await newKey()) },
  DescribeKeys: {
    prepare: async () => {
      const keys = [await newKey(), await newKey()];
      return { params: { KeyIds: keys }, keys };
    },
  },
  ListKeys: { prepare: async () => keyless({ Limit: 5 }) },
  ListKeyDetail: { prepare: async () => keyless({ KeyUsage: "ALL" }) },
  UpdateAlias: { prepare: async () => one(await newKey(), { Alias: alias() }), mutates: true },
  UpdateKeyDescription: { prepare: async () => one(await newKey(), { Description: "rewritten" }), mutates: true },
  EnableKey: { prepare: async () => one(await disabledKey()), mutates: true },
  DisableKey: { prepare: async () => one(await newKey()), mutates: true },
  EnableKeys: {
    prepare: async () => {
      const keys = [await disabledKey(), await disabledKey()];
      return { params: { KeyIds: keys }, keys };
    },
    mutates: true,
  },
  DisableKeys: {
    prepare: async () => {
      const keys = [await newKey(), await newKey()];
      return { params: { KeyIds: keys }, keys };
    },
    mutates: true,
  },
  ScheduleKeyDeletion: { prepare: async () => one(await disabledKey(), { PendingWindowInDays: 7 }), mutates: true },
  CancelKeyDeletion: {
    prepare: async () => {
      const keyId = await disabledKey();
      await rootApi("ScheduleKeyDeletion", { KeyId: keyId, PendingWindowInDays: 7 });
      return one(keyId);
    },
    mutates: true,
  },
  ArchiveKey: { prepare: async () => one(await newKey()), mutates: true },
  CancelKeyArchive: {
    prepare: async () => {
      const keyId = await newKey();
      await rootApi("ArchiveKey", { KeyId: keyId });
      return one(keyId);
    },
    mutates: true,
  },
  GetServiceStatus: { prepare: async () => keyless() },
  GetRegions: { prepare: async () => keyless() },
  Encrypt: { prepare: async () => one(await newKey(), { Plaintext: b64("secret") }) },
  Decrypt: {
    prepare: async () => {
      const keyId = await newKey();
      return { params: { CiphertextBlob: await encryptAsRoot(keyId, "secret") }, keys: [keyId] };
    },
  },
  ReEncrypt: {
    prepare: async () => {
      const source = await newKey();
      const destination = await newKey();
      return { params: { CiphertextBlob: await encryptAsRoot(source, "secret"), DestinationKeyId: destination }, keys: [source, destination] };
    },
  },
  GenerateDataKey: { prepare: async () => one(await newKey(), { KeySpec: "AES_256" }) },
  GenerateRandom: { prepare: async () => keyless({ NumberOfBytes: 32 }) },
  EnableKeyRotation: { prepare: async () => one(await newKey(), { RotateDays: 30 }), mutates: true },
  DisableKeyRotation: { prepare: async () => one(await rotatingKey()), mutates: true },
  GetKeyRotationStatus: { prepare: async () => one(await newKey()) },
  RotateKey: {
    prepare: async () => one(await rotatingKey()),
    mutates: true,
    state: async (p) => (await root.versions.listKeyVersions({ keyId: p.keys[0] ?? "" })).versions.length,
  },
  GetParametersForImport: { prepare: async () => one(await newKey({ Type: 2 }), { WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }) },
  ImportKeyMaterial: {
    prepare: async () => {
      const keyId = await newKey({ Type: 2 });
      return { params: await importParams(keyId), keys: [keyId] };
    },
    mutates: true,
  },
  DeleteImportedKeyMaterial: {
    prepare: async () => {
      const keyId = await newKey({ Type: 2 });
      await rootApi("ImportKeyMaterial", await importParams(keyId));
      return one(keyId);
    },
    mutates: true,
  },
  GetPublicKey: { prepare: async () => one(await newKey({ KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ECC" })) },
  SignByAsymmetricKey: {
    prepare: async () => one(await newKey({ KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ECC" }), { Algorithm: "ECC_P256_R1", Message: b64("signed"), MessageType: "RAW" }),
  },
  VerifyByAsymmetricKey: {
    prepare: async () => {
      const keyId = await newKey({ KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ECC" });
      const message = { KeyId: keyId, Algorithm: "ECC_P256_R1", Message: b64("signed") };
      const signature = text(await rootApi("SignByAsymmetricKey", message), "Signature");
      return one(keyId, { ...message, SignatureValue: signature });
    },
  },
  AsymmetricRsaDecrypt: {
    prepare: async () => {
      const keyId = await newKey({ KeyUsage: "ASYMMETRIC_DECRYPT_RSA_2048" });
      const pem = text(await rootApi("GetPublicKey", { KeyId: keyId }), "PublicKeyPem");
      const ciphertext = publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from("rsa"));
      return one(keyId, { Ciphertext: ciphertext.toString("base64"), Algorithm: "RSAES_OAEP_SHA_256" });
    },
  },
  AsymmetricSm2Decrypt: {
    prepare: async () => {
      const keyId = await newKey({ KeyUsage: "ASYMMETRIC_DECRYPT_SM2" });
      const spki = Buffer.from(text(await rootApi("GetPublicKey", { KeyId: keyId }), "PublicKey"), "base64");
      const ciphertext = createSm2Encrypter(spki).encrypt(Buffer.from("sm2"), "C1C3C2_ASN1");
      return one(keyId, { Ciphertext: Buffer.from(ciphertext).toString("base64") });
    },
  },
  ListAlgorithms: { prepare: async () => keyless() },
  PostQuantumCryptoEncrypt: { prepare: async () => one(await newKey({ KeyUsage: "ASYMMETRIC_DECRYPT_ML_KEM_768" }), { PlainText: b64("pq") }) },
  PostQuantumCryptoDecrypt: {
    prepare: async () => {
      const keyId = await newKey({ KeyUsage: "ASYMMETRIC_DECRYPT_ML_KEM_768" });
      const blob = text(await rootApi("PostQuantumCryptoEncrypt", { KeyId: keyId, PlainText: b64("pq") }), "CiphertextBlob");
      return { params: { CiphertextBlob: blob }, keys: [keyId] };
    },
  },
  PostQuantumCryptoSign: { prepare: async () => one(await newKey({ KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65" }), { Message: b64("pq") }) },
  PostQuantumCryptoVerify: {
    prepare: async () => {
      const keyId = await newKey({ KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65" });
      const signature = text(await rootApi("PostQuantumCryptoSign", { KeyId: keyId, Message: b64("pq") }), "Signature");
      return one(keyId, { Message: b64("pq"), SignatureValue: signature });
    },
  },
  BindCloudResource: {
    prepare: async () => one(await newKey(), { ProductId: "cos", ResourceId: alias() }),
    mutates: true,
    state: async (p) => archivable(p.keys[0] ?? ""),
  },
  UnbindCloudResource: {
    prepare: async () => {
      const prepared = one(await newKey(), { ProductId: "cos", ResourceId: alias() });
      await rootApi("BindCloudResource", prepared.params);
      return prepared;
    },
    mutates: true,
    state: async (p) => archivable(p.keys[0] ?? ""),
  },
};

/** What root sees of the call's subject: each key's metadata, plus the row's own state. */
async function snapshot(row: Row, p: Prepared): Promise<unknown> {
  const keys = p.keys.length > 0 ? (await root.grpc.describeKeys({ keyIds: p.keys })).keyMetadatas : [];
  return { keys, state: row.state ? await row.state(p) : null };
}

/** An action of the same scope the row's grant does not name. */
function otherAction(action: string, p: Prepared): [string, Params] {
  const keyId = p.keys[0];
  if (keyId === undefined) return action === "GetRegions" ? ["GetServiceStatus", {}] : ["GetRegions", {}];
  return action === "DescribeKey" ? ["GetKeyRotationStatus", { KeyId: keyId }] : ["DescribeKey", { KeyId: keyId }];
}

describe("every KeyManagementService action", () => {
  it("has a row in the table, and only those", () => {
    expect(Object.keys(ROWS).sort()).toEqual(KeyManagementService.methods.map((m) => m.name).sort());
  });

  for (const [action, row] of Object.entries(ROWS)) {
    it(`${action}: denied without a grant, allowed with exactly kms:${action} on its resource, on both transports`, async () => {
      const viaGrpc = await row.prepare();
      const viaApi = await row.prepare();
      const resources = (p: Prepared) => (p.keys.length > 0 ? p.keys.map((k) => keyResource(k)) : [ACCOUNT_RESOURCE]);
      const grpcUser = await newCaller(`${action}-grpc`, allow([`kms:${action}`], resources(viaGrpc)));
      const apiUser = await newCaller(`${action}-api3`, allow([`kms:${action}`], resources(viaApi)));
      const before = { grpc: await snapshot(row, viaGrpc), api3: await snapshot(row, viaApi) };

      // No policy: denied on both transports.
      expect(await outcome(nobody.grpc(action, viaGrpc.params))).toBe(DENIED);
      expect(await outcome(nobody.api(action, viaApi.params))).toBe(DENIED);
      // A grant on other keys does not reach these.
      if (viaGrpc.keys.length > 0) {
        expect(await outcome(grpcUser.grpc(action, viaApi.params))).toBe(DENIED);
        expect(await outcome(apiUser.api(action, viaGrpc.params))).toBe(DENIED);
      }
      // Least privilege: the grant names one action only.
      const [otherG, otherGParams] = otherAction(action, viaGrpc);
      const [otherA, otherAParams] = otherAction(action, viaApi);
      expect(await outcome(grpcUser.grpc(otherG, otherGParams))).toBe(DENIED);
      expect(await outcome(apiUser.api(otherA, otherAParams))).toBe(DENIED);
      // Nothing the denied calls named changed.
      expect({ grpc: await snapshot(row, viaGrpc), api3: await snapshot(row, viaApi) }).toEqual(before);

      // Exactly that grant: allowed.
      expect(await outcome(grpcUser.grpc(action, viaGrpc.params))).toBe(OK);
      expect(await outcome(apiUser.api(action, viaApi.params))).toBe(OK);
      if (row.mutates) {
        // The snapshot would have seen a change: the calls above did make one.
        expect(await snapshot(row, viaGrpc)).not.toEqual(before.grpc);
        expect(await snapshot(row, viaApi)).not.toEqual(before.api3);
      }
    });
  }

  it("spot-checks the effect of allowed mutating calls", async () => {
    const keyId = await disabledKey();
    const user = await newCaller("spot", allow(["kms:ScheduleKeyDeletion", "kms:UpdateAlias"], [keyResource(keyId)]));
    const name = alias();
    await user.api("UpdateAlias", { KeyId: keyId, Alias: name });
    await user.grpc("ScheduleKeyDeletion", { KeyId: keyId, PendingWindowInDays: 7 });
    const md = (await root.grpc.describeKey({ keyId })).keyMetadata;
    expect(md?.alias).toBe(name);
    expect(md?.deletionDate).toBe(BigInt(Math.floor(ts.clock.now() / 1000) + 7 * 86400));
    const bound = await newKey();
    const binder = await newCaller("spot-bind", allow(["kms:BindCloudResource"], [keyResource(bound)]));
    await binder.grpc("BindCloudResource", { KeyId: bound, ProductId: "cos", ResourceId: "bucket" });
    expect(await outcome(rootApi("ArchiveKey", { KeyId: bound }))).toBe("FailedOperation.CmkUsedByCloudProduct");
  });

  it("names a key a sub-user created with that sub-user as its creator", async () => {
    const maker = await newCaller("maker");
    await grant(maker.uin, "maker-policy", [allow(["kms:CreateKey"], [ACCOUNT_RESOURCE]), allow(["kms:DescribeKey", "kms:Encrypt"], [`qcs::kms:${REGION}:uin/${ACCOUNT}:key/creatorUin/${maker.uin}/*`])]);
    const keyId = text(await maker.api("CreateKey", { Alias: alias() }), "KeyId");
    expect((await root.grpc.describeKey({ keyId })).keyMetadata?.creatorUin).toBe(maker.uin);
    expect(await onBoth(maker, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));
    expect(await onBoth(maker, "Encrypt", { KeyId: keyId, Plaintext: b64("mine") })).toEqual(both(OK));
    expect(await onBoth(maker, "DescribeKey", { KeyId: await newKey() })).toEqual(both(DENIED));
  });
});

describe("KeyVersionService and AdminService", () => {
  it("deny every method to a sub-user without a policy", async () => {
    for (const service of [KeyVersionService, AdminService])
      for (const method of service.methods) expect(await outcome(nobody.rpc(method, {})), method.name).toBe(DENIED);
  });

  it("allow exactly the granted version action", async () => {
    const keyId = await rotatingKey();
    await rootApi("RotateKey", { KeyId: keyId });
    const user = await newCaller("versions", allow(["kms:ListKeyVersions", "kms:DescribeKeyVersion"], [keyResource(keyId)]));
    const versions = user.versions;
    expect((await versions.listKeyVersions({ keyId })).versions).toHaveLength(2);
    expect((await versions.describeKeyVersion({ keyId, version: 1 })).version?.version).toBe(1);
    expect(await outcome(versions.disableKeyVersion({ keyId, version: 1 }))).toBe(DENIED);
    expect(await outcome(versions.listKeyVersions({ keyId: await rotatingKey() }))).toBe(DENIED);
    expect(await outcome(user.grpc("DescribeKey", { KeyId: keyId }))).toBe(DENIED);
  });

  it("let kmsadmin:ListPrincipals list principals but not create one", async () => {
    const lister = await newCaller("lister", allow(["kmsadmin:ListPrincipals"], [ACCOUNT_RESOURCE]));
    const names = (await lister.admin.listPrincipals({})).principals.map((p) => p.name);
    expect(names).toContain("root");
    expect(names).toContain("lister");
    expect(await outcome(lister.admin.createPrincipal({ name: "made-by-lister" }))).toBe(DENIED);
    expect(await outcome(lister.admin.listPolicies({}))).toBe(DENIED);
    expect(await outcome(lister.grpc("GetRegions", {}))).toBe(DENIED);
  });

  it("never let a sub-user with kmsadmin:* take over the root's credentials, while it manages its own", async () => {
    const admin = await newCaller("sub-admin", allow(["kmsadmin:*"], ["*"]));
    const rootUin = BigInt(ACCOUNT);
    expect(await outcome(admin.admin.createToken({ principalUin: rootUin }))).toBe(DENIED);
    expect(await outcome(admin.admin.createAccessKey({ principalUin: rootUin }))).toBe(DENIED);
    const rootToken = (await rootAdmin.client.listTokens({ principalUin: rootUin })).tokens[0]?.tokenId ?? "";
    expect(await outcome(admin.admin.deleteToken({ tokenId: rootToken }))).toBe(DENIED);
    expect(await outcome(admin.admin.disableAccessKey({ secretId: ts.secretId }))).toBe(DENIED);
    expect(await outcome(admin.admin.deleteAccessKey({ secretId: ts.secretId }))).toBe(DENIED);
    // The root's credentials still work.
    expect(await outcome(rootApi("GetRegions"))).toBe(OK);
    expect(await outcome(root.grpc.getRegions({}))).toBe(OK);

    // For itself (by default and by uin) it may.
    const own = await admin.admin.createToken({});
    expect(own.token?.principalUin).toBe(admin.uin);
    const ownKey = await admin.admin.createAccessKey({ principalUin: admin.uin });
    expect(ownKey.accessKey?.principalUin).toBe(admin.uin);
    // The new credentials authenticate as the sub-user: its admin grant works, KMS actions stay denied.
    expect(await outcome(createClient(AdminService, transportFor(own.secret)).listPrincipals({}))).toBe(OK);
    expect(await outcome(tencentKms(ts.httpUrl, ownKey.accessKey?.secretId ?? "", ownKey.secretKey).GetRegions())).toBe(DENIED);
    // And for other sub-users (kmsadmin:* is an administrator of sub-users).
    expect(await outcome(admin.admin.createToken({ principalUin: nobody.uin }))).toBe(OK);
  });
});

describe("deny overrides allow", () => {
  async function check(user: Caller, denied: string, other: string): Promise<void> {
    const deniedBlob = await encryptAsRoot(denied, "no");
    const otherBlob = await encryptAsRoot(other, "yes");
    expect(await onBoth(user, "Encrypt", { KeyId: denied, Plaintext: b64("x") })).toEqual(both(OK));
    expect(await onBoth(user, "Decrypt", { CiphertextBlob: deniedBlob })).toEqual(both(DENIED));
    expect(await onBoth(user, "Decrypt", { CiphertextBlob: otherBlob })).toEqual(both(OK));
    expect(await onBoth(user, "GenerateRandom", { NumberOfBytes: 8 })).toEqual(both(OK));
  }

  it("in one policy", async () => {
    const [a, b] = [await newKey(), await newKey()];
    await check(await newCaller("deny-one", allow(["kms:*"], ["*"]), deny(["kms:Decrypt"], [keyResource(a)])), a, b);
  });

  it("across two attached policies, whatever their order", async () => {
    const [a, b] = [await newKey(), await newKey()];
    const user = await newCaller("deny-two");
    await grant(user.uin, "deny-two-deny", [deny(["kms:Decrypt"], [keyResource(a)])]);
    await grant(user.uin, "deny-two-allow", [allow(["kms:*"], ["*"])]);
    await check(user, a, b);
    const other = await newCaller("deny-two-b");
    await rootAdmin.client.attachPolicy({ principalUin: other.uin, policyName: "deny-two-allow" });
    await rootAdmin.client.attachPolicy({ principalUin: other.uin, policyName: "deny-two-deny" });
    await check(other, a, b);
  });

  it("with a wildcard action in the deny", async () => {
    const [a, b] = [await newKey(), await newKey()];
    const user = await newCaller("deny-wild", allow(["kms:*"], ["*"]), deny(["kms:*"], [keyResource(a)]));
    expect(await onBoth(user, "Encrypt", { KeyId: a, Plaintext: b64("x") })).toEqual(both(DENIED));
    expect(await onBoth(user, "DescribeKey", { KeyId: a })).toEqual(both(DENIED));
    expect(await onBoth(user, "Encrypt", { KeyId: b, Plaintext: b64("x") })).toEqual(both(OK));
    // A batch naming the denied key is denied as a whole.
    expect(await onBoth(user, "DescribeKeys", { KeyIds: [b, a] })).toEqual(both(DENIED));
  });
});

describe("wildcard resources", () => {
  it("grant on any creator in the region and on an empty region", async () => {
    const keyId = await newKey();
    const anyCreator = await newCaller("wild-creator", allow(["kms:DescribeKey"], [`qcs::kms:${REGION}:uin/${ACCOUNT}:key/creatorUin/*/*`]));
    const anyRegion = await newCaller("wild-region", allow(["kms:DescribeKey"], [`qcs::kms::uin/${ACCOUNT}:key/*`]));
    expect(await onBoth(anyCreator, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));
    expect(await onBoth(anyRegion, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));
    // Key patterns do not name the account: account-level actions stay denied even with kms:*.
    const keysOnly = await newCaller("wild-keys-only", allow(["kms:*"], [`qcs::kms::uin/${ACCOUNT}:key/*`]));
    expect(await onBoth(keysOnly, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));
    expect(await onBoth(keysOnly, "GenerateRandom", { NumberOfBytes: 8 })).toEqual(both(DENIED));
    expect(await onBoth(keysOnly, "CreateKey", { Alias: alias() })).toEqual(both(DENIED));
  });

  it("for another account grant nothing", async () => {
    const keyId = await newKey();
    const stranger = await newCaller(
      "wild-stranger",
      allow(["kms:*"], [`qcs::kms:${REGION}:uin/100000000002:key/*`, `qcs::kms::uin/100000000002:key/*`, `qcs::kms:${REGION}:uin/100000000002:*`]),
    );
    expect(await onBoth(stranger, "DescribeKey", { KeyId: keyId })).toEqual(both(DENIED));
    expect(await onBoth(stranger, "GenerateRandom", { NumberOfBytes: 8 })).toEqual(both(DENIED));
    const otherRegion = await newCaller("wild-other-region", allow(["kms:DescribeKey"], [`qcs::kms:ap-shanghai:uin/${ACCOUNT}:key/*`]));
    expect(await onBoth(otherRegion, "DescribeKey", { KeyId: keyId })).toEqual(both(DENIED));
  });

  it("in actions", async () => {
    const keyId = await newKey();
    const reader = await newCaller("wild-action", allow(["kms:Describe*"], ["*"]));
    expect(await onBoth(reader, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));
    expect(await onBoth(reader, "DescribeKeys", { KeyIds: [keyId] })).toEqual(both(OK));
    expect(await onBoth(reader, "Encrypt", { KeyId: keyId, Plaintext: b64("x") })).toEqual(both(DENIED));
  });
});

describe("conditions", () => {
  it("on the encryption context", async () => {
    const keyId = await newKey();
    const billing = await newCaller(
      "ctx-billing",
      allow(["kms:Encrypt", "kms:Decrypt"], [keyResource(keyId)], { string_equal: { "kms:encryption_context/app": ["billing"] } }),
    );
    const encrypt = (context?: string) => ({ KeyId: keyId, Plaintext: b64("invoice"), ...(context === undefined ? {} : { EncryptionContext: context }) });
    expect(await onBoth(billing, "Encrypt", encrypt('{"app":"billing"}'))).toEqual(both(OK));
    expect(await onBoth(billing, "Encrypt", encrypt('{"app":"billing","year":"2026"}'))).toEqual(both(OK));
    expect(await onBoth(billing, "Encrypt", encrypt('{"app":"hr"}'))).toEqual(both(DENIED));
    expect(await onBoth(billing, "Encrypt", encrypt())).toEqual(both(DENIED));
    expect(await onBoth(billing, "Encrypt", encrypt('{"App":"billing"}'))).toEqual(both(DENIED));

    const blob = text(await billing.api("Encrypt", encrypt('{"app":"billing"}')), "CiphertextBlob");
    const plain = text(await billing.api("Decrypt", { CiphertextBlob: blob, EncryptionContext: '{"app":"billing"}' }), "Plaintext");
    expect(Buffer.from(plain, "base64").toString()).toBe("invoice");
    expect(await outcome(billing.grpc("Decrypt", { CiphertextBlob: blob, EncryptionContext: '{"app":"billing"}' }))).toBe(OK);
    // Without the context the grant does not apply: denied, before any decryption is tried.
    expect(await onBoth(billing, "Decrypt", { CiphertextBlob: blob })).toEqual(both(DENIED));
    const hrBlob = await encryptAsRoot(keyId, "salaries", '{"app":"hr"}');
    expect(await onBoth(billing, "Decrypt", { CiphertextBlob: hrBlob, EncryptionContext: '{"app":"hr"}' })).toEqual(both(DENIED));
    // The condition names the request's context, and decryption still checks it against the blob's.
    expect(await onBoth(billing, "Decrypt", { CiphertextBlob: hrBlob, EncryptionContext: '{"app":"billing"}' })).toEqual(both("FailedOperation.DecryptError"));

    const notHr = await newCaller("ctx-not-hr", allow(["kms:Encrypt"], [keyResource(keyId)], { string_not_equal: { "kms:encryption_context/app": ["hr"] } }));
    expect(await onBoth(notHr, "Encrypt", encrypt('{"app":"billing"}'))).toEqual(both(OK));
    expect(await onBoth(notHr, "Encrypt", encrypt())).toEqual(both(OK));
    expect(await onBoth(notHr, "Encrypt", encrypt('{"app":"hr"}'))).toEqual(both(DENIED));
  });

  it("on resource tags", async () => {
    const prod = await newKey({ Tags: [{ TagKey: "env", TagValue: "prod" }] });
    const prodTeam = await newKey({ Tags: [{ TagKey: "team", TagValue: "pay" }, { TagKey: "env", TagValue: "prod" }] });
    const dev = await newKey({ Tags: [{ TagKey: "env", TagValue: "dev" }] });
    const untagged = await newKey();
    const user = await newCaller("tag-prod", allow(["kms:DescribeKey", "kms:Encrypt"], ["*"], { string_equal: { "qcs:resource_tag": ["env&prod"] } }));
    expect(await onBoth(user, "DescribeKey", { KeyId: prod })).toEqual(both(OK));
    expect(await onBoth(user, "Encrypt", { KeyId: prodTeam, Plaintext: b64("x") })).toEqual(both(OK));
    expect(await onBoth(user, "DescribeKey", { KeyId: dev })).toEqual(both(DENIED));
    expect(await onBoth(user, "DescribeKey", { KeyId: untagged })).toEqual(both(DENIED));
  });

  it("on the source IP", async () => {
    const keyId = await newKey();
    const elsewhere = await newCaller("ip-elsewhere", allow(["kms:GenerateRandom", "kms:DescribeKey"], ["*"], { ip_equal: { "qcs:ip": ["10.0.0.0/8"] } }));
    const local = await newCaller("ip-local", allow(["kms:GenerateRandom", "kms:DescribeKey"], ["*"], { ip_equal: { "qcs:ip": ["127.0.0.1/32"] } }));
    const notLocal = await newCaller("ip-not-local", allow(["kms:GenerateRandom"], ["*"], { ip_not_equal: { "qcs:ip": ["127.0.0.0/8"] } }));
    expect(await onBoth(elsewhere, "GenerateRandom", { NumberOfBytes: 8 })).toEqual(both(DENIED));
    expect(await onBoth(elsewhere, "DescribeKey", { KeyId: keyId })).toEqual(both(DENIED));
    expect(await onBoth(local, "GenerateRandom", { NumberOfBytes: 8 })).toEqual(both(OK));
    expect(await onBoth(local, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));
    expect(await onBoth(notLocal, "GenerateRandom", { NumberOfBytes: 8 })).toEqual(both(DENIED));
  });
});

describe("a key that does not exist", () => {
  it("is denied like any key to those without a grant, and reported missing to those with one", async () => {
    const ghost = randomUUID();
    const ghostBlob = Buffer.from(await encryptAsRoot(await newKey(), "x"), "base64");
    Buffer.from(ghost.replace(/-/g, ""), "hex").copy(ghostBlob, 2); // a well-formed blob naming the missing key
    const ghostParams = { CiphertextBlob: ghostBlob.toString("base64") };
    const narrow = await newCaller("ghost-narrow", allow(["kms:DescribeKey", "kms:Decrypt"], [keyResource(await newKey())]));
    const wide = await newCaller("ghost-wide", allow(["kms:DescribeKey", "kms:Decrypt"], [`qcs::kms:${REGION}:uin/${ACCOUNT}:key/*`]));
    for (const user of [nobody, narrow]) {
      expect(await onBoth(user, "DescribeKey", { KeyId: ghost })).toEqual(both(DENIED));
      expect(await onBoth(user, "Decrypt", ghostParams)).toEqual(both(DENIED));
    }
    expect(await onBoth(wide, "DescribeKey", { KeyId: ghost })).toEqual(both("ResourceUnavailable.CmkNotFound"));
    expect(await onBoth(wide, "Decrypt", ghostParams)).toEqual(both("ResourceUnavailable.CmkNotFound"));
  });

  it("nor can a blob that names no key slip past a narrow grant", async () => {
    const garbage = { CiphertextBlob: Buffer.from("not a ciphertext blob at all").toString("base64") };
    const narrow = await newCaller("garbage-narrow", allow(["kms:Decrypt"], [keyResource(await newKey())]));
    const wide = await newCaller("garbage-wide", allow(["kms:Decrypt"], [`qcs::kms:${REGION}:uin/${ACCOUNT}:key/*`]));
    expect(await onBoth(narrow, "Decrypt", garbage)).toEqual(both(DENIED));
    expect(await onBoth(wide, "Decrypt", garbage)).toEqual(both("InvalidParameterValue.InvalidCiphertext"));
  });
});

describe("policy changes", () => {
  it("take effect on the next call", async () => {
    const keyId = await newKey();
    const user = await newCaller("changing");
    await grant(user.uin, "changing-policy", [allow(["kms:Encrypt", "kms:DescribeKey"], [keyResource(keyId)])]);
    const encrypt = { KeyId: keyId, Plaintext: b64("x") };
    expect(await onBoth(user, "DescribeKey", { KeyId: keyId })).toEqual(both(OK));

    await rootAdmin.client.updatePolicy({ name: "changing-policy", document: policyDocument([allow(["kms:Encrypt"], [keyResource(keyId)])]) });
    expect(await onBoth(user, "DescribeKey", { KeyId: keyId })).toEqual(both(DENIED));
    expect(await onBoth(user, "Encrypt", encrypt)).toEqual(both(OK));

    await rootAdmin.client.detachPolicy({ principalUin: user.uin, policyName: "changing-policy" });
    expect(await onBoth(user, "Encrypt", encrypt)).toEqual(both(DENIED));
    await rootAdmin.client.attachPolicy({ principalUin: user.uin, policyName: "changing-policy" });
    expect(await onBoth(user, "Encrypt", encrypt)).toEqual(both(OK));

    await rootAdmin.client.deletePrincipal({ uin: user.uin });
    expect(await outcome(user.grpc("Encrypt", encrypt))).toBe("AuthFailure.TokenFailure");
    expect(await outcome(user.api("Encrypt", encrypt))).toBe("AuthFailure.SecretIdNotFound");
    expect(await outcome(user.admin.listPrincipals({}))).toBe("AuthFailure.TokenFailure");
  });
});

/**
 * QueryAuditEvents has an optional KeyId filter. It is an account-level call
 * whether or not the filter is set: explicit deny, the resource and every
 * condition apply to it (a regression test: without a KeyId the gate once
 * checked only that some allow statement named the action).
 */
describe("QueryAuditEvents", () => {
  const auditors = async (tag: string) => [
    await newCaller(`audit-deny-${tag}`, allow(["kmsadmin:QueryAuditEvents"], ["*"]), deny(["kmsadmin:QueryAuditEvents"], ["*"])),
    await newCaller(`audit-ip-${tag}`, allow(["kmsadmin:QueryAuditEvents"], ["*"], { ip_equal: { "qcs:ip": ["10.0.0.0/8"] } })),
    await newCaller(`audit-foreign-${tag}`, allow(["kmsadmin:QueryAuditEvents"], ["qcs::kms:ap-guangzhou:uin/100000000002:*"])),
  ];

  it("filtered by a key: deny, conditions and resources hold", async () => {
    const keyId = await newKey();
    for (const user of await auditors("key")) expect(await outcome(user.admin.queryAuditEvents({ keyId })), user.name).toBe(DENIED);
  });

  // Found while writing this suite: without a KeyId the gate once checked nothing but the action name.
  it("unfiltered: deny, conditions and resources hold too", async () => {
    for (const user of await auditors("all")) expect(await outcome(user.admin.queryAuditEvents({})), user.name).toBe(DENIED);
  });
});
