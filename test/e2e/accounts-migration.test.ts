/**
 * A data directory written before accounts existed (made by that code: see
 * test/fixtures/pre-accounts/make-store.ts) opened by this one. At the first
 * start its directory records move into the default account in one batch
 * (MACs re-made for their new store keys), its alias index moves under the
 * legacy scope, and the scope is pinned; everything it held keeps working
 * for the same credentials, and nothing of it is visible to another account
 * or region. A second start changes nothing, and reordering KMS_REGIONS does
 * not move the old keys.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { bearer, codeOf } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms } from "../helpers/tencent.js";

interface Fixture {
  madeBy: string;
  rootKey: string;
  rootToken: string;
  rootSecretId: string;
  rootSecretKey: string;
  keyId: string;
  signerKeyId: string;
  plaintext: string;
  ciphertextBlob: string;
  subUin: string;
  subToken: string;
  subSecretId: string;
  subSecretKey: string;
  records: [string, string][];
}

const fixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/pre-accounts/store.json"), "utf8")) as Fixture;
const ACCOUNT = "100000000001";
const REGION = "ap-guangzhou";
const OTHER_REGION = "ap-shanghai";

function region(name: string): Interceptor {
  return (next) => (req) => {
    req.header.set("kms-region", name);
    return next(req);
  };
}

function clients(ts: TestServer, token: string, regionName?: string) {
  const sessions = new Http2SessionManager(ts.grpcUrl);
  const transport = createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(token), ...(regionName ? [region(regionName)] : [])] });
  return { kms: createClient(KeyManagementService, transport), admin: createClient(AdminService, transport), operator: createClient(OperatorService, transport), close: () => sessions.abort() };
}

async function dump(dataDir: string): Promise<Map<string, Buffer>> {
  const store = await openLevelStore(join(dataDir, "db"), { sync: true });
  const out = new Map<string, Buffer>();
  for await (const [k, v] of store.scan({ prefix: "" })) out.set(k, Buffer.from(v));
  await store.close();
  return out;
}

const DIRECTORY_SPACES = ["v1/principals/", "v1/policies/", "v1/access-keys/", "v1/tokens/"];

let dataDir: string;
let ts: TestServer | undefined;
const env = { KMS_ROOT_TOKEN: fixture.rootToken, KMS_ROOT_SECRET_ID: fixture.rootSecretId, KMS_ROOT_SECRET_KEY: fixture.rootSecretKey, KMS_REGIONS: `${REGION},${OTHER_REGION}` };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "kms-pre-accounts-"));
  const store = await openLevelStore(join(dataDir, "db"), { sync: true });
  await store.batch(fixture.records.map(([k, v]) => ({ type: "put" as const, key: k, value: Buffer.from(v, "base64") })));
  await store.close();
});

afterAll(async () => {
  await ts?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("a data directory from before accounts", () => {
  it("was written in the old layout (the fixture is what it claims)", () => {
    const keys = fixture.records.map(([k]) => k);
    expect(fixture.madeBy).toBe("40e5c3c");
    expect(keys).toContain(`v1/principals/${fixture.subUin}`);
    expect(keys).toContain("v1/aliases/legacy-orders");
    expect(keys).toContain("v1/policies/legacy-crypto");
    expect(keys.some((k) => k.startsWith("v1/accounts/"))).toBe(false);
    const key = JSON.parse(Buffer.from(fixture.records.find(([k]) => k === `v1/keys/${fixture.keyId}`)![1], "base64").toString()) as Record<string, unknown>;
    expect(key.account).toBeUndefined();
  });

  it("opens with the same credentials, and everything it held works as before", async () => {
    ts = await startTestServer({ dataDir, rootKey: fixture.rootKey, env });
    const root = clients(ts, fixture.rootToken);
    // The sub-user's token and policy, and the old ciphertext.
    const sub = clients(ts, fixture.subToken);
    const opened = await sub.kms.decrypt({ ciphertextBlob: Buffer.from(fixture.ciphertextBlob, "base64") });
    expect(Buffer.from(opened.plaintext).toString()).toBe(fixture.plaintext);
    expect(await codeOf(sub.kms.listKeys({}))).toBe("UnauthorizedOperation");
    // Its access key through the official SDK.
    const sdk = tencentKms(ts.httpUrl, fixture.subSecretId, fixture.subSecretKey, { region: REGION });
    expect((await sdk.DescribeKey({ KeyId: fixture.keyId })).KeyMetadata?.Alias).toBe("legacy-orders");
    expect(await sdkCode(sdk.ListKeys({}))).toBe("UnauthorizedOperation");
    // The keys are the default account's, in the first region.
    const described = await root.kms.describeKey({ keyId: fixture.keyId });
    expect(described.keyMetadata?.accountUin).toBe(BigInt(ACCOUNT));
    expect(described.keyMetadata?.accountName).toBe("default");
    const listed = await root.kms.listKeyDetail({ allKeyUsages: true });
    expect(listed.keyMetadatas.map((k) => k.keyId).sort()).toEqual([fixture.keyId, fixture.signerKeyId].sort());
    // The alias index moved with them: still taken in this scope.
    expect(await codeOf(root.kms.createKey({ alias: "legacy-orders" }))).toBe("InvalidParameterValue.AliasAlreadyExists");
    // The directory: the root and the sub-user in the default account.
    const principals = (await root.admin.listPrincipals({})).principals;
    expect(principals.map((p) => [p.name, p.accountUin])).toEqual([
      ["root", BigInt(ACCOUNT)],
      ["legacy-app", BigInt(ACCOUNT)],
    ]);
    expect((await root.admin.listPolicies({})).policies.map((p) => [p.name, p.attachmentCount])).toEqual([["legacy-crypto", 1]]);
    expect((await root.operator.listAccounts({})).accounts.map((a) => [a.uin, a.default])).toEqual([[BigInt(ACCOUNT), true]]);
    // The old audit trail verifies and is the default account's.
    expect((await root.admin.verifyAuditLog({})).ok).toBe(true);
    const old = (await root.admin.queryAuditEvents({ action: "kmsadmin:CreatePrincipal" })).events;
    expect(old).toHaveLength(1);
    expect(old[0]!.accountUin).toBe(BigInt(ACCOUNT));
    sub.close();
    root.close();
  });

  it("shows nothing of it in another region or to another account, where its alias is free", async () => {
    const root = clients(ts!, fixture.rootToken);
    const shanghai = clients(ts!, fixture.rootToken, OTHER_REGION);
    expect(await codeOf(shanghai.kms.describeKey({ keyId: fixture.keyId }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await codeOf(shanghai.kms.decrypt({ ciphertextBlob: Buffer.from(fixture.ciphertextBlob, "base64") }))).toBe("ResourceUnavailable.CmkNotFound");
    expect((await shanghai.kms.listKeys({})).totalCount).toBe(0);
    expect((await shanghai.kms.createKey({ alias: "legacy-orders" })).keyId).not.toBe(fixture.keyId);
    const created = await root.operator.createAccount({ name: "tenant-b" });
    const b = clients(ts!, created.rootToken);
    expect(await codeOf(b.kms.describeKey({ keyId: fixture.keyId }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await codeOf(b.kms.decrypt({ ciphertextBlob: Buffer.from(fixture.ciphertextBlob, "base64") }))).toBe("ResourceUnavailable.CmkNotFound");
    expect((await b.kms.createKey({ alias: "legacy-orders" })).keyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await codeOf(b.admin.deletePrincipal({ uin: BigInt(fixture.subUin) }))).toBe("ResourceNotFound");
    expect((await b.admin.listPrincipals({})).principals.map((p) => p.name)).toEqual(["root"]);
    for (const c of [root, shanghai, b]) c.close();
    await ts!.stop();
    ts = undefined;
  });

  it("was moved in the store: new keys with MACs for them, the old ones gone, the legacy scope pinned", async () => {
    const after = await dump(dataDir);
    const keys = [...after.keys()];
    for (const space of DIRECTORY_SPACES) {
      const inSpace = keys.filter((k) => k.startsWith(space));
      expect(inSpace.length, space).toBeGreaterThan(0);
      // Every record is now v1/<space>/<account>/<id>: none is left at v1/<space>/<id>.
      for (const k of inSpace) expect(k.slice(space.length).split("/"), k).toHaveLength(2);
      for (const k of inSpace) expect(JSON.parse(after.get(k)!.toString()).mac, k).toEqual(expect.any(String));
    }
    expect(keys).toContain(keyspace.principal(ACCOUNT, fixture.subUin));
    expect(keys).toContain(keyspace.policy(ACCOUNT, "legacy-crypto"));
    expect(keys).toContain(keyspace.account(ACCOUNT));
    expect(after.get(keyspace.alias(ACCOUNT, REGION, "legacy-orders"))?.toString()).toBe(fixture.keyId);
    expect(keys).not.toContain("v1/aliases/legacy-orders");
    expect(JSON.parse(after.get(keyspace.meta("legacy-key-scope"))!.toString())).toEqual({ account: ACCOUNT, region: REGION });
    // Key records themselves are not rewritten: they take the pinned scope when read.
    expect(JSON.parse(after.get(keyspace.key(fixture.keyId))!.toString()).account).toBeUndefined();
  });

  it("changes nothing at a second start, and keeps its keys in their region when KMS_REGIONS is reordered", async () => {
    const before = await dump(dataDir);
    ts = await startTestServer({ dataDir, rootKey: fixture.rootKey, env: { ...env, KMS_REGIONS: `${OTHER_REGION},${REGION}` } });
    await ts.stop();
    const after = await dump(dataDir);
    const directoryOf = (m: Map<string, Buffer>) => [...m.entries()].filter(([k]) => DIRECTORY_SPACES.some((s) => k.startsWith(s)) || k.startsWith("v1/aliases/") || k.startsWith("v1/accounts/"));
    expect(directoryOf(after)).toEqual(directoryOf(before));

    ts = await startTestServer({ dataDir, rootKey: fixture.rootKey, env: { ...env, KMS_REGIONS: `${OTHER_REGION},${REGION}` } });
    const byDefault = clients(ts, fixture.rootToken);
    const guangzhou = clients(ts, fixture.rootToken, REGION);
    // The default region is now ap-shanghai: the old keys stay in ap-guangzhou.
    expect(await codeOf(byDefault.kms.describeKey({ keyId: fixture.keyId }))).toBe("ResourceUnavailable.CmkNotFound");
    expect((await guangzhou.kms.describeKey({ keyId: fixture.keyId })).keyMetadata?.alias).toBe("legacy-orders");
    byDefault.close();
    guangzhou.close();
  });
});

