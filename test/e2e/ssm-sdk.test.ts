/**
 * Secrets Manager through the real server and the official SDK's
 * ssm.v20190923.Client, unmodified: every SSM action (a test checks the set
 * called against the client's own method list), with the exact code of each
 * refusal; routing by X-TC-Version of the actions both products have; product
 * secrets on a private MariaDB (create, log in with every credential ever
 * returned, rotate on demand and by the job runner under a ManualClock, a
 * flow failed by a database that is down, DeleteMode 1); sub-users' policies
 * on ssm:* and secret resources; every call in the audit trail; and no secret
 * value in the server's log, the audit events or the store's files.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ssm } from "tencentcloud-sdk-nodejs/tencentcloud/services/ssm/index.js";
import type { AuditEvent as AuditEventMessage } from "../../gen/kms/v1/admin_pb.js";
import type { Logger } from "../../src/log.js";
import { formatApiTime } from "../../src/secrets/products/rotation.js";
import { adminClient, ssmClient, type AdminClient, type SsmClient } from "../helpers/clients.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { send, tc3Headers, tencentKms, tencentSsm, type TencentSsmClient } from "../helpers/tencent.js";

type Params = Record<string, unknown>;
type Answer = Record<string, unknown> & { RequestId: string };
type SsmAction = Exclude<keyof TencentSsmClient & string, "request" | "requestWithSign3" | "sdkVersion" | "apiVersion" | "endpoint" | "path" | "credential" | "region" | "profile">;

/** Every action of the official client: its prototype's own methods. */
const SDK_ACTIONS = Object.getOwnPropertyNames(ssm.v20190923.Client.prototype).filter((n) => n !== "constructor");

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

function capturingLogger(lines: string[]): Logger {
  const put = (level: string) => (msg: string, err?: unknown) => lines.push(`${level} ${msg}${err instanceof Error ? ` ${err.stack ?? err.message}` : ""}`);
  return { info: put("INFO"), warn: put("WARN"), error: put("ERROR") };
}

async function allEvents(admin: AdminClient): Promise<AuditEventMessage[]> {
  const out: AuditEventMessage[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await admin.queryAuditEvents({ afterSeq, limit: 1000 });
    out.push(...page.events);
    if (page.nextAfterSeq === 0n) return out;
    afterSeq = page.nextAfterSeq;
  }
}

const jsonOf = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

describe.skipIf(skipWithoutMariadb)(`Secrets Manager through the official SDK${skipWithoutMariadb ? ` (${MARIADB_SKIP_REASON})` : ""}`, () => {
  const lines: string[] = [];
  /** Every secret value the test handles: none may appear in logs, audit events or the store's files. */
  const secrets: string[] = [];
  /** Every SDK call made: action, RequestId and result, to find in the audit trail. */
  const calls: { action: string; requestId: string; result: string }[] = [];
  const called = new Set<string>();
  let ts: TestServer;
  let db: MariaDb;
  let sdk: TencentSsmClient;
  let admin: { client: AdminClient; close(): void };
  let grpc: { client: SsmClient; close(): void };
  const account = "100000000001";

  /** One SDK call by the action's own method, recorded for the coverage and audit checks. */
  async function call(client: TencentSsmClient, action: SsmAction, params: Params = {}): Promise<Answer> {
    called.add(action);
    const fn = (client as unknown as Record<string, (p: Params) => Promise<Answer>>)[action];
    if (typeof fn !== "function") throw new Error(`the SDK has no method ${action}`);
    try {
      const answer = await fn.call(client, params);
      calls.push({ action, requestId: answer.RequestId, result: "Success" });
      return answer;
    } catch (err) {
      const e = err as { code?: string; requestId?: string; message?: string };
      if (!e.code) throw err;
      calls.push({ action, requestId: e.requestId ?? "", result: e.code });
      throw err;
    }
  }
  const api = (action: SsmAction, params: Params = {}) => call(sdk, action, params);
  /** The exact code a refused call answers. */
  async function refused(action: SsmAction, params: Params, client: TencentSsmClient = sdk): Promise<string> {
    try {
      await call(client, action, params);
    } catch (err) {
      return (err as { code: string }).code;
    }
    throw new Error(`${action} was expected to be refused`);
  }
  const settle = () => ts.server.secrets.products.settled();
  const flowOf = async (flowId: unknown) => {
    await settle();
    return api("DescribeAsyncRequestInfo", { FlowID: flowId });
  };
  const value = async (name: string, versionId = "SSM_Current") => JSON.parse((await api("GetSecretValue", { SecretName: name, VersionId: versionId })).SecretString as string) as { UserName: string; Password: string };
  const loginAs = (c: { UserName: string; Password: string }) => tryAs(db, c.UserName, c.Password, "SELECT COUNT(*) FROM app.orders");
  const DENIED = "ER_ACCESS_DENIED_ERROR";

  beforeAll(async () => {
    db = await startMariaDb();
    await db.rootQuery("CREATE DATABASE app", "CREATE TABLE app.orders (id INT)", "INSERT INTO app.orders VALUES (1)");
    ts = await startTestServer({ log: capturingLogger(lines) });
    sdk = tencentSsm(ts.httpUrl, ts.secretId, ts.secretKey);
    admin = adminClient(ts);
    grpc = ssmClient(ts);
    secrets.push(db.adminPassword);
    // The operator registers the database (gRPC; the SDK has no such action).
    await grpc.client.registerDatabaseInstance({ instanceId: "cdb-app", productName: "Mysql", host: db.host, port: db.port, adminUser: db.adminUser, adminPassword: db.adminPassword });
  }, 90_000);
  afterAll(async () => {
    grpc?.close();
    admin?.close();
    await ts?.dispose();
    await db?.dispose();
  });

  it("routes the actions both products have by X-TC-Version, and says which version offers an action", async () => {
    const status = await api("GetServiceStatus");
    expect(status).toMatchObject({ ServiceEnabled: true, InvalidType: 1, SecretLimit: 1_000_000, AccessKeyEscrowEnabled: false });
    expect("CmkLimit" in status).toBe(false);
    const kmsStatus = (await tencentKms(ts.httpUrl, ts.secretId, ts.secretKey).GetServiceStatus()) as unknown as Answer;
    expect(kmsStatus).toMatchObject({ ServiceEnabled: true, CmkLimit: 1_000_000 });
    expect("SecretLimit" in kmsStatus).toBe(false);
    expect((await api("GetRegions")).Regions).toEqual(["ap-guangzhou"]);

    const host = ts.httpUrl.replace("http://", "");
    // Signed for the product the version belongs to, as an SDK of that product signs.
    const raw = (action: string, version: string, body = "{}", service = version === "2019-01-18" ? "kms" : "ssm") =>
      send(ts.httpUrl, tc3Headers({ action, version, body, host, secretId: ts.secretId, secretKey: ts.secretKey, service }), body).then((r) => r.body.Response);
    expect((await raw("CreateSecret", "2019-01-18", '{"SecretName":"x","SecretString":"y"}')).Error).toMatchObject({ Code: "NoSuchVersion", Message: expect.stringContaining("2019-09-23") });
    expect((await raw("Encrypt", "2019-09-23")).Error).toMatchObject({ Code: "NoSuchVersion", Message: expect.stringContaining("2019-01-18") });
    expect((await raw("GetServiceStatus", "2017-03-12")).Error).toMatchObject({ Code: "NoSuchVersion", Message: expect.stringContaining("2019-01-18 and 2019-09-23") });
    expect((await raw("StealSecrets", "2019-09-23")).Error?.Code).toBe("InvalidAction");
    const ssmStatus = await raw("GetServiceStatus", "2019-09-23");
    expect(ssmStatus.Error).toBeUndefined();
    expect(ssmStatus.SecretLimit).toBe(1_000_000);
    expect((await raw("GetServiceStatus", "2019-01-18")).CmkLimit).toBe(1_000_000);
    // A signature made for SSM does not call KMS, whatever the action's name.
    expect((await raw("GetServiceStatus", "2019-01-18", "{}", "ssm")).Error?.Code).toBe("AuthFailure.SignatureFailure");
    // Parameters the SDK requires, and ones the API does not have.
    expect((await raw("CreateSecret", "2019-09-23", '{"SecretString":"y"}')).Error?.Code).toBe("MissingParameter");
    expect((await raw("DescribeSecret", "2019-09-23", '{"SecretName":"a","Verbose":true}')).Error?.Code).toBe("UnknownParameter");
  });

  it("a user-defined secret's whole life, with the documented code for every refusal", async () => {
    const v1 = "sdk-hunter2-7a0b";
    const v2 = Buffer.from("sdk-binary-\u0001\u0002-c41e");
    secrets.push(v1, v2.toString("base64"), "sdk-replaced-value-55d2");
    const created = await api("CreateSecret", { SecretName: "app-db", VersionId: "v1", SecretString: v1, Description: "orders", Tags: [{ TagKey: "env", TagValue: "prod" }] });
    expect(created).toMatchObject({ SecretName: "app-db", VersionId: "v1", TagCode: 0, TagMsg: "Success" });
    expect(await refused("CreateSecret", { SecretName: "app-db", SecretString: "again" })).toBe("ResourceInUse.SecretExists");
    expect(await refused("CreateSecret", { SecretName: "-bad", SecretString: "x" })).toBe("InvalidParameterValue");
    expect(await refused("CreateSecret", { SecretName: "two-values", SecretString: "x", SecretBinary: "eA==" })).toBe("InvalidParameterValue");
    expect(await refused("CreateSecret", { SecretName: "big", SecretString: "x".repeat(32 * 1024 + 1) })).toBe("InvalidParameterValue");
    expect(await refused("CreateSecret", { SecretName: "dup-tags", SecretString: "x", Tags: [{ TagKey: "a", TagValue: "1" }, { TagKey: "a", TagValue: "2" }] })).toBe("InvalidParameterValue.TagKeysDuplicated");

    expect(await api("GetSecretValue", { SecretName: "app-db", VersionId: "v1" })).toMatchObject({ SecretName: "app-db", VersionId: "v1", SecretString: v1, SecretBinary: "" });
    expect(await refused("GetSecretValue", { SecretName: "app-db", VersionId: "v9" })).toBe("ResourceNotFound");
    expect(await refused("GetSecretValue", { SecretName: "nobody", VersionId: "v1" })).toBe("ResourceNotFound");
    await api("PutSecretValue", { SecretName: "app-db", VersionId: "v2", SecretBinary: v2.toString("base64") });
    expect(await refused("PutSecretValue", { SecretName: "app-db", VersionId: "v2", SecretString: "x" })).toBe("ResourceInUse.VersionIdExists");
    expect((await api("GetSecretValue", { SecretName: "app-db", VersionId: "v2" })).SecretBinary).toBe(v2.toString("base64"));
    await api("UpdateSecret", { SecretName: "app-db", VersionId: "v2", SecretString: "sdk-replaced-value-55d2" });
    expect((await api("GetSecretValue", { SecretName: "app-db", VersionId: "v2" })).SecretString).toBe("sdk-replaced-value-55d2");
    await api("UpdateDescription", { SecretName: "app-db", Description: "orders database" });
    for (let i = 3; i <= 10; i++) await api("PutSecretValue", { SecretName: "app-db", VersionId: `v${i}`, SecretString: `filler-${i}` });
    expect(await refused("PutSecretValue", { SecretName: "app-db", VersionId: "v11", SecretString: "x" })).toBe("LimitExceeded");
    await api("DeleteSecretVersion", { SecretName: "app-db", VersionId: "v10" });
    const versions = (await api("ListSecretVersionIds", { SecretName: "app-db" })).Versions as { VersionId: string }[];
    expect(versions.map((v) => v.VersionId)).toEqual(["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"]);

    const described = await api("DescribeSecret", { SecretName: "app-db" });
    expect(described).toMatchObject({ SecretName: "app-db", Description: "orders database", Status: "Enabled", SecretType: 0, KmsKeyId: expect.stringMatching(/^[0-9a-f-]{36}$/), CreateUinString: account, RotationStatus: false });
    const listed = await api("ListSecrets", { State: 1, SearchSecretName: "app", TagFilters: [{ TagKey: "env", TagValue: ["prod"] }] });
    expect(listed.TotalCount).toBe(1);
    expect((listed.SecretMetadatas as Answer[])[0]).toMatchObject({ SecretName: "app-db", Status: "Enabled", KmsKeyType: "DEFAULT" });

    await api("DisableSecret", { SecretName: "app-db" });
    expect(await refused("GetSecretValue", { SecretName: "app-db", VersionId: "v1" })).toBe("ResourceUnavailable.ResourceDisabled");
    await api("EnableSecret", { SecretName: "app-db" });
    expect(await refused("DeleteSecret", { SecretName: "app-db" })).toBe("FailedOperation");
    await api("DisableSecret", { SecretName: "app-db" });
    expect(await refused("DeleteSecret", { SecretName: "app-db", RecoveryWindowInDays: 31 })).toBe("InvalidParameterValue");
    const deleted = await api("DeleteSecret", { SecretName: "app-db", RecoveryWindowInDays: 7 });
    expect(deleted.DeleteTime).toBe(Math.floor((ts.clock.now() + 7 * DAY_MS) / 1000));
    expect(await refused("GetSecretValue", { SecretName: "app-db", VersionId: "v1" })).toBe("ResourceUnavailable.ResourcePendingDeleted");
    expect(await refused("EnableSecret", { SecretName: "app-db" })).toBe("FailedOperation");
    await api("RestoreSecret", { SecretName: "app-db" });
    expect((await api("DescribeSecret", { SecretName: "app-db" })).Status).toBe("Disabled");
    expect(await refused("RestoreSecret", { SecretName: "app-db" })).toBe("FailedOperation");
    await api("EnableSecret", { SecretName: "app-db" });
  });

  it("purges a deleted secret when its recovery window ends, by the job runner", async () => {
    await api("CreateSecret", { SecretName: "short-lived", SecretString: "short-lived-value-19" });
    secrets.push("short-lived-value-19");
    await api("DisableSecret", { SecretName: "short-lived" });
    await api("DeleteSecret", { SecretName: "short-lived", RecoveryWindowInDays: 1 });
    expect(await ts.server.scheduler.runOnce()).not.toContainEqual(expect.objectContaining({ kind: "secret-purge" }));
    ts.clock.advance(DAY_MS + 1000);
    expect(await ts.server.scheduler.runOnce()).toContainEqual({ kind: "secret-purge", subject: `${account}/ap-guangzhou/short-lived` });
    expect(await refused("DescribeSecret", { SecretName: "short-lived" })).toBe("ResourceNotFound");
  });

  it("an SSH key pair secret: created, read with GetSSHKeyPairValue, refused by GetSecretValue", async () => {
    const created = await api("CreateSSHKeyPairSecret", { SecretName: "deploy-key", ProjectId: 0, SSHKeyName: "deploy" });
    expect(created).toMatchObject({ SecretName: "deploy-key", SSHKeyName: "deploy", SSHKeyID: expect.stringMatching(/^skey-[a-z0-9]{8}$/) });
    const pair = await api("GetSSHKeyPairValue", { SSHKeyId: created.SSHKeyID });
    const publicKey = Buffer.from(pair.PublicKey as string, "base64").toString();
    const privateKey = Buffer.from(pair.PrivateKey as string, "base64").toString();
    secrets.push(privateKey.split("\n")[2] ?? privateKey);
    expect(publicKey).toMatch(/^ssh-ed25519 AAAA\S+ deploy$/);
    expect(privateKey).toContain("BEGIN OPENSSH PRIVATE KEY");
    expect(await refused("GetSecretValue", { SecretName: "deploy-key", VersionId: "SSM_Current" })).toBe("InvalidParameterValue");
    expect(await refused("GetSSHKeyPairValue", { SecretName: "deploy-key", SSHKeyId: "skey-00000000" })).toBe("ResourceNotFound");
    expect(await refused("GetSSHKeyPairValue", { SecretName: "app-db", SSHKeyId: created.SSHKeyID })).toBe("InvalidParameterValue");
  });

  it("refuses the rotation actions for secrets that do not rotate", async () => {
    expect(await refused("RotateProductSecret", { SecretName: "app-db" })).toBe("FailedOperation.RotationForbidden");
    expect(await refused("UpdateRotationStatus", { SecretName: "deploy-key", EnableRotation: true })).toBe("FailedOperation.RotationForbidden");
    expect(await refused("DescribeRotationDetail", { SecretName: "app-db" })).toBe("InvalidParameterValue");
    expect(await refused("DescribeRotationHistory", { SecretName: "app-db" })).toBe("InvalidParameterValue");
    expect(await refused("DescribeAsyncRequestInfo", { FlowID: 999_999 })).toBe("ResourceNotFound");
    expect(await refused("DescribeAsyncRequestInfo", { FlowID: 0 })).toBe("InvalidParameterValue");
  });

  describe("product secrets on MariaDB", () => {
    const privileges = [{ PrivilegeName: "DatabasePrivileges", Privileges: ["SELECT"], Database: "app" }];
    /** Every credential the secret ever returned, oldest first. */
    const seen: { UserName: string; Password: string }[] = [];
    const remember = (c: { UserName: string; Password: string }) => {
      if (!seen.some((s) => s.Password === c.Password)) seen.push(c);
      secrets.push(c.Password);
    };
    /** The current and the previous credentials log in; every older one does not. */
    async function expectOnlyLatestTwoWork(): Promise<void> {
      const outcomes = await Promise.all(seen.map(loginAs));
      expect(outcomes.slice(-2)).toEqual(seen.length > 1 ? ["ok", "ok"] : ["ok"]);
      for (const o of outcomes.slice(0, -2)) expect(o).toBe(DENIED);
    }

    it("lists the supported products", async () => {
      expect(await api("DescribeSupportedProducts")).toMatchObject({ Products: ["Mysql"], TotalCount: 1 });
    });

    it("creates the account pair in the background, and the first credentials log in", async () => {
      const created = await api("CreateProductSecret", {
        SecretName: "orders-db",
        UserNamePrefix: "orders",
        ProductName: "Mysql",
        InstanceID: "cdb-app",
        Domains: ["127.0.0.1"],
        PrivilegesList: privileges,
        Description: "orders app",
        Tags: [{ TagKey: "env", TagValue: "prod" }],
      });
      expect(created).toMatchObject({ SecretName: "orders-db", TagCode: 0, TagMsg: "Success", FlowID: expect.any(Number) });
      expect(await flowOf(created.FlowID)).toMatchObject({ TaskStatus: 1, Description: expect.stringContaining("created") });
      const described = await api("DescribeSecret", { SecretName: "orders-db" });
      expect(described).toMatchObject({ Status: "Enabled", SecretType: 1, ProductName: "Mysql", ResourceID: "cdb-app", RotationStatus: false, RotationFrequency: 1 });
      const accounts = described.AccountInfoList as { AccountName: string; Host: string[]; Version: string }[];
      expect(accounts).toHaveLength(2);
      for (const a of accounts) expect(a).toMatchObject({ AccountName: expect.stringMatching(/^ordersSSM\d{3}$/), Host: ["127.0.0.1"] });
      const first = await value("orders-db");
      remember(first);
      expect(accounts.find((a) => a.Version === "生效中")?.AccountName).toBe(first.UserName);
      expect(await loginAs(first)).toBe("ok");
      expect((await api("ListSecrets", { SecretType: 1, ProductName: "Mysql" })).TotalCount).toBe(1);
    });

    it("refuses bad product requests and writes by hand, with the documented codes", async () => {
      const base = { SecretName: "p2", UserNamePrefix: "pp", ProductName: "Mysql", InstanceID: "cdb-app", Domains: ["127.0.0.1"], PrivilegesList: privileges };
      expect(await refused("CreateProductSecret", { ...base, SecretName: "orders-db" })).toBe("ResourceInUse.SecretExists");
      expect(await refused("CreateProductSecret", { ...base, InstanceID: "cdb-none" })).toBe("ResourceNotFound");
      expect(await refused("CreateProductSecret", { ...base, ProductName: "Oracle" })).toBe("InvalidParameterValue");
      expect(await refused("CreateProductSecret", { ...base, UserNamePrefix: "9starts-with-digit" })).toBe("InvalidParameterValue");
      expect(await refused("CreateProductSecret", { ...base, Domains: ["evil.example.com"] })).toBe("InvalidParameterValue");
      expect(await refused("CreateProductSecret", { ...base, PrivilegesList: [{ PrivilegeName: "GlobalPrivileges", Privileges: ["SUPER"] }] })).toBe("InvalidParameterValue");
      expect(await refused("CreateProductSecret", { ...base, PrivilegesList: [{ PrivilegeName: "DatabasePrivileges", Privileges: ["SELECT"] }] })).toBe("MissingParameter");
      expect(await refused("CreateProductSecret", { ...base, EnableRotation: true })).toBe("MissingParameter");
      expect(await refused("CreateProductSecret", { ...base, AccountType: "L3" })).toBe("InvalidParameterValue");
      expect(await refused("PutSecretValue", { SecretName: "orders-db", VersionId: "mine", SecretString: "x" })).toBe("OperationDenied.AutoRotatedResource");
      expect(await refused("UpdateSecret", { SecretName: "orders-db", VersionId: "SSM_Current", SecretString: "x" })).toBe("OperationDenied.AutoRotatedResource");
      expect(await refused("DeleteSecretVersion", { SecretName: "orders-db", VersionId: "SSM_Current" })).toBe("FailedOperation");
      expect(await refused("UpdateRotationStatus", { SecretName: "orders-db", EnableRotation: true, Frequency: 29 })).toBe("InvalidParameterValue");
      expect(await refused("UpdateRotationStatus", { SecretName: "orders-db", EnableRotation: true, Frequency: 366 })).toBe("InvalidParameterValue");
      expect(await refused("UpdateRotationStatus", { SecretName: "orders-db", EnableRotation: true, RotationBeginTime: "tomorrow" })).toBe("InvalidParameterValue");
    });

    it("rotates on demand: the standby account becomes current, the previous credentials keep working, older ones stop", async () => {
      for (let round = 0; round < 3; round++) {
        const { FlowID } = await api("RotateProductSecret", { SecretName: "orders-db" });
        expect(await flowOf(FlowID)).toMatchObject({ TaskStatus: 1, Description: expect.stringContaining("rotated") });
        const now = await value("orders-db");
        expect(now.UserName).not.toBe(seen.at(-1)?.UserName);
        remember(now);
        await expectOnlyLatestTwoWork();
      }
      const history = await api("DescribeRotationHistory", { SecretName: "orders-db" });
      const ids = history.VersionIDs as string[];
      expect(history.TotalCount).toBe(4);
      // Every committed version is readable, newest first, and the newest is SSM_Current.
      const values = await Promise.all(ids.map((id) => value("orders-db", id)));
      expect(values.map((v) => v.Password)).toEqual([...seen].reverse().map((s) => s.Password));
      const accounts = history.AccountInfoList as { AccountName: string; Version: string; RotatedTime: string }[];
      expect(accounts.find((a) => a.Version === "生效中")?.AccountName).toBe(seen.at(-1)?.UserName);
      expect(accounts.find((a) => a.Version === "待轮转")?.AccountName).toBe(seen.at(-2)?.UserName);
      expect((await api("DescribeRotationDetail", { SecretName: "orders-db" })).LatestRotateTime).toBe(formatApiTime(ts.clock.now()));
    });

    it("rotates by schedule from RotationBeginTime, every Frequency days, through the job runner", async () => {
      const begin = ts.clock.now() + HOUR_MS;
      await api("UpdateRotationStatus", { SecretName: "orders-db", EnableRotation: true, Frequency: 30, RotationBeginTime: formatApiTime(begin) });
      expect(await api("DescribeRotationDetail", { SecretName: "orders-db" })).toMatchObject({ EnableRotation: true, Frequency: 30, NextRotateBeginTime: formatApiTime(begin) });
      expect((await api("DescribeSecret", { SecretName: "orders-db" })).RotationStatus).toBe(true);
      expect(await ts.server.scheduler.runOnce()).not.toContainEqual(expect.objectContaining({ kind: "product-rotation" }));
      ts.clock.advance(2 * HOUR_MS);
      const done = await ts.server.scheduler.runOnce();
      expect(done).toContainEqual({ kind: "product-rotation", subject: expect.stringContaining(`${account}/ap-guangzhou/orders-db flow `) });
      await settle();
      const now = await value("orders-db");
      remember(now);
      await expectOnlyLatestTwoWork();
      const detail = await api("DescribeRotationDetail", { SecretName: "orders-db" });
      expect(detail).toMatchObject({ LatestRotateTime: formatApiTime(ts.clock.now()), NextRotateBeginTime: formatApiTime(ts.clock.now() + 30 * DAY_MS) });
      const listed = (await api("ListSecrets", { SecretType: 1 })).SecretMetadatas as Answer[];
      expect(listed[0]).toMatchObject({ SecretName: "orders-db", RotationStatus: 1, RotationFrequency: 30, NextRotationTime: Math.floor((ts.clock.now() + 30 * DAY_MS) / 1000) });
      // Off again: the scheduler leaves it alone however late it gets.
      await api("UpdateRotationStatus", { SecretName: "orders-db", EnableRotation: false });
      ts.clock.advance(40 * DAY_MS);
      expect(await ts.server.scheduler.runOnce()).not.toContainEqual(expect.objectContaining({ kind: "product-rotation" }));
    });

    it("a database that is down fails the flow (DescribeAsyncRequestInfo says why) and the current credentials keep working", async () => {
      const before = await value("orders-db");
      await db.stop();
      try {
        const { FlowID } = await api("RotateProductSecret", { SecretName: "orders-db" });
        const info = await flowOf(FlowID);
        expect(info.TaskStatus).toBe(2);
        expect(info.Description).toMatch(/unreachable/);
        expect(info.Description).not.toContain(before.Password);
      } finally {
        await db.start();
      }
      expect(await value("orders-db")).toEqual(before);
      await expectOnlyLatestTwoWork();
      // A create against a database that is down: the secret turns Failed, with the code SSM documents for it.
      await db.stop();
      let flowId: unknown;
      try {
        flowId = (await api("CreateProductSecret", { SecretName: "never-made", UserNamePrefix: "nm", ProductName: "Mysql", InstanceID: "cdb-app", Domains: ["%"], PrivilegesList: privileges })).FlowID;
        expect((await flowOf(flowId)).TaskStatus).toBe(2);
      } finally {
        await db.start();
      }
      expect((await api("DescribeSecret", { SecretName: "never-made" })).Status).toBe("Failed");
      expect(await refused("GetSecretValue", { SecretName: "never-made", VersionId: "SSM_Current" })).toBe("ResourceUnavailable.ResourceUninitialized");
      expect(await refused("EnableSecret", { SecretName: "never-made" })).toBe("ResourceUnavailable.ResourceUninitialized");
      expect(await refused("RotateProductSecret", { SecretName: "never-made" })).toBe("ResourceUnavailable.ResourceUninitialized");
      await api("DeleteSecret", { SecretName: "never-made" });
      expect(await refused("DescribeAsyncRequestInfo", { FlowID: flowId })).toBe("ResourceNotFound");
    });

    it("a disabled product secret neither serves nor rotates; DeleteSecret with DeleteMode 1 drops both accounts", async () => {
      await api("DisableSecret", { SecretName: "orders-db" });
      expect(await refused("RotateProductSecret", { SecretName: "orders-db" })).toBe("ResourceUnavailable.ResourceDisabled");
      expect(await refused("GetSecretValue", { SecretName: "orders-db", VersionId: "SSM_Current" })).toBe("ResourceUnavailable.ResourceDisabled");
      await api("CreateSecret", { SecretName: "plain", SecretString: "plain-value-1d9e" });
      secrets.push("plain-value-1d9e");
      await api("DisableSecret", { SecretName: "plain" });
      expect(await refused("DeleteSecret", { SecretName: "plain", DeleteMode: 1 })).toBe("InvalidParameterValue");
      // A flow running on the secret holds its deletion back: the database holds the flow (a global read lock) meanwhile.
      await api("EnableSecret", { SecretName: "orders-db" });
      const lock = await db.root();
      await lock.query("FLUSH TABLES WITH READ LOCK");
      let FlowID: unknown;
      try {
        FlowID = (await api("RotateProductSecret", { SecretName: "orders-db" })).FlowID;
        await api("DisableSecret", { SecretName: "orders-db" });
        expect(await api("DescribeAsyncRequestInfo", { FlowID })).toMatchObject({ TaskStatus: 0 });
        expect(await refused("DeleteSecret", { SecretName: "orders-db", DeleteMode: 1 })).toBe("FailedOperation");
      } finally {
        await lock.query("UNLOCK TABLES");
        await lock.end();
      }
      expect((await flowOf(FlowID)).TaskStatus).toBe(1);
      remember(await api("EnableSecret", { SecretName: "orders-db" }).then(() => value("orders-db")));
      await api("DisableSecret", { SecretName: "orders-db" });
      const users = [...new Set(seen.slice(-2).map((s) => s.UserName))];
      await api("DeleteSecret", { SecretName: "orders-db", DeleteMode: 1 });
      const rows = (await db.rootQuery(`SELECT User FROM mysql.user WHERE User LIKE 'ordersSSM%'`))[0] as { User: string }[];
      expect(rows).toEqual([]);
      for (const c of seen) expect(await loginAs(c)).toBe(DENIED);
      expect(users).toHaveLength(2);
      expect(await refused("DescribeRotationDetail", { SecretName: "orders-db" })).toBe("ResourceNotFound");
    });
  });

  it("a sub-user's policies on ssm:* and secret resources allow and deny as written", async () => {
    await api("CreateSecret", { SecretName: "app-dev", SecretString: "dev-value-0c3e", Tags: [{ TagKey: "env", TagValue: "dev" }] });
    await api("CreateSecret", { SecretName: "other", SecretString: "other-value-97ad" });
    secrets.push("dev-value-0c3e", "other-value-97ad");
    const newUser = async (name: string, statements: object[]) => {
      const uin = (await admin.client.createPrincipal({ name })).principal!.uin;
      await admin.client.createPolicy({ name: `${name}-p`, document: JSON.stringify({ version: "2.0", statement: statements }) });
      await admin.client.attachPolicy({ principalUin: uin, policyName: `${name}-p` });
      const ak = await admin.client.createAccessKey({ principalUin: uin });
      secrets.push(ak.secretKey);
      return tencentSsm(ts.httpUrl, ak.accessKey!.secretId, ak.secretKey);
    };
    // Reads of prod-tagged app-* secrets; an explicit deny of deletes.
    const reader = await newUser("ssm-reader", [
      { effect: "allow", action: ["ssm:GetSecretValue", "ssm:DescribeSecret"], resource: [`qcs::ssm::uin/${account}:secret/creatorUin/*/app-*`], condition: { string_equal: { "qcs:resource_tag": ["env&prod"] } } },
      { effect: "deny", action: ["ssm:DeleteSecret"], resource: ["*"] },
    ]);
    expect((await call(reader, "GetSecretValue", { SecretName: "app-db", VersionId: "v1" })).SecretString).toBe("sdk-hunter2-7a0b");
    expect((await call(reader, "DescribeSecret", { SecretName: "app-db" })).Status).toBe("Enabled");
    expect(await refused("GetSecretValue", { SecretName: "app-dev", VersionId: "SSM_Current" }, reader)).toBe("UnauthorizedOperation");
    expect(await refused("GetSecretValue", { SecretName: "other", VersionId: "SSM_Current" }, reader)).toBe("UnauthorizedOperation");
    expect(await refused("GetSecretValue", { SecretName: "app-missing", VersionId: "v1" }, reader)).toBe("UnauthorizedOperation");
    expect(await refused("PutSecretValue", { SecretName: "app-db", VersionId: "v99", SecretString: "x" }, reader)).toBe("UnauthorizedOperation");
    expect(await refused("ListSecrets", {}, reader)).toBe("UnauthorizedOperation");
    expect(await refused("DeleteSecret", { SecretName: "app-db" }, reader)).toBe("UnauthorizedOperation");
    // ssm:* on everything but a deny on one secret.
    const operator = await newUser("ssm-operator", [
      { effect: "allow", action: ["ssm:*"], resource: ["*"] },
      { effect: "deny", action: ["ssm:*"], resource: [`qcs::ssm::uin/${account}:secret/creatorUin/*/other`] },
    ]);
    expect((await call(operator, "ListSecrets", {})).TotalCount).toBeGreaterThanOrEqual(3);
    expect((await call(operator, "CreateSecret", { SecretName: "op-made", SecretString: "op-value-4d1f" })).SecretName).toBe("op-made");
    secrets.push("op-value-4d1f");
    expect(await refused("GetSecretValue", { SecretName: "other", VersionId: "SSM_Current" }, operator)).toBe("UnauthorizedOperation");
    // A secret a sub-user creates names it as creator.
    const creator = (await call(operator, "DescribeSecret", { SecretName: "op-made" })).CreateUinString;
    expect(creator).not.toBe(account);
    // Neither may touch KMS: ssm:* is not kms:*.
    expect(await refused("GetServiceStatus", {}, reader)).toBe("UnauthorizedOperation");
  });

  it("audits every call, allowed or refused, with its action and result", async () => {
    const byId = new Map<string, AuditEventMessage>();
    for (let attempt = 0; attempt < 50; attempt++) {
      for (const e of await allEvents(admin.client)) byId.set(e.requestId, e);
      if (calls.every((c) => byId.has(c.requestId))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(calls.length).toBeGreaterThan(100);
    for (const c of calls) {
      const e = byId.get(c.requestId);
      expect(e, `${c.action} ${c.requestId}`).toBeDefined();
      expect({ action: e?.action, result: e?.result }).toEqual({ action: `ssm:${c.action}`, result: c.result });
    }
    const created = [...byId.values()].find((e) => e.action === "ssm:CreateProductSecret" && e.result === "Success");
    expect(created?.keyIds).toContain("secret/orders-db");
  });

  it("no secret value appears in the server's log, the audit events or the store's files", async () => {
    const events = jsonOf(await allEvents(admin.client));
    const log = lines.join("\n");
    const files: Buffer[] = [];
    const dir = join(ts.dataDir, "db");
    for (const name of await readdir(dir)) files.push(await readFile(join(dir, name)).catch(() => Buffer.alloc(0)));
    const store = Buffer.concat(files);
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) {
      expect(events.includes(s), `audit events hold ${s.slice(0, 6)}…`).toBe(false);
      expect(log.includes(s), `the log holds ${s.slice(0, 6)}…`).toBe(false);
      expect(store.includes(Buffer.from(s)), `the store holds ${s.slice(0, 6)}…`).toBe(false);
    }
  });

  it("called every action of the official client", () => {
    expect([...called].sort()).toEqual([...SDK_ACTIONS].sort());
    expect(SDK_ACTIONS).toHaveLength(24);
  });
});
