/**
 * The `kms` command groups of the families that landed after the first CLI:
 * secrets (with versions, SSH key pairs, export and import, product secrets
 * and database instances on a private MariaDB), white-box keys (server
 * encryption, then local decryption with the tables alone), batch crypto as
 * JSON lines, the keyring, backups, health, and unsealing a real server
 * started with KMS_SEAL=shamir. Each runs bin/kms.mjs as a child process
 * against a real server, with exact exit codes, answers and messages.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptCbc, openTables } from "../../client/whitebox/index.mjs";
import { startKms, type KmsServer } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { baseEnv, buildCli, freePort, runCli, runOnTerminal, type Run, type RunOptions } from "../helpers/kms-cli.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

let work: string;
let bin: string;
let home: string;
let backups: string;
let server: TestServer;

/** `kms` against the shared server, endpoint and token in the environment. */
function kms(args: string[], o: RunOptions = {}): Promise<Run> {
  return runCli(bin, { ...baseEnv(home), KMS_ENDPOINT: server.grpcUrl, KMS_TOKEN: server.token }, args, { cwd: work, ...o });
}

/** Runs with --output json and parses stdout, expecting exit 0 and a silent stderr. */
async function json<T = Record<string, unknown>>(args: string[], o: RunOptions = {}): Promise<T> {
  const r = await kms(["--output", "json", ...args], o);
  expect(r.stderr, args.join(" ")).toBe("");
  expect(r.code, args.join(" ")).toBe(0);
  return JSON.parse(r.stdout.toString()) as T;
}

/** Expects a refusal: the exit code and the whole of stderr (or a pattern), nothing on stdout. */
async function refused(args: string[], code: number, stderr: string | RegExp, o: RunOptions = {}): Promise<void> {
  const r = await kms(["--output", "json", ...args], o);
  expect(r.code, args.join(" ")).toBe(code);
  if (typeof stderr === "string") expect(r.stderr, args.join(" ")).toBe(stderr);
  else expect(r.stderr, args.join(" ")).toMatch(stderr);
  expect(r.stdout.toString(), args.join(" ")).toBe("");
}

const file = (name: string) => join(work, name);
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const nowSeconds = () => Math.floor(server.clock.now() / 1000);
const isoAt = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "kms-cli-families-"));
  home = join(work, "home");
  backups = join(work, "backups");
  await mkdir(home);
  [bin, server] = await Promise.all([buildCli(join(work, "cli")), startTestServer({ env: { KMS_BACKUP_DIR: backups } })]);
}, 60_000);

afterAll(async () => {
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("kms secrets", () => {
  const FIRST = "hunter2-3f9a\n";
  const SECOND = "correct horse 77c1";
  const ARGUMENT = "from-an-argument-5d0e";
  const BINARY = Buffer.from([0, 1, 2, 250, 255, 0x0a]);

  it("creates from a file, stdin, an argument and binary; get writes exactly the value, and nothing else prints it", async () => {
    await writeFile(file("first.txt"), FIRST);
    const outputs: Run[] = [];
    const created = await json(["secrets", "create", "cli-db", "--version", "v1", "--string-file", file("first.txt"), "--description", "orders database", "--tag", "env=prod"]);
    expect(created).toEqual({ SecretName: "cli-db", VersionId: "v1", TagCode: 0, TagMsg: "Success" });
    expect(await json(["secrets", "put-value", "cli-db", "--version", "v2", "--string-file", "-"], { input: SECOND })).toEqual({ SecretName: "cli-db", VersionId: "v2" });
    await writeFile(file("binary.bin"), BINARY);
    expect(await json(["secrets", "put-value", "cli-db", "--version", "v3", "--binary-file", file("binary.bin")])).toEqual({ SecretName: "cli-db", VersionId: "v3" });
    expect(await json(["secrets", "put-value", "cli-db", "--version", "v4", "--string", ARGUMENT])).toEqual({ SecretName: "cli-db", VersionId: "v4" });

    // The value exactly as stored (the trailing line break of the file included), raw bytes for binary.
    const v1 = await kms(["secrets", "get", "cli-db", "--version", "v1"]);
    expect([v1.code, v1.stderr, v1.stdout.toString()]).toEqual([0, "", FIRST]);
    const v3 = await kms(["secrets", "get", "cli-db", "--version", "v3"]);
    expect(v3.stdout.equals(BINARY)).toBe(true);
    const toFile = await kms(["secrets", "get", "cli-db", "--version", "v2", "--out", file("v2.out")]);
    expect([toFile.code, toFile.stdout.length]).toEqual([0, 0]);
    expect(await readFile(file("v2.out"), "utf8")).toBe(SECOND);
    expect(await modeOf(file("v2.out"))).toBe(0o600);
    expect((await kms(["secrets", "get", "cli-db", "--version", "v4", "--field", "SecretString"])).stdout.toString()).toBe(`${ARGUMENT}\n`);

    // Metadata never carries a value.
    outputs.push(await kms(["--output", "json", "secrets", "describe", "cli-db"]), await kms(["--output", "table", "secrets", "describe", "cli-db"]));
    outputs.push(await kms(["--output", "json", "secrets", "versions", "list", "cli-db"]), await kms(["--output", "json", "secrets", "list", "--all"]));
    for (const r of outputs) {
      expect(r.code).toBe(0);
      for (const value of [FIRST.trim(), SECOND, ARGUMENT, BINARY.toString("base64")]) expect(r.stdout.toString() + r.stderr).not.toContain(value);
    }
    const described = JSON.parse(outputs[0]!.stdout.toString()) as Record<string, unknown>;
    expect(described).toMatchObject({ SecretName: "cli-db", Description: "orders database", Status: "SECRET_STATUS_ENABLED", SecretType: 0, tags: [{ TagKey: "env", TagValue: "prod" }], kmsKeyType: "KMS_KEY_TYPE_DEFAULT" });
    expect(outputs[1]!.stdout.toString()).toMatch(/^Status +Enabled$/m);
  });

  it("manages versions: state, validity window as the clock moves, and deletion", async () => {
    type Versions = { SecretName: string; Versions: { VersionId: string; state: string; validFrom: string; validTo: string }[] };
    const list = async () => (await json<Versions>(["secrets", "versions", "list", "cli-db"])).Versions;
    expect((await list()).map((v) => [v.VersionId, v.state])).toEqual(["v1", "v2", "v3", "v4"].map((v) => [v, "SECRET_VERSION_STATE_ENABLED"]));

    expect(await json(["secrets", "versions", "disable", "cli-db", "v1"])).toEqual({ SecretName: "cli-db", VersionId: "v1", State: "SECRET_VERSION_STATE_DISABLED" });
    await refused(["secrets", "get", "cli-db", "--version", "v1"], 1, /^kms: ResourceUnavailable\.ResourceDisabled: .*\n$/);
    expect(await json(["secrets", "versions", "describe", "cli-db", "v1"])).toMatchObject({ State: "SECRET_VERSION_STATE_DISABLED", Servable: false });
    expect(await json(["secrets", "versions", "enable", "cli-db", "v1"])).toMatchObject({ State: "SECRET_VERSION_STATE_ENABLED" });

    // A window ending in an hour (ISO 8601); two hours later the version is not served; "none" reopens it.
    const end = nowSeconds() + 3600;
    expect(await json(["secrets", "versions", "window", "cli-db", "v1", "--to", isoAt(end)])).toEqual({ SecretName: "cli-db", VersionId: "v1", ValidFrom: "0", ValidTo: String(end) });
    expect((await kms(["secrets", "get", "cli-db", "--version", "v1"])).stdout.toString()).toBe(FIRST);
    server.clock.advance(2 * HOUR_MS);
    await refused(["secrets", "get", "cli-db", "--version", "v1"], 1, /^kms: ResourceUnavailable: /);
    expect(await json(["secrets", "versions", "describe", "cli-db", "v1"])).toMatchObject({ ValidTo: String(end), Servable: false });
    const table = await kms(["--output", "table", "secrets", "versions", "list", "cli-db"]);
    expect(table.stdout.toString()).toMatch(new RegExp(`^v1 +\\S+ +Enabled +- +${isoAt(end)}$`, "m"));
    expect(await json(["secrets", "versions", "window", "cli-db", "v1", "--to", "none", "--from", String(nowSeconds() - 60)])).toMatchObject({ ValidTo: "0", ValidFrom: String(nowSeconds() - 60) });
    expect((await kms(["secrets", "get", "cli-db", "--version", "v1"])).code).toBe(0);
    await refused(["secrets", "versions", "window", "cli-db", "v1"], 2, "kms: give --from, --to or both\n");
    await refused(["secrets", "versions", "window", "cli-db", "v1", "--to", "tomorrow"], 2, /option '--to <time>' argument 'tomorrow' is invalid/);

    expect(await json(["secrets", "versions", "delete", "cli-db", "v4"])).toEqual({ SecretName: "cli-db", VersionId: "v4" });
    await refused(["secrets", "versions", "describe", "cli-db", "v4"], 1, /^kms: ResourceNotFound: /);

    // update replaces one version's value; update-description the description.
    expect(await json(["secrets", "update", "cli-db", "--version", "v2", "--string", "rotated by hand"])).toEqual({ SecretName: "cli-db", VersionId: "v2" });
    expect((await kms(["secrets", "get", "cli-db", "--version", "v2"])).stdout.toString()).toBe("rotated by hand");
    expect(await json(["secrets", "update-description", "cli-db", "orders, primary"])).toEqual({ SecretName: "cli-db" });
    expect(await json(["secrets", "describe", "cli-db"])).toMatchObject({ Description: "orders, primary" });
  });

  it("lists with every ListSecrets filter, order and paging", async () => {
    for (const n of [1, 2, 3]) {
      await json(["secrets", "create", `cli-page-${n}`, "--string", `page ${n}`, ...(n === 2 ? ["--tag", "team=core"] : [])]);
      server.clock.advance(1000);
    }
    type Page = { TotalCount: number; SecretMetadatas: { SecretName: string; Status: string }[] };
    const names = (p: Page) => p.SecretMetadatas.map((s) => s.SecretName);
    const page = (args: string[]) => json<Page>(["secrets", "list", "--search", "cli-page-", ...args]);
    expect(names(await page([]))).toEqual(["cli-page-3", "cli-page-2", "cli-page-1"]);
    expect(names(await page(["--oldest-first", "--limit", "2"]))).toEqual(["cli-page-1", "cli-page-2"]);
    expect(await page(["--oldest-first", "--limit", "2", "--offset", "2"])).toMatchObject({ TotalCount: 3, SecretMetadatas: [{ SecretName: "cli-page-3" }] });
    expect(names(await page(["--tag-filter", "team=core"]))).toEqual(["cli-page-2"]);
    expect(names(await page(["--tag-filter", "team=other"]))).toEqual([]);
    await json(["secrets", "disable", "cli-page-1"]);
    expect(names(await page(["--state", "Disabled"]))).toEqual(["cli-page-1"]);
    expect(names(await page(["--state", "ENABLED"]))).toEqual(["cli-page-3", "cli-page-2"]);
    expect((await page(["--type", "ssh"])).TotalCount).toBe(0);
    expect((await page(["--encrypt-type", "1"])).TotalCount).toBe(0);
    expect((await page(["--instance", "cdb-none"])).TotalCount).toBe(0);
    expect(names(await page(["--all", "--limit", "1"]))).toHaveLength(3);
    const all = await json<Page>(["secrets", "list", "--all"]);
    expect(all.TotalCount).toBe(all.SecretMetadatas.length);
    const table = await kms(["--output", "table", "secrets", "list", "--search", "cli-page-1"]);
    expect(table.stdout.toString().split("\n")[0]).toMatch(/^SecretName +Status +SecretType +KmsKeyId +CreateTime +DeleteTime +Description$/);
    expect(table.stdout.toString()).toMatch(/^cli-page-1 +Disabled +0 /m);
    await refused(["secrets", "list", "--state", "Sleeping"], 2, /must be one of ENABLED, DISABLED, PENDING_DELETE, CREATING, FAILED/);
    await refused(["secrets", "list", "--product", "Mysql"], 2, "kms: --product applies with --type product\n");
    await refused(["secrets", "list", "--type", "redis"], 2, /Allowed choices are user, product, ssh, api-key|must be one of user, product, ssh, api-key/);
  });

  it("deletes only a Disabled secret, now or after a recovery window, and restores it", async () => {
    await refused(["secrets", "delete", "cli-db", "--recovery-window-days", "7"], 1, "kms: FailedOperation: DeleteSecret is not allowed for secret cli-db in state Enabled\n");
    await refused(["secrets", "delete", "cli-db"], 2, /required option '--recovery-window-days <n>' not specified/);
    await refused(["secrets", "delete", "cli-db", "--recovery-window-days", "31"], 2, /must be an integer from 0 to 30/);
    expect(await json(["secrets", "disable", "cli-db"])).toEqual({ SecretName: "cli-db" });
    await refused(["secrets", "get", "cli-db", "--version", "v2"], 1, /^kms: ResourceUnavailable\.ResourceDisabled: /);
    const deleted = await json<{ DeleteTime: string }>(["secrets", "delete", "cli-db", "--recovery-window-days", "7"]);
    expect(deleted).toEqual({ SecretName: "cli-db", DeleteTime: String(nowSeconds() + 7 * DAY_S), FlowID: "0" });
    expect(await json(["secrets", "describe", "cli-db"])).toMatchObject({ Status: "SECRET_STATUS_PENDING_DELETE", DeleteTime: deleted.DeleteTime });
    expect(await json(["secrets", "restore", "cli-db"])).toEqual({ SecretName: "cli-db" });
    expect(await json(["secrets", "describe", "cli-db"])).toMatchObject({ Status: "SECRET_STATUS_DISABLED", DeleteTime: "0" });
    expect(await json(["secrets", "enable", "cli-db"])).toEqual({ SecretName: "cli-db" });
    expect((await kms(["secrets", "get", "cli-db", "--version", "v1"])).stdout.toString()).toBe(FIRST);

    await json(["secrets", "disable", "cli-page-3"]);
    expect(await json(["secrets", "delete", "cli-page-3", "--recovery-window-days", "0"])).toMatchObject({ SecretName: "cli-page-3" });
    await refused(["secrets", "describe", "cli-page-3"], 1, /^kms: ResourceNotFound: /);
  });

  it("refuses bad input before any call, and names the API code of the service's refusals", async () => {
    const offline = { env: { KMS_ENDPOINT: `127.0.0.1:${await freePort()}` } };
    await refused(["secrets", "create", "x"], 2, "kms: give the value with exactly one of --string-file FILE, --binary-file FILE or --string TEXT\n", offline);
    await refused(["secrets", "create", "x", "--string", "a", "--string-file", file("first.txt")], 2, "kms: give the value with exactly one of --string-file FILE, --binary-file FILE or --string TEXT\n", offline);
    await writeFile(file("latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await refused(["secrets", "create", "x", "--string-file", file("latin1.txt")], 2, `kms: the value in ${file("latin1.txt")} is not UTF-8 text: give it with --binary-file\n`, offline);
    await refused(["secrets", "create", "x", "--string-file", file("missing.txt")], 2, `kms: cannot read value ${file("missing.txt")}: ENOENT\n`, offline);
    await refused(["secrets", "get", "cli-db"], 2, /required option '--version <id>' not specified/, offline);

    await refused(["secrets", "create", "cli-db", "--string", "x"], 1, /^kms: ResourceInUse\.SecretExists: /);
    await refused(["secrets", "create", "bad/name", "--string", "x"], 1, /^kms: InvalidParameterValue: /);
    await refused(["secrets", "describe", "nobody"], 1, /^kms: ResourceNotFound: /);
    await refused(["secrets", "put-value", "cli-db", "--version", "v1", "--string", "again"], 1, /^kms: ResourceInUse\.VersionIdExists: /);
    // A refusal never echoes the value it was given.
    const r = await kms(["secrets", "put-value", "cli-db", "--version", "v1", "--string", "never-echoed-91be"]);
    expect(r.stderr).not.toContain("never-echoed-91be");
    expect(await json(["secrets", "status"])).toMatchObject({ ServiceEnabled: true, InvalidType: 1 });
  });

  it("generates SSH key pairs; the keys go to 0600 files, ssh-keygen reads them, the private key is never printed", async () => {
    const created = await json<{ SSHKeyID: string }>(["secrets", "ssh", "create", "cli-deploy", "--key-name", "deploy", "--description", "deploy key"]);
    expect(created).toEqual({ SecretName: "cli-deploy", SSHKeyID: expect.stringMatching(/^skey-[a-z0-9]{8}$/), SSHKeyName: "deploy", TagCode: 0, TagMsg: "Success" });
    // An existing, world-readable file becomes 0600 before the key is written into it.
    await writeFile(file("id_deploy"), "old", { mode: 0o644 });
    const got = await json<Record<string, string>>(["secrets", "ssh", "get", "cli-deploy", "--private-key-out", file("id_deploy"), "--public-key-out", file("id_deploy.pub")]);
    expect(got).toMatchObject({ SSHKeyID: created.SSHKeyID, PrivateKey: "", SSHKeyName: "deploy", SSHKeyDescription: "deploy key" });
    const privateKey = await readFile(file("id_deploy"), "utf8");
    const publicKey = await readFile(file("id_deploy.pub"), "utf8");
    expect(privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(publicKey).toMatch(/^ssh-ed25519 AAAA\S+ deploy$/);
    expect(Buffer.from(got.PublicKey!, "base64").toString()).toBe(publicKey);
    expect([await modeOf(file("id_deploy")), await modeOf(file("id_deploy.pub"))]).toEqual([0o600, 0o600]);
    const derived = await promisify(execFile)("ssh-keygen", ["-y", "-f", file("id_deploy")]);
    expect(derived.stdout.trim().split(" ").slice(0, 2)).toEqual(publicKey.trim().split(" ").slice(0, 2));
    // By key id, RSA-3072 on request; to stdout when asked with "-".
    const rsa = await json<{ SSHKeyID: string }>(["secrets", "ssh", "create", "cli-rsa", "--key-type", "rsa-3072"]);
    const stdoutKey = await kms(["secrets", "ssh", "get", "--key-id", rsa.SSHKeyID, "--public-key-out", "-"]);
    expect(stdoutKey.stdout.toString()).toMatch(/^ssh-rsa AAAA\S+ skey_[a-z0-9]{8}$/);
    expect((await json<{ SecretMetadatas: { SecretName: string }[] }>(["secrets", "list", "--type", "ssh"])).SecretMetadatas.map((s) => s.SecretName).sort()).toEqual(["cli-deploy", "cli-rsa"]);
    await refused(["secrets", "ssh", "get"], 2, "kms: name the secret, or give --key-id\n");
    await refused(["secrets", "ssh", "get", "cli-db"], 1, /^kms: /);
  });

  it("exports a secret to a package file and imports it, refusing a tampered package", async () => {
    const cmk = (await json<{ KeyId: string }>(["keys", "create", "--alias", "cli-export"])).KeyId;
    const exported = await json<Record<string, unknown>>(["secrets", "export", "cli-db", "--kms-key", cmk, "--out", file("cli-db.pkg")]);
    expect(exported).toEqual({ SecretName: "cli-db", Package: "", KmsKeyId: cmk, VersionCount: 3 });
    const pkg = await readFile(file("cli-db.pkg"));
    expect(pkg.length).toBeGreaterThan(100);
    expect(pkg.includes(Buffer.from(FIRST.trim()))).toBe(false);
    expect(await modeOf(file("cli-db.pkg"))).toBe(0o600);
    expect(await json(["secrets", "import", "--in", file("cli-db.pkg"), "--name", "cli-db-copy"])).toMatchObject({ SecretName: "cli-db-copy", VersionCount: 3, Overwritten: false });
    expect((await kms(["secrets", "get", "cli-db-copy", "--version", "v1"])).stdout.toString()).toBe(FIRST);
    await refused(["secrets", "import", "--in", file("cli-db.pkg"), "--name", "cli-db-copy"], 1, /^kms: ResourceInUse\.SecretExists: /);
    expect(await json(["secrets", "import", "--in", "-", "--name", "cli-db-copy", "--overwrite"], { input: pkg })).toMatchObject({ Overwritten: true });
    const bad = Buffer.from(pkg);
    bad[Math.floor(bad.length / 2)]! ^= 1;
    await writeFile(file("tampered.pkg"), bad);
    await refused(["secrets", "import", "--in", file("tampered.pkg"), "--name", "cli-tampered"], 1, /^kms: InvalidParameterValue: /);
    await refused(["secrets", "describe", "cli-tampered"], 1, /^kms: ResourceNotFound: /);
  });
});

describe.skipIf(skipWithoutMariadb)(`kms secrets db and product${skipWithoutMariadb ? ` (${MARIADB_SKIP_REASON})` : ""}`, () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.rootQuery("CREATE DATABASE shop");
  }, 60_000);
  afterAll(async () => db?.dispose());

  const registerArgs = () => ["secrets", "db", "register", "cdb-cli", "--host", db.host, "--port", String(db.port), "--admin-user", db.adminUser, "--description", "shop database"];

  it("registers an instance with the admin password from the environment, a file or stdin, never from an argument", async () => {
    const noSource = await kms(["secrets", "db", "register", "cdb-cli", "--host", db.host, "--port", String(db.port), "--admin-user", db.adminUser], { input: "" });
    expect(noSource).toMatchObject({ code: 2, stderr: "kms: give the admin password with --admin-password-file FILE (- for stdin) or --admin-password-env NAME; stdin is not a terminal to prompt on\n" });
    await refused([...registerArgs(), "--admin-password", db.adminPassword], 2, /unknown option '--admin-password'/);
    await refused([...registerArgs(), "--admin-password-env", "CLI_DB_PASSWORD"], 2, "kms: admin password: environment variable CLI_DB_PASSWORD is not set\n");
    await refused([...registerArgs(), "--admin-password-env", "CLI_DB_PASSWORD"], 1, /^kms: FailedOperation: /, { env: { CLI_DB_PASSWORD: "wrong-password" } });

    const viaEnv = await kms(["--output", "json", ...registerArgs(), "--admin-password-env", "CLI_DB_PASSWORD"], { env: { CLI_DB_PASSWORD: db.adminPassword } });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout.toString())).toMatchObject({ Replaced: false, Instance: { InstanceID: "cdb-cli", ProductName: "Mysql", Host: db.host, Port: db.port, AdminUser: db.adminUser, Description: "shop database" } });
    await writeFile(file("db-password"), `${db.adminPassword}\n`, { mode: 0o600 });
    expect(await json([...registerArgs(), "--admin-password-file", file("db-password")])).toMatchObject({ Replaced: true });
    expect(await json([...registerArgs(), "--admin-password-file", "-"], { input: `${db.adminPassword}\n` })).toMatchObject({ Replaced: true });
    const listed = await kms(["--output", "json", "secrets", "db", "list"]);
    expect(JSON.parse(listed.stdout.toString())).toMatchObject({ TotalCount: 1, Instances: [{ InstanceID: "cdb-cli" }] });
    for (const r of [viaEnv, listed]) expect(r.stdout.toString() + r.stderr).not.toContain(db.adminPassword);
  });

  it("asks for the admin password at a prompt that does not echo", async () => {
    const env = { ...baseEnv(home), KMS_ENDPOINT: server.grpcUrl, KMS_TOKEN: server.token };
    const run = await runOnTerminal(bin, env, ["--output", "json", ...registerArgs()], [{ prompt: `admin password of ${db.adminUser}: `, type: db.adminPassword }], work);
    expect(run.code).toBe(0);
    expect(run.screen).toContain('"Replaced": true');
    expect(run.screen).not.toContain(db.adminPassword);
  });

  it("creates, rotates and deletes a product secret, following its flows with --wait", async () => {
    expect(await json(["secrets", "product", "supported"])).toEqual({ Products: ["Mysql"], TotalCount: 1 });
    await writeFile(file("privileges.json"), JSON.stringify([{ PrivilegeName: "DatabasePrivileges", Privileges: ["SELECT", "INSERT"], Database: "shop" }]));
    await writeFile(file("bad-privileges.json"), JSON.stringify([{ PrivilegeName: "DatabasePrivileges", Privileges: ["SELECT"], Databse: "shop" }]));
    const create = (privileges: string, name = "cli-shop") =>
      ["secrets", "product", "create", name, "--prefix", "shop", "--instance", "cdb-cli", "--domain", "127.0.0.1", "--privileges-file", privileges];
    await refused(create(file("bad-privileges.json")), 2, /^kms: privileges file, entry 0: .*Databse/);

    const created = await json<{ FlowID: string }>([...create(file("privileges.json")), "--wait"]);
    expect(created).toEqual({ SecretName: "cli-shop", TagCode: 0, TagMsg: "Success", FlowID: expect.stringMatching(/^\d+$/) });
    expect(await json(["secrets", "product", "flow", created.FlowID])).toMatchObject({ TaskStatus: 1 });
    const first = JSON.parse((await kms(["secrets", "get", "cli-shop", "--version", "SSM_Current"])).stdout.toString()) as { UserName: string; Password: string };
    expect(first.UserName).toMatch(/^shopSSM\d{3}$/);
    expect(await tryAs(db, first.UserName, first.Password, "SELECT 1")).toBe("ok");

    const rotated = await json<{ FlowID: string }>(["secrets", "product", "rotate", "cli-shop", "--wait"]);
    expect(await json(["secrets", "product", "flow", rotated.FlowID, "--wait"])).toMatchObject({ TaskStatus: 1 });
    const second = JSON.parse((await kms(["secrets", "get", "cli-shop", "--version", "SSM_Current"])).stdout.toString()) as { UserName: string; Password: string };
    expect(second.UserName).not.toBe(first.UserName);
    expect(await tryAs(db, second.UserName, second.Password, "SELECT 1")).toBe("ok");
    const history = await json<{ VersionIDs: string[]; TotalCount: number; AccountInfoList: unknown[] }>(["secrets", "product", "rotation-history", "cli-shop"]);
    expect(history.VersionIDs).toEqual([`SSM_${rotated.FlowID}`, `SSM_${created.FlowID}`]);
    expect(history.AccountInfoList).toHaveLength(2);

    expect(await json(["secrets", "product", "set-rotation", "cli-shop", "--enable", "--frequency", "30", "--begin", "2030-01-01 03:00:00"])).toEqual({});
    expect(await json(["secrets", "product", "rotation-status", "cli-shop"])).toMatchObject({ EnableRotation: true, Frequency: 30, NextRotateBeginTime: "2030-01-01 03:00:00" });
    await refused(["secrets", "product", "set-rotation", "cli-shop"], 2, "kms: give exactly one of --enable or --disable\n");
    await refused(["secrets", "product", "set-rotation", "cli-shop", "--enable", "--frequency", "7"], 2, /must be an integer from 30 to 365/);
    await refused(["secrets", "product", "set-rotation", "cli-shop", "--enable", "--begin", "2030-01-01"], 2, /YYYY-MM-DD hh:mm:ss/);
    expect(await json(["secrets", "product", "set-rotation", "cli-shop", "--disable"])).toEqual({});
    expect(await json(["secrets", "list", "--type", "product", "--product", "Mysql", "--instance", "cdb-cli"])).toMatchObject({ TotalCount: 1, SecretMetadatas: [{ SecretName: "cli-shop", ProductName: "Mysql" }] });
    await refused(["secrets", "put-value", "cli-shop", "--version", "v9", "--string", "x"], 1, /^kms: OperationDenied\.AutoRotatedResource: /);

    // A database that is down fails the rotation: --wait says why and exits 1; the credentials stay as they were.
    await db.stop();
    try {
      const down = await kms(["--output", "json", "secrets", "product", "rotate", "cli-shop", "--wait"]);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/^kms: flow \d+ failed: .+\n$/);
      expect(JSON.parse(down.stdout.toString())).toEqual({ FlowID: expect.stringMatching(/^\d+$/) });
    } finally {
      await db.start();
    }
    expect(JSON.parse((await kms(["secrets", "get", "cli-shop", "--version", "SSM_Current"])).stdout.toString())).toEqual(second);

    await refused(["secrets", "db", "deregister", "cdb-cli"], 1, /^kms: ResourceInUse: /);
    await json(["secrets", "disable", "cli-shop"]);
    expect(await json(["secrets", "delete", "cli-shop", "--recovery-window-days", "0", "--delete-mode", "1"])).toMatchObject({ SecretName: "cli-shop" });
    expect(await tryAs(db, second.UserName, second.Password, "SELECT 1")).not.toBe("ok");
    expect(await json(["secrets", "db", "deregister", "cdb-cli"])).toEqual({ InstanceID: "cdb-cli" });
    expect(await json(["secrets", "db", "list"])).toEqual({ Instances: [], TotalCount: 0 });
    await refused(["secrets", "product", "flow", "0"], 2, /must be a flow id/);
  });
});

describe("kms whitebox", () => {
  const FP = (n: number) => `0123abcd-0123456789abcd-0123456789abcd-0123456789abcd-${n.toString(16).padStart(16, "0")}`;
  let aes: string;

  it("creates a key whose tables go only to 0600 files; the server encrypts, the tables alone decrypt", async () => {
    const created = await json<Record<string, unknown>>(["whitebox", "create", "--alias", "cli-wb", "--algorithm", "AES_256", "--tag", "app=cli", "--decrypt-key-out", file("dec.tbl"), "--encrypt-key-out", file("enc.tbl")]);
    expect(created).toEqual({ KeyId: expect.stringMatching(/^[0-9a-f-]{36}$/), EncryptKey: "", DecryptKey: "", TagCode: 0, TagMsg: "Success" });
    aes = created.KeyId as string;
    expect([await modeOf(file("dec.tbl")), await modeOf(file("enc.tbl"))]).toEqual([0o600, 0o600]);
    const dec = await readFile(file("dec.tbl"));
    expect(dec.subarray(0, 4).toString()).toBe("TCWB");
    expect(openTables(new Uint8Array(dec)).direction).toBe("decrypt");
    expect(openTables(new Uint8Array(await readFile(file("enc.tbl")))).direction).toBe("encrypt");

    const secret = `db password: ${randomBytes(8).toString("hex")}`;
    await writeFile(file("wb-plain.txt"), secret);
    const enc = await kms(["--output", "json", "whitebox", "encrypt", aes, "--in", file("wb-plain.txt")]);
    expect(enc.code).toBe(0);
    const answer = JSON.parse(enc.stdout.toString()) as { InitializationVector: string; CipherText: string };
    expect(Object.keys(answer).sort()).toEqual(["CipherText", "InitializationVector"]);
    expect(Buffer.from(answer.InitializationVector, "base64")).toHaveLength(16);
    expect(Buffer.from(answer.CipherText, "base64")).toHaveLength(32);
    await writeFile(file("wb-ct.json"), enc.stdout);
    // The device: no server (a closed port, no token), only the tables.
    const device = { env: { KMS_ENDPOINT: `127.0.0.1:${await freePort()}`, KMS_TOKEN: undefined } };
    const local = await kms(["whitebox", "decrypt", "--tables", file("dec.tbl"), "--in", file("wb-ct.json")], device);
    expect([local.code, local.stderr, local.stdout.toString()]).toEqual([0, "", secret]);
    const piped = await kms(["whitebox", "decrypt", "--tables", file("dec.tbl"), "--out", file("wb-plain.out")], { ...device, input: enc.stdout });
    expect(piped.code).toBe(0);
    expect(await readFile(file("wb-plain.out"), "utf8")).toBe(secret);
    expect(await modeOf(file("wb-plain.out"))).toBe(0o600);
    // And what the server answers is what the tables compute.
    expect(Buffer.from(decryptCbc(openTables(new Uint8Array(dec)), Buffer.from(answer.InitializationVector, "base64"), Buffer.from(answer.CipherText, "base64"))).toString()).toBe(secret);
  });

  it("encrypts with a given IV and decrypts base64 tables and ciphertext (SM4); refuses what does not decrypt", async () => {
    const sm4 = (await json<{ KeyId: string }>(["whitebox", "create", "--alias", "cli-wb-sm4", "--algorithm", "SM4"])).KeyId;
    expect(await kms(["whitebox", "decrypt-key", sm4, "--out", file("sm4.b64"), "--base64"])).toMatchObject({ code: 0, stderr: "" });
    expect((await readFile(file("sm4.b64"), "utf8")).trim()).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const iv = Buffer.alloc(16, 7).toString("base64");
    const enc = await json<{ InitializationVector: string; CipherText: string }>(["whitebox", "encrypt", sm4, "--text", "sm4 on a device", "--iv", iv]);
    expect(enc.InitializationVector).toBe(iv);
    await writeFile(file("sm4-ct.b64"), `${enc.CipherText}\n`);
    const offline = { env: { KMS_ENDPOINT: `127.0.0.1:${await freePort()}` } };
    const ok = await kms(["whitebox", "decrypt", "--tables", file("sm4.b64"), "--in", file("sm4-ct.b64"), "--iv", iv], offline);
    expect(ok.stdout.toString()).toBe("sm4 on a device");

    await refused(["whitebox", "decrypt", "--tables", file("sm4.b64"), "--in", file("sm4-ct.b64")], 2, "kms: give --iv: the input is base64 CipherText without its InitializationVector\n", offline);
    await refused(["whitebox", "decrypt", "--tables", file("enc.tbl"), "--in", file("wb-ct.json")], 2, /^kms: tables: these are encryption tables; decryption needs the DecryptKey\n$/, offline);
    await refused(["whitebox", "decrypt", "--tables", file("wb-ct.json"), "--in", file("wb-ct.json")], 2, /^kms: tables: /, offline);
    const other = Buffer.alloc(16, 9).toString("base64");
    await refused(["whitebox", "decrypt", "--tables", file("dec.tbl"), "--in", file("wb-ct.json"), "--iv", other], 2, "kms: --iv differs from the input's InitializationVector\n", offline);
    // A block whose plaintext ends in 0x00 is bad PKCS#7 padding: exit 4, nothing written.
    const enc256 = openTables(new Uint8Array(await readFile(file("enc.tbl"))));
    const block = new Uint8Array(16);
    enc256.transform(new Uint8Array(16).fill(0x41).map((b, i) => (i === 15 ? 0 : b)), 0, block, 0);
    await writeFile(file("bad-pad.json"), JSON.stringify({ InitializationVector: Buffer.alloc(16).toString("base64"), CipherText: Buffer.from(block).toString("base64") }));
    await refused(["whitebox", "decrypt", "--tables", file("dec.tbl"), "--in", file("bad-pad.json")], 4, "kms: decryption failed: bad padding (wrong tables or IV, or damaged ciphertext)\n", offline);
    await refused(["whitebox", "encrypt", sm4], 2, "kms: give the plaintext with exactly one of --in FILE, --text or --base64\n");
    await refused(["whitebox", "encrypt", sm4, "--text", "x", "--iv", Buffer.alloc(8).toString("base64")], 1, /^kms: InvalidParameterValue: /);
  });

  it("lists and describes without tables, runs the lifecycle single and batched, with the documented codes", async () => {
    type Details = { TotalCount: number; KeyInfos: { KeyId: string; Alias: string; Status: string; EncryptKey: string; DecryptKey: string }[] };
    const listed = await json<Details>(["whitebox", "list", "--all"]);
    expect(listed.TotalCount).toBe(2);
    // Both were made within one second: their order is the service's tie-break, so compare as sets.
    expect(listed.KeyInfos.map((k) => [k.Alias, k.Status, k.EncryptKey, k.DecryptKey]).sort()).toEqual([
      ["cli-wb", "WHITE_BOX_KEY_STATUS_ENABLED", "", ""],
      ["cli-wb-sm4", "WHITE_BOX_KEY_STATUS_ENABLED", "", ""],
    ]);
    const second = await json<Details>(["whitebox", "list", "--limit", "1", "--offset", "1"]);
    expect(second).toMatchObject({ TotalCount: 2, KeyInfos: [{ Alias: listed.KeyInfos[1]?.Alias }] });
    expect((await json<Details>(["whitebox", "list", "--tag-filter", "app=cli"])).KeyInfos.map((k) => k.KeyId)).toEqual([aes]);
    await refused(["whitebox", "list", "--limit", "3"], 2, /must be an integer from 1 to 2/);
    const table = await kms(["--output", "table", "whitebox", "list"]);
    expect(table.stdout.toString()).toMatch(/^KeyId +Alias +Algorithm +Status +CreateTime +DeviceFingerprintBind +Description$/m);
    expect(table.stdout.toString()).toMatch(new RegExp(`^${aes} +cli-wb +AES_256 +Enabled `, "m"));
    expect(await json(["whitebox", "describe", aes])).toMatchObject({ KeyInfo: { KeyId: aes, Alias: "cli-wb", EncryptKey: "", DecryptKey: "", Algorithm: "WHITE_BOX_ALGORITHM_AES_256" } });

    const sm4 = listed.KeyInfos.find((k) => k.KeyId !== aes)!.KeyId;
    expect(await json(["whitebox", "disable", aes])).toEqual({});
    await refused(["whitebox", "encrypt", aes, "--text", "x"], 1, /^kms: ResourceUnavailable\.KeyDisabled: /);
    expect((await json<Details>(["whitebox", "list", "--status", "Disabled"])).KeyInfos.map((k) => k.KeyId)).toEqual([aes]);
    expect(await json(["whitebox", "enable", aes, sm4])).toEqual({});
    expect((await json<Details>(["whitebox", "list", "--status", "Enabled"])).TotalCount).toBe(2);
    await refused(["whitebox", "delete", aes], 1, /^kms: FailedOperation: /);
    await refused(["whitebox", "enable", aes, aes], 1, /^kms: InvalidParameterValue\.DuplicatedKeyId: /);
    await refused(["whitebox", "disable", aes, "00000000-0000-4000-8000-000000000000"], 1, /^kms: ResourceNotFound: /);
    expect((await json<Details>(["whitebox", "list", "--status", "Enabled"])).TotalCount).toBe(2);
    expect(await json(["whitebox", "status"])).toEqual({ ServiceEnabled: true });
    await refused(["whitebox", "create", "--alias", "cli-wb", "--algorithm", "AES_256"], 1, /^kms: /);
    await refused(["whitebox", "create", "--alias", "x", "--algorithm", "DES"], 2, /must be one of AES_256, SM4/);
  });

  it("binds DecryptKey tables to device fingerprints from a JSON file; only a listed device decrypts", async () => {
    await writeFile(file("devices.json"), JSON.stringify([{ Identity: FP(1), Description: "kiosk 1" }, { Identity: FP(2) }]));
    expect(await json(["whitebox", "fingerprints", "overwrite", aes, "--file", file("devices.json")])).toEqual({});
    expect(await json(["whitebox", "fingerprints", "get", aes])).toEqual({ DeviceFingerprints: [{ Identity: FP(1), Description: "kiosk 1" }, { Identity: FP(2), Description: "" }] });
    expect(await json(["whitebox", "describe", aes])).toMatchObject({ KeyInfo: { DeviceFingerprintBind: true } });
    expect((await kms(["whitebox", "decrypt-key", aes, "--out", file("bound.tbl")])).code).toBe(0);
    const args = ["whitebox", "decrypt", "--tables", file("bound.tbl"), "--in", file("wb-ct.json")];
    expect((await kms(args)).code).toBe(2);
    expect((await kms([...args, "--fingerprint", FP(3)])).code).toBe(2);
    expect((await kms([...args, "--fingerprint", FP(2)])).stdout.toString()).toMatch(/^db password: /);
    expect((await kms(args, { env: { WHITEBOX_FINGERPRINT: FP(1) } })).stdout.toString()).toMatch(/^db password: /);

    await writeFile(file("bad-devices.json"), JSON.stringify([{ Identity: FP(1), Name: "typo" }]));
    await refused(["whitebox", "fingerprints", "overwrite", aes, "--file", file("bad-devices.json")], 2, /^kms: fingerprints file, entry 0: .*Name/);
    await refused(["whitebox", "fingerprints", "overwrite", aes, "--file", "-"], 1, /^kms: LimitExceeded\.FingerprintsLimitExceeded: /, {
      input: JSON.stringify(Array.from({ length: 201 }, (_, i) => ({ Identity: FP(i + 10) }))),
    });
    expect(await json(["whitebox", "fingerprints", "overwrite", aes, "--file", "-"], { input: "[]" })).toEqual({});
    expect(await json(["whitebox", "fingerprints", "get", aes])).toEqual({ DeviceFingerprints: [] });
    expect((await kms(["whitebox", "encrypt-key", aes, "--out", file("enc-again.tbl")])).code).toBe(0);
    expect(openTables(new Uint8Array(await readFile(file("enc-again.tbl")))).direction).toBe("encrypt");
  });

  it("deletes a Disabled key for good", async () => {
    await json(["whitebox", "disable", aes]);
    expect(await json(["whitebox", "delete", aes])).toEqual({});
    await refused(["whitebox", "describe", aes], 1, /^kms: ResourceNotFound: /);
  });
});

describe("kms batch", () => {
  let keyA: string;
  let keyB: string;
  let off: string;
  const line = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const results = (r: Run) => r.stdout.toString().trimEnd().split("\n").map((l) => JSON.parse(l) as { ok?: Record<string, string>; error?: { code: string; message: string } });

  beforeAll(async () => {
    keyA = (await json<{ KeyId: string }>(["keys", "create", "--alias", "cli-batch-a"])).KeyId;
    keyB = (await json<{ KeyId: string }>(["keys", "create", "--alias", "cli-batch-b"])).KeyId;
    off = (await json<{ KeyId: string }>(["keys", "create", "--alias", "cli-batch-off"])).KeyId;
    await json(["keys", "disable", off]);
  });

  it("encrypts JSON lines, one result line per item in order; a bad item fails only itself, with the single call's code", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const input =
      line({ KeyId: keyA, Plaintext: b64("one"), EncryptionContext: '{"app":"cli"}' }) +
      line({ KeyId: missing, Plaintext: b64("two") }) +
      "\n" +
      line({ KeyId: off, Plaintext: b64("three") }) +
      line({ KeyId: keyA, Plaintext: b64("four"), Bogus: 1 }) +
      "not json\n" +
      line({ KeyId: keyB, Plaintext: b64("five") });
    await writeFile(file("items.jsonl"), input);
    const r = await kms(["batch", "encrypt", "--in", file("items.jsonl"), "--batch-size", "2"]);
    expect([r.code, r.stderr]).toEqual([1, "kms: 4 of 6 items failed\n"]);
    const out = results(r);
    expect(out.map((x) => (x.ok ? "ok" : x.error!.code))).toEqual(["ok", "ResourceUnavailable.CmkNotFound", "ResourceUnavailable.CmkDisabled", "UnknownParameter", "InvalidParameter", "ok"]);
    expect(out[0]!.ok).toEqual({ CiphertextBlob: expect.any(String), KeyId: keyA });
    expect(out[3]!.error).toEqual({ code: "UnknownParameter", message: "line 5: The parameter `Bogus` is not recognized" });
    expect(out[4]!.error!.message).toMatch(/^line 6: /);

    // The successes decrypt (stdin), each with its own context.
    const decryptIn = line({ CiphertextBlob: out[0]!.ok!.CiphertextBlob, EncryptionContext: '{"app":"cli"}' }) + line({ CiphertextBlob: out[5]!.ok!.CiphertextBlob }) + line({ CiphertextBlob: out[0]!.ok!.CiphertextBlob });
    const dec = await kms(["batch", "decrypt"], { input: decryptIn });
    expect([dec.code, dec.stderr]).toEqual([1, "kms: 1 of 3 items failed\n"]);
    const plain = results(dec);
    expect(plain.slice(0, 2).map((x) => [x.ok!.KeyId, Buffer.from(x.ok!.Plaintext!, "base64").toString()])).toEqual([
      [keyA, "one"],
      [keyB, "five"],
    ]);
    expect(plain[2]!.error!.code).toBe("FailedOperation.DecryptError");

    const re = await kms(["batch", "re-encrypt"], { input: line({ CiphertextBlob: out[5]!.ok!.CiphertextBlob, DestinationKeyId: keyA }) });
    expect([re.code, re.stderr]).toEqual([0, ""]);
    const moved = results(re)[0]!.ok!;
    expect(moved).toMatchObject({ KeyId: keyA, SourceKeyId: keyB });
    const back = results(await kms(["batch", "decrypt"], { input: line({ CiphertextBlob: moved.CiphertextBlob }) }))[0]!.ok!;
    expect([back.KeyId, Buffer.from(back.Plaintext!, "base64").toString()]).toEqual([keyA, "five"]);
  });

  it("passes several ids on one command line as a list (kms keys disable/enable/describe a b)", async () => {
    expect(await json(["keys", "disable", keyA, keyB])).toEqual({});
    const described = await json<{ KeyMetadatas: { KeyId: string; KeyState: string }[] }>(["keys", "describe", keyA, keyB]);
    expect(described.KeyMetadatas.map((k) => [k.KeyId, k.KeyState])).toEqual([
      [keyA, "KEY_STATE_DISABLED"],
      [keyB, "KEY_STATE_DISABLED"],
    ]);
    expect(await json(["keys", "enable", keyA, keyB])).toEqual({});
    expect((await json<{ KeyMetadata: { KeyState: string } }>(["keys", "describe", keyB])).KeyMetadata.KeyState).toBe("KEY_STATE_ENABLED");
  });

  it("generates data keys (Tencent's KeySpec spelling), and refuses an empty input", async () => {
    const r = await kms(["batch", "generate-data-key"], { input: line({ KeyId: keyA, KeySpec: "AES_256" }) + line({ KeyId: keyB, NumberOfBytes: 16 }) });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const [a, b] = results(r).map((x) => x.ok!);
    expect(Buffer.from(a!.Plaintext!, "base64")).toHaveLength(32);
    expect(Buffer.from(b!.Plaintext!, "base64")).toHaveLength(16);
    const opened = results(await kms(["batch", "decrypt"], { input: line({ CiphertextBlob: a!.CiphertextBlob }) }))[0]!.ok!;
    expect(opened.Plaintext).toBe(a!.Plaintext);
    await refused(["batch", "encrypt"], 2, "kms: no items: give one Encrypt request per line, as JSON\n", { input: "\n\n" });
    await refused(["batch", "encrypt", "--in", file("nope.jsonl")], 2, `kms: cannot read ${file("nope.jsonl")}: ENOENT\n`);
    await refused(["batch", "decrypt", "--batch-size", "1001"], 2, /must be an integer from 1 to 1000/);
  });
});

describe("kms keyring, backup and health", () => {
  it("reports and rotates the keyring; the development root does not rotate", async () => {
    expect(await json(["keyring", "status"])).toMatchObject({ sealType: "dev", currentVersion: 1, versions: [{ version: 1 }] });
    const rotated = await json<{ rotation: { targetVersion: number } }>(["keyring", "rotate"]);
    expect(rotated.rotation.targetVersion).toBe(2);
    expect(await json(["keyring", "status"])).toMatchObject({ currentVersion: 2 });
    await refused(["keyring", "rotate-root"], 1, /^kms: UnsupportedOperation: /);
    await refused(["keyring", "rotate-root", "--shares", "3", "--threshold", "2"], 2, "kms: --shares and --threshold apply to a Shamir seal; this server's is dev\n");
  });

  it("writes a backup into the server's backup directory and prints where, how large and its SHA-256", async () => {
    const made = await json<{ fileName: string; sizeBytes: string; sha256: string; manifest: { entries: string; counts: unknown[] } }>(["backup", "create"]);
    expect(made.fileName).toMatch(/^kms-backup-\d{8}T\d{6}Z-[0-9a-f]+\.kmsbak$/);
    const bytes = await readFile(join(backups, made.fileName));
    expect(String(bytes.length)).toBe(made.sizeBytes);
    // The file ends with the SHA-256 of everything before it.
    expect(createHash("sha256").update(bytes.subarray(0, -32)).digest("hex")).toBe(made.sha256);
    expect(bytes.subarray(-32).toString("hex")).toBe(made.sha256);
    expect(Number(made.manifest.entries)).toBeGreaterThan(0);
    const table = await kms(["--output", "table", "backup", "create"]);
    expect(table.stdout.toString()).toMatch(/\nmanifest\.counts:\nkeyspace +count\n(\S+ +\d+\n)+$/);
  });

  it("checks health without credentials, exit 1 for a service that is not there", async () => {
    const noToken = { env: { KMS_TOKEN: "not-a-token" } };
    expect(await json(["health", "check"], noToken)).toEqual({ status: "SERVING" });
    expect(await json(["health", "check", "ssm.v1.SecretsManagerService"], noToken)).toEqual({ status: "SERVING" });
    await refused(["health", "check", "nope.v1.Nothing"], 1, "kms: ResourceNotFound: unknown service nope.v1.Nothing\n");
    const list = await json<{ statuses: Record<string, { status: string }> }>(["health", "list"], noToken);
    expect(list.statuses[""]).toEqual({ status: "SERVING" });
    expect(Object.keys(list.statuses)).toEqual(expect.arrayContaining(["kms.v1.KeyManagementService", "kms.v1.WhiteBoxKeyService", "kms.v1.BatchCryptoService", "ssm.v1.SecretsManagerService"]));
    const table = await kms(["--output", "table", "health", "list"]);
    expect(table.stdout.toString()).toMatch(/^kms\.v1\.KeyManagementService +SERVING$/m);
  });
});

describe("kms unseal, against a server started with KMS_SEAL=shamir", () => {
  let dir: string;
  let grpcPort: number;
  let running: KmsServer | undefined;
  const token = `root-${randomBytes(24).toString("base64url")}`;

  /** Starts the real server sealed; resolves once it answers on its port (startKms itself resolves when unsealed). */
  async function startSealed(): Promise<{ unsealed: Promise<KmsServer> }> {
    const env = { KMS_SEAL: "shamir", KMS_DATA_DIR: dir, KMS_GRPC_ADDR: `127.0.0.1:${grpcPort}`, KMS_HTTP_ADDR: `127.0.0.1:${await freePort()}`, KMS_ROOT_TOKEN: token, KMS_SWEEP_INTERVAL_MS: "3600000" };
    const started = startKms(loadConfig(env), { log: silentLogger, drainMs: 500 });
    started.then((s) => (running = s)).catch(() => undefined);
    for (let i = 0; i < 100; i++) {
      if ((await sealed(["health", "check"])).stdout.length > 0) return { unsealed: started };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the sealed server did not answer");
  }

  const sealed = (args: string[], o: RunOptions = {}) => runCli(bin, { ...baseEnv(home), KMS_ENDPOINT: `127.0.0.1:${grpcPort}`, KMS_TOKEN: token }, ["--output", "json", ...args], { cwd: work, ...o });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kms-cli-shamir-"));
    grpcPort = await freePort();
  });
  afterAll(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("initialises, refuses bad shares, unseals from stdin and at a prompt, and rotates the shares", async () => {
    let { unsealed } = await startSealed();
    const health = await sealed(["health", "check"]);
    expect([health.code, health.stderr, JSON.parse(health.stdout.toString())]).toEqual([1, "kms: the server is NOT_SERVING\n", { status: "NOT_SERVING" }]);
    expect(JSON.parse((await sealed(["unseal", "status"])).stdout.toString())).toEqual({ status: { sealed: true, initialized: false, threshold: 0, shares: 0, progress: 0, setId: "", sealType: "shamir" } });
    // Only UnsealService and health are served until it is unsealed.
    expect(await sealed(["keys", "list"])).toMatchObject({ code: 1, stderr: "kms: InvalidAction: no method /kms.v1.KeyManagementService/ListKeyDetail\n" });
    expect((await sealed(["unseal", "submit"], { input: "kmss1.0000000000000000.AAAA\n" })).stderr).toMatch(/^kms: UnsupportedOperation: /);

    const init = await sealed(["unseal", "init", "--shares", "3", "--threshold", "2"]);
    expect(init.code).toBe(0);
    expect(init.stderr).toBe("kms: 3 shares, any 2 of which unseal, shown once: give one to each holder, keep none together\n");
    const { shares, status } = JSON.parse(init.stdout.toString()) as { shares: string[]; status: Record<string, unknown> };
    expect(shares).toHaveLength(3);
    expect(status).toMatchObject({ sealed: true, initialized: true, threshold: 2, shares: 3, progress: 0 });
    expect((await sealed(["unseal", "init", "--shares", "3", "--threshold", "2"])).stderr).toMatch(/^kms: UnsupportedOperation: the seal is already initialised/);
    const tableInit = await sealed(["--output", "table", "unseal", "init", "--shares", "2", "--threshold", "3"]);
    expect([tableInit.code, tableInit.stderr]).toEqual([2, "kms: --threshold cannot exceed --shares\n"]);

    // Never as an argument; a corrupted share is refused by name and not counted.
    expect((await sealed(["unseal", "submit", shares[0]!])).code).toBe(2);
    const s0 = shares[0]!;
    const corrupted = `${s0.slice(0, -3)}${s0.at(-3) === "A" ? "B" : "A"}${s0.slice(-2)}`;
    expect((await sealed(["unseal", "submit"], { input: `${corrupted}\n` })).stderr).toBe("kms: InvalidParameterValue: the share is not one of this seal's shares (mistyped or corrupted)\n");
    expect((await sealed(["unseal", "submit"])).stderr).toBe("kms: no share on stdin: pipe one per line, or run on a terminal to be asked\n");
    const one = await sealed(["unseal", "submit"], { input: `${shares[0]}\n` });
    expect(JSON.parse(one.stdout.toString())).toMatchObject({ status: { sealed: true, progress: 1 } });
    expect(JSON.parse((await sealed(["unseal", "reset"])).stdout.toString())).toMatchObject({ status: { sealed: true, progress: 0 } });

    // A holder at a terminal: the prompt does not echo the share.
    const env = { ...baseEnv(home), KMS_ENDPOINT: `127.0.0.1:${grpcPort}` };
    const atTerminal = await runOnTerminal(bin, env, ["--output", "json", "unseal", "submit"], [{ prompt: "unseal share: ", type: shares[1]! }], work);
    expect(atTerminal.code).toBe(0);
    expect(atTerminal.screen).toContain('"progress": 1');
    expect(atTerminal.screen).not.toContain(shares[1]!);
    const last = await sealed(["unseal", "submit"], { input: `${shares[2]}\n` });
    expect(JSON.parse(last.stdout.toString())).toMatchObject({ status: { sealed: false, sealType: "shamir" } });
    await unsealed;

    expect((await sealed(["health", "check"])).code).toBe(0);
    expect(JSON.parse((await sealed(["keys", "create", "--alias", "after-unseal"])).stdout.toString())).toMatchObject({ Alias: "after-unseal" });
    expect(JSON.parse((await sealed(["keyring", "status"])).stdout.toString())).toMatchObject({ sealType: "shamir" });

    // New shares from the current quorum, read from stdin (two lines); printed once.
    await expect(sealed(["keyring", "rotate-root"])).resolves.toMatchObject({ code: 2, stderr: "kms: a Shamir seal needs --shares and --threshold for the new split\n" });
    expect((await sealed(["keyring", "rotate-root", "--shares", "2", "--threshold", "2"], { input: `${shares[0]}\n` })).stderr).toBe("kms: expected 2 current shares on stdin, got 1\n");
    const rekey = await sealed(["keyring", "rotate-root", "--shares", "2", "--threshold", "2"], { input: `${shares[0]}\n${shares[2]}\n` });
    expect([rekey.code, rekey.stderr]).toEqual([0, "kms: 2 new shares, shown once; the old ones no longer unseal\n"]);
    const fresh = (JSON.parse(rekey.stdout.toString()) as { shares: string[] }).shares;
    expect(fresh).toHaveLength(2);

    // Restarted: sealed again; the old shares are refused, the new ones unseal, the key is still there.
    await running!.close();
    running = undefined;
    ({ unsealed } = await startSealed());
    expect((await sealed(["unseal", "submit"], { input: `${shares[0]}\n` })).stderr).toMatch(/^kms: InvalidParameterValue: .*belongs to seal/);
    expect(JSON.parse((await sealed(["unseal", "submit"], { input: `${fresh.join("\n")}\n` })).stdout.toString())).toMatchObject({ status: { sealed: false } });
    await unsealed;
    expect(JSON.parse((await sealed(["keys", "list", "--search", "after-unseal"])).stdout.toString())).toMatchObject({ TotalCount: 1 });
  }, 60_000);
});
