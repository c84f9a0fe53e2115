/**
 * The Secrets Manager service over gRPC with @grpc/grpc-js and
 * @grpc/proto-loader reading proto/ directly (a client that shares no code
 * with the server): a secret's versions with their own states and validity
 * windows (the server's ManualClock moves them in and out), SSH key pairs,
 * export and import, database instances and a product secret, with the gRPC
 * status and the API code (kms-error-code trailer) of every refusal.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpcJsClient, grpcJsError, type GrpcJsClient } from "../helpers/clients.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const HOUR_MS = 3_600_000;

let ts: TestServer;
let ssm: GrpcJsClient;
let kms: GrpcJsClient;

beforeAll(async () => {
  ts = await startTestServer();
  ssm = grpcJsClient(ts.server.grpc.port, ts.token, "SecretsManagerService");
  kms = grpcJsClient(ts.server.grpc.port, ts.token);
});
afterAll(async () => {
  ssm.close();
  kms.close();
  await ts.dispose();
});

/** Unix seconds of the server's clock, as int64 travels with proto-loader (longs: String). */
const secondsFromNow = (ms: number) => String(Math.floor((ts.clock.now() + ms) / 1000));
const read = (versionId: string) => ssm.call("GetSecretValue", { secret_name: "svc-token", version_id: versionId });

describe("a secret's versions over gRPC", () => {
  it("creates, adds versions (text and binary) and reads each back", async () => {
    expect(await ssm.call("CreateSecret", { secret_name: "svc-token", version_id: "v1", secret_string: "grpc-first-8b21", tags: [{ tag_key: "team", tag_value: "core" }] })).toMatchObject({
      secret_name: "svc-token",
      version_id: "v1",
      tag_msg: "Success",
    });
    await ssm.call("PutSecretValue", { secret_name: "svc-token", version_id: "v2", secret_binary: Buffer.from([0, 1, 2, 250]) });
    expect(await read("v1")).toMatchObject({ secret_string: "grpc-first-8b21" });
    expect(((await read("v2")).secret_binary as Buffer).equals(Buffer.from([0, 1, 2, 250]))).toBe(true);
    const described = await ssm.call("DescribeSecret", { secret_name: "svc-token" });
    expect(described).toMatchObject({ status: "SECRET_STATUS_ENABLED", kms_key_type: "KMS_KEY_TYPE_DEFAULT", tags: [{ tag_key: "team", tag_value: "core" }] });
  });

  it("disables and enables one version; a disabled version is not served", async () => {
    expect(await ssm.call("DisableSecretVersion", { secret_name: "svc-token", version_id: "v1" })).toMatchObject({ state: "SECRET_VERSION_STATE_DISABLED" });
    expect(await grpcJsError(read("v1"))).toEqual({ status: status.FAILED_PRECONDITION, code: "ResourceUnavailable.ResourceDisabled" });
    expect(await read("v2")).toMatchObject({ version_id: "v2" });
    expect(await ssm.call("DescribeSecretVersion", { secret_name: "svc-token", version_id: "v1" })).toMatchObject({ state: "SECRET_VERSION_STATE_DISABLED", servable: false });
    await ssm.call("EnableSecretVersion", { secret_name: "svc-token", version_id: "v1" });
    expect(await read("v1")).toMatchObject({ secret_string: "grpc-first-8b21" });
    expect(await grpcJsError(ssm.call("EnableSecretVersion", { secret_name: "svc-token", version_id: "v7" }))).toEqual({ status: status.NOT_FOUND, code: "ResourceNotFound" });
  });

  it("serves a version only inside its validity window, as the clock moves", async () => {
    await ssm.call("UpdateSecretVersion", { secret_name: "svc-token", version_id: "v1", valid_from: secondsFromNow(HOUR_MS) });
    expect(await grpcJsError(read("v1"))).toEqual({ status: status.FAILED_PRECONDITION, code: "ResourceUnavailable" });
    expect(await ssm.call("DescribeSecretVersion", { secret_name: "svc-token", version_id: "v1" })).toMatchObject({ servable: false, valid_from: secondsFromNow(HOUR_MS) });
    ts.clock.advance(2 * HOUR_MS);
    expect(await read("v1")).toMatchObject({ secret_string: "grpc-first-8b21" });
    const end = secondsFromNow(HOUR_MS);
    expect(await ssm.call("UpdateSecretVersion", { secret_name: "svc-token", version_id: "v1", valid_to: end })).toMatchObject({ valid_to: end });
    expect(await read("v1")).toMatchObject({ version_id: "v1" });
    ts.clock.advance(2 * HOUR_MS);
    expect(await grpcJsError(read("v1"))).toEqual({ status: status.FAILED_PRECONDITION, code: "ResourceUnavailable" });
    const versions = (await ssm.call("ListSecretVersionIds", { secret_name: "svc-token" })).versions as Record<string, unknown>[];
    expect(versions.map((v) => [v.version_id, v.valid_to])).toEqual([["v1", end], ["v2", "0"]]);
    // Inverted windows are refused and change nothing; 0 reopens a bound.
    expect(await grpcJsError(ssm.call("UpdateSecretVersion", { secret_name: "svc-token", version_id: "v1", valid_from: secondsFromNow(10 * HOUR_MS) }))).toEqual({
      status: status.INVALID_ARGUMENT,
      code: "InvalidParameterValue",
    });
    await ssm.call("UpdateSecretVersion", { secret_name: "svc-token", version_id: "v1", valid_to: "0" });
    expect(await read("v1")).toMatchObject({ secret_string: "grpc-first-8b21" });
  });

  it("answers the documented code and gRPC status for refusals", async () => {
    expect(await grpcJsError(ssm.call("CreateSecret", { secret_name: "svc-token", secret_string: "x" }))).toEqual({ status: status.ALREADY_EXISTS, code: "ResourceInUse.SecretExists" });
    expect(await grpcJsError(ssm.call("CreateSecret", { secret_name: "bad/name", secret_string: "x" }))).toEqual({ status: status.INVALID_ARGUMENT, code: "InvalidParameterValue" });
    expect(await grpcJsError(ssm.call("DeleteSecret", { secret_name: "svc-token" }))).toEqual({ status: status.FAILED_PRECONDITION, code: "FailedOperation" });
    expect(await grpcJsError(ssm.call("DescribeSecret", { secret_name: "nobody" }))).toEqual({ status: status.NOT_FOUND, code: "ResourceNotFound" });
  });
});

describe("SSH key pairs over gRPC", () => {
  it("generates RSA-3072 when the contract-only ssh_key_type asks for it", async () => {
    const created = await ssm.call("CreateSSHKeyPairSecret", { secret_name: "rsa-deploy", project_id: "0", ssh_key_type: "SSH_KEY_TYPE_RSA_3072" });
    const pair = await ssm.call("GetSSHKeyPairValue", { ssh_key_id: created.ssh_key_id });
    expect((pair.public_key as Buffer).toString()).toMatch(/^ssh-rsa AAAA\S+ skey_[a-z0-9]{8}$/); // "rsa-deploy" is no SSH key name: the key id names it
    expect((pair.private_key as Buffer).toString()).toContain("BEGIN OPENSSH PRIVATE KEY");
  });
});

describe("export and import over gRPC", () => {
  it("exports a secret under a CMK and imports it under another name, versions, states, windows and values alike", async () => {
    const cmk = (await kms.call("CreateKey", { alias: "secrets-export" })).key_id as string;
    await ssm.call("DisableSecretVersion", { secret_name: "svc-token", version_id: "v2" });
    await ssm.call("UpdateSecretVersion", { secret_name: "svc-token", version_id: "v1", valid_to: secondsFromNow(HOUR_MS) });
    const exported = await ssm.call("ExportSecret", { secret_name: "svc-token", kms_key_id: cmk });
    expect(exported).toMatchObject({ secret_name: "svc-token", kms_key_id: cmk, version_count: 2 });
    const pkg = exported.package as Buffer;
    expect(pkg.includes(Buffer.from("grpc-first-8b21"))).toBe(false);

    expect(await ssm.call("ImportSecret", { package: pkg, secret_name: "svc-token-copy" })).toMatchObject({ secret_name: "svc-token-copy", version_count: 2, overwritten: false });
    const original = (await ssm.call("ListSecretVersionIds", { secret_name: "svc-token" })).versions as Record<string, unknown>[];
    const copy = (await ssm.call("ListSecretVersionIds", { secret_name: "svc-token-copy" })).versions as Record<string, unknown>[];
    expect(copy.map((v) => [v.version_id, v.state, v.valid_from, v.valid_to])).toEqual(original.map((v) => [v.version_id, v.state, v.valid_from, v.valid_to]));
    expect(await ssm.call("GetSecretValue", { secret_name: "svc-token-copy", version_id: "v1" })).toMatchObject({ secret_string: "grpc-first-8b21" });
    expect(await grpcJsError(ssm.call("GetSecretValue", { secret_name: "svc-token-copy", version_id: "v2" }))).toEqual({
      status: status.FAILED_PRECONDITION,
      code: "ResourceUnavailable.ResourceDisabled",
    });

    // The same name again is refused unless Overwrite; a tampered package never imports.
    expect(await grpcJsError(ssm.call("ImportSecret", { package: pkg, secret_name: "svc-token-copy" }))).toEqual({ status: status.ALREADY_EXISTS, code: "ResourceInUse.SecretExists" });
    expect(await ssm.call("ImportSecret", { package: pkg, secret_name: "svc-token-copy", overwrite: true })).toMatchObject({ overwritten: true });
    for (const at of [12, Math.floor(pkg.length / 2), pkg.length - 1]) {
      const bad = Buffer.from(pkg);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      expect(await grpcJsError(ssm.call("ImportSecret", { package: bad, secret_name: `tampered-${at}` }))).toEqual({ status: status.INVALID_ARGUMENT, code: "InvalidParameterValue" });
    }
    expect(await grpcJsError(ssm.call("DescribeSecret", { secret_name: `tampered-12` }))).toEqual({ status: status.NOT_FOUND, code: "ResourceNotFound" });
  });
});

describe.skipIf(skipWithoutMariadb)(`database instances and a product secret over gRPC${skipWithoutMariadb ? ` (${MARIADB_SKIP_REASON})` : ""}`, () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.rootQuery("CREATE DATABASE shop");
  }, 60_000);
  afterAll(async () => db?.dispose());

  const register = (over: Record<string, unknown> = {}) =>
    ssm.call("RegisterDatabaseInstance", { instance_id: "cdb-shop", product_name: "Mysql", host: db.host, port: db.port, admin_user: db.adminUser, admin_password: db.adminPassword, ...over });

  it("registers an instance only when its admin can log in, and never shows the admin password", async () => {
    expect(await grpcJsError(register({ admin_password: "wrong-password" }))).toEqual({ status: status.FAILED_PRECONDITION, code: "FailedOperation" });
    const closedPort = db.port === 1 ? 2 : 1;
    expect(await grpcJsError(register({ port: closedPort }))).toEqual({ status: status.FAILED_PRECONDITION, code: "ResourceUnavailable" });
    expect(await grpcJsError(register({ product_name: "Oracle" }))).toEqual({ status: status.INVALID_ARGUMENT, code: "InvalidParameterValue" });
    expect(await ssm.call("ListDatabaseInstances", {})).toMatchObject({ instances: [], total_count: 0 });
    const registered = await register({ description: "shop database" });
    expect(registered).toMatchObject({ replaced: false, instance: { instance_id: "cdb-shop", host: db.host, port: db.port, admin_user: db.adminUser, description: "shop database" } });
    expect(await register()).toMatchObject({ replaced: true });
    const listed = await ssm.call("ListDatabaseInstances", {});
    expect(listed.total_count).toBe(1);
    expect(JSON.stringify(listed)).not.toContain(db.adminPassword);
  });

  it("creates a product secret on it; the instance cannot be forgotten while the secret holds it", async () => {
    const created = await ssm.call("CreateProductSecret", {
      secret_name: "shop-db",
      user_name_prefix: "shop",
      product_name: "Mysql",
      instance_id: "cdb-shop",
      domains: ["127.0.0.1"],
      privileges_list: [{ privilege_name: "GlobalPrivileges", privileges: ["SELECT"] }],
    });
    await ts.server.secrets.products.settled();
    expect(await ssm.call("DescribeAsyncRequestInfo", { flow_id: created.flow_id })).toMatchObject({ task_status: 1 });
    const value = JSON.parse((await ssm.call("GetSecretValue", { secret_name: "shop-db", version_id: "SSM_Current" })).secret_string as string) as { UserName: string; Password: string };
    expect(await tryAs(db, value.UserName, value.Password, "SHOW DATABASES")).toBe("ok");
    expect(await grpcJsError(ssm.call("DeregisterDatabaseInstance", { instance_id: "cdb-shop" }))).toEqual({ status: status.ALREADY_EXISTS, code: "ResourceInUse" });
    await ssm.call("DisableSecret", { secret_name: "shop-db" });
    await ssm.call("DeleteSecret", { secret_name: "shop-db" });
    // DeleteMode 0 (the default) leaves the accounts on the database.
    expect(await tryAs(db, value.UserName, value.Password, "SHOW DATABASES")).toBe("ok");
    expect(await ssm.call("DeregisterDatabaseInstance", { instance_id: "cdb-shop" })).toMatchObject({ instance_id: "cdb-shop" });
    expect(await grpcJsError(ssm.call("DeregisterDatabaseInstance", { instance_id: "cdb-shop" }))).toEqual({ status: status.NOT_FOUND, code: "ResourceNotFound" });
    expect((await ssm.call("ListDatabaseInstances", {})).total_count).toBe(0);
  });
});
