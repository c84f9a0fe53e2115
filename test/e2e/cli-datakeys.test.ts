/**
 * `kms datakeys` (every DataKeyService action, and GenerateDataKey with
 * IsHostedByKms 1), `kms accounts` (OperatorService) and --member-account /
 * --member-accounts on `kms keys` and `kms datakeys`, running bin/kms.mjs as
 * a child process against a real server: answers, files and their modes,
 * the server's state through the API afterwards, and the exact exit code and
 * stderr of every refusal.
 */
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { DataKeyService, DataKeyState } from "../../gen/kms/v1/datakeys_pb.js";
import { DataKeySpec, KeyManagementService, KeyState } from "../../gen/kms/v1/kms_pb.js";
import { AccountStatus, OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { bearer } from "../helpers/clients.js";
import { baseEnv, buildCli, runCli, type Run, type RunOptions } from "../helpers/kms-cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const DAY_S = 86_400;
const DEFAULT_ACCOUNT = "100000000001";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Caller {
  kms: Client<typeof KeyManagementService>;
  datakeys: Client<typeof DataKeyService>;
  operator: Client<typeof OperatorService>;
  admin: Client<typeof AdminService>;
}

let work: string;
let bin: string;
let home: string;
let server: TestServer;
let op: Caller;
const sessions: Http2SessionManager[] = [];

function callerWith(token: string): Caller {
  const s = new Http2SessionManager(server.grpcUrl);
  sessions.push(s);
  const transport = createGrpcTransport({ baseUrl: server.grpcUrl, sessionManager: s, interceptors: [bearer(token)] });
  return { kms: createClient(KeyManagementService, transport), datakeys: createClient(DataKeyService, transport), operator: createClient(OperatorService, transport), admin: createClient(AdminService, transport) };
}

/** `kms` against the server, as the root unless another token is given. */
function kms(args: string[], o: RunOptions & { token?: string } = {}): Promise<Run> {
  return runCli(bin, { ...baseEnv(home), KMS_ENDPOINT: server.grpcUrl, KMS_TOKEN: o.token ?? server.token }, args, { cwd: work, ...o });
}

/** Runs with --output json and parses stdout, expecting exit 0 and a silent stderr. */
async function json<T = Record<string, unknown>>(args: string[], o: RunOptions & { token?: string } = {}): Promise<T> {
  const r = await kms(["--output", "json", ...args], o);
  expect(r.stderr, args.join(" ")).toBe("");
  expect(r.code, args.join(" ")).toBe(0);
  return JSON.parse(r.stdout.toString()) as T;
}

/** Expects a refusal: the exit code and the whole of stderr (or a pattern), nothing on stdout. */
async function refused(args: string[], code: number, stderr: string | RegExp, o: RunOptions & { token?: string } = {}): Promise<void> {
  const r = await kms(["--output", "json", ...args], o);
  expect(r.code, args.join(" ")).toBe(code);
  if (typeof stderr === "string") expect(r.stderr, args.join(" ")).toBe(stderr);
  else expect(r.stderr, args.join(" ")).toMatch(stderr);
  expect(r.stdout.toString(), args.join(" ")).toBe("");
}

const file = (name: string) => join(work, name);
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const nowSeconds = () => Math.floor(server.clock.now() / 1000);
const plaintextOf = async (dataKeyId: string, as: Caller = op) => Buffer.from((await as.datakeys.getDataKeyPlaintext({ dataKeyId })).plaintext);
const describe1 = async (dataKeyId: string, as: Caller = op) => (await as.datakeys.describeDataKey({ dataKeyId })).dataKeyMetadata!;
const total = async () => (await op.datakeys.listDataKeyDetail({})).totalCount;

type Metadata = { DataKeyId: string; DataKeyName: string; KeyState: string; KeyId: string; NumberOfBytes: number; Origin: string; AccountUin: string; Description: string; tags: { TagKey: string; TagValue: string }[] };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "kms-cli-datakeys-"));
  home = join(work, "home");
  await mkdir(home);
  [bin, server] = await Promise.all([buildCli(join(work, "cli")), startTestServer({ env: { KMS_RATE_LIMIT: "0" } })]);
  op = callerWith(server.token);
}, 60_000);

afterAll(async () => {
  for (const s of sessions) s.abort();
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("kms datakeys", () => {
  let cmk: string;
  let cmk2: string;
  let made: string;

  beforeAll(async () => {
    cmk = (await op.kms.createKey({ alias: "cli-dk-cmk" })).keyId;
    cmk2 = (await op.kms.createKey({ alias: "cli-dk-cmk2" })).keyId;
  });

  it("generates a hosted data key: the plaintext only to a 0600 file, never printed; the ciphertext printed or to a file", async () => {
    const out = await json<{ KeyId: string; DataKeyId: string; Plaintext: string; CiphertextBlob: string; TagCode: number; TagMsg: string }>([
      "datakeys", "generate", cmk, "--name", "orders-db", "--description", "orders table", "--tag", "env=prod", "--plaintext-out", file("orders.key"),
    ]);
    made = out.DataKeyId;
    expect(out).toMatchObject({ KeyId: cmk, Plaintext: "", TagCode: 0, TagMsg: "Success" });
    expect(made).toMatch(UUID);
    const plain = await plaintextOf(made);
    expect(await readFile(file("orders.key"))).toEqual(plain);
    expect(await modeOf(file("orders.key"))).toBe(0o600);
    expect(Buffer.from(out.CiphertextBlob, "base64")).toEqual(Buffer.from((await op.datakeys.getDataKeyCiphertextBlob({ dataKeyId: made })).ciphertextBlob));
    expect(await describe1(made)).toMatchObject({ dataKeyName: "orders-db", description: "orders table", numberOfBytes: 32, keyState: DataKeyState.ENABLED });
    expect((await describe1(made)).tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["env", "prod"]]);

    // Without --plaintext-out the plaintext is dropped: no output carries it.
    const second = await kms(["--output", "json", "datakeys", "generate", cmk2, "--name", "session", "--bytes", "16", "--context", '{"app":"s"}', "--ciphertext-out", file("session.blob")]);
    expect([second.code, second.stderr]).toEqual([0, ""]);
    const answer = JSON.parse(second.stdout.toString()) as { DataKeyId: string; Plaintext: string; CiphertextBlob: string };
    expect([answer.Plaintext, answer.CiphertextBlob]).toEqual(["", ""]);
    const sessionPlain = await plaintextOf(answer.DataKeyId);
    expect(sessionPlain).toHaveLength(16);
    expect(second.stdout.toString()).not.toContain(sessionPlain.toString("base64"));
    const blob = await readFile(file("session.blob"));
    expect(Buffer.from((await op.kms.decrypt({ ciphertextBlob: blob, encryptionContext: '{"app":"s"}' })).plaintext)).toEqual(sessionPlain);

    const before = await total();
    await refused(["datakeys", "generate", cmk, "--name", "to-stdout", "--plaintext-out", "-"], 2, "kms: --plaintext-out takes a file; for stdout use 'kms datakeys plaintext DATA_KEY_ID'\n");
    await refused(["datakeys", "generate", cmk, "--name", "orders-db"], 1, /^kms: InvalidParameterValue\.DataKeyNameAlreadyExists: .*"orders-db".*\n$/);
    await refused(["datakeys", "generate", cmk, "--name", "bad name!"], 1, /^kms: InvalidParameterValue\.InvalidDataKeyName: /);
    await refused(["datakeys", "generate", cmk], 2, "kms: required option '--name <name>' not specified\n");
    await refused(["datakeys", "generate", cmk, "--name", "x", "--bytes", "2000"], 2, /^kms: option '--bytes <n>' argument '2000' is invalid/);
    expect(await total()).toBe(before);
  });

  it("imports a data key from a file, from stdin, and a GenerateDataKey ciphertext (file or base64); refuses bad material and wrong options", async () => {
    const a = randomBytes(32);
    await writeFile(file("a.key"), a);
    const fromFile = await json<{ KeyId: string; DataKeyId: string }>(["datakeys", "import", "--name", "legacy-a", "--key-id", cmk, "--plaintext-file", file("a.key"), "--tag", "team=x"]);
    expect(fromFile.KeyId).toBe(cmk);
    expect(await plaintextOf(fromFile.DataKeyId)).toEqual(a);
    expect((await describe1(fromFile.DataKeyId)).tags.map((t) => t.tagKey)).toEqual(["team"]);

    const b = randomBytes(20);
    const fromStdin = await json<{ DataKeyId: string }>(["datakeys", "import", "--name", "legacy-b", "--key-id", cmk2, "--plaintext-file", "-", "--description", "from stdin"], { input: b });
    expect(await plaintextOf(fromStdin.DataKeyId)).toEqual(b);
    expect((await describe1(fromStdin.DataKeyId)).description).toBe("from stdin");

    const generated = await op.kms.generateDataKey({ keyId: cmk2, keySpec: DataKeySpec.AES_128 });
    await writeFile(file("wrapped.bin"), generated.ciphertextBlob);
    const wrapped = await json<{ KeyId: string; DataKeyId: string }>(["datakeys", "import", "--name", "wrapped-file", "--ciphertext-file", file("wrapped.bin")]);
    expect(wrapped.KeyId).toBe(cmk2);
    expect(await plaintextOf(wrapped.DataKeyId)).toEqual(Buffer.from(generated.plaintext));
    const wrapped64 = await json<{ DataKeyId: string }>(["datakeys", "import", "--name", "wrapped-b64", "--key-id", cmk2, "--ciphertext-base64", Buffer.from(generated.ciphertextBlob).toString("base64")]);
    expect(await plaintextOf(wrapped64.DataKeyId)).toEqual(Buffer.from(generated.plaintext));
    expect(await describe1(wrapped64.DataKeyId)).toMatchObject({ numberOfBytes: 16 });

    const before = await total();
    const tampered = Buffer.from(generated.ciphertextBlob);
    tampered[tampered.length - 1]! ^= 1;
    await refused(["datakeys", "import", "--name", "n1", "--key-id", cmk2, "--ciphertext-base64", tampered.toString("base64")], 1, /^kms: InvalidParameterValue\.InvalidImportKeyMaterial: /);
    await refused(["datakeys", "import", "--name", "n2", "--key-id", cmk, "--ciphertext-base64", Buffer.from(generated.ciphertextBlob).toString("base64")], 1, "kms: InvalidParameterValue.InvalidKeyId: KeyId is not the key that encrypted ImportKeyMaterial\n");
    await refused(["datakeys", "import", "--name", "n3", "--plaintext-file", file("a.key")], 1, "kms: MissingParameter: KeyId is required with ImportType 2\n");
    await refused(["datakeys", "import", "--name", "n4", "--key-id", cmk], 2, "kms: give the material with exactly one of --plaintext-file FILE, --ciphertext-file FILE or --ciphertext-base64 B64\n");
    await refused(["datakeys", "import", "--name", "n5", "--key-id", cmk, "--plaintext-file", file("a.key"), "--ciphertext-file", file("wrapped.bin")], 2, /^kms: give the material with exactly one of/);
    await refused(["datakeys", "import", "--name", "n6", "--key-id", cmk, "--plaintext-file", file("missing.key")], 2, `kms: cannot read data key ${file("missing.key")}: ENOENT\n`);
    await refused(["datakeys", "import", "--name", "n7", "--ciphertext-base64", "not base64!"], 2, "kms: --ciphertext-base64 is not valid base64\n");
    expect(await total()).toBe(before);
  });

  it("writes the plaintext only when asked: raw to stdout, to a 0600 file, as base64 with --field, or encrypted to a public key", async () => {
    const plain = await plaintextOf(made);
    const raw = await kms(["datakeys", "plaintext", made]);
    expect([raw.code, raw.stderr]).toEqual([0, ""]);
    expect(raw.stdout).toEqual(plain);
    await writeFile(file("existing.key"), "old", { mode: 0o644 });
    const toFile = await kms(["datakeys", "plaintext", made, "--out", file("existing.key")]);
    expect([toFile.code, toFile.stdout.length]).toEqual([0, 0]);
    expect(await readFile(file("existing.key"))).toEqual(plain);
    expect(await modeOf(file("existing.key"))).toBe(0o600);
    expect((await kms(["datakeys", "plaintext", made, "--field", "Plaintext"])).stdout.toString()).toBe(`${plain.toString("base64")}\n`);

    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await writeFile(file("rsa.pem"), publicKey.export({ type: "spki", format: "pem" }));
    const sealed = await kms(["datakeys", "plaintext", made, "--public-key", file("rsa.pem"), "--algorithm", "RSAES_OAEP_SHA_256"]);
    expect(sealed.code).toBe(0);
    expect(sealed.stdout).toHaveLength(256);
    expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, sealed.stdout)).toEqual(plain);

    await refused(["datakeys", "plaintext", made, "--algorithm", "RSAES_OAEP_SHA_256"], 2, "kms: --algorithm needs --public-key\n");
    await refused(["datakeys", "plaintext", made, "--public-key", file("rsa.pem"), "--algorithm", "RSA"], 2, /^kms: option '--algorithm <alg>' argument 'RSA' is invalid/);
    await refused(["datakeys", "plaintext", "00000000-0000-4000-8000-000000000000"], 1, /^kms: ResourceUnavailable\.DataKeyNotFound: /);
    await refused(["datakeys", "plaintext", "not-an-id"], 1, /^kms: InvalidParameterValue\.InvalidDataKeyId: /);
  });

  it("writes the ciphertext blob raw to stdout or a file, and --field prints it as base64; Decrypt opens it", async () => {
    const blob = Buffer.from((await op.datakeys.getDataKeyCiphertextBlob({ dataKeyId: made })).ciphertextBlob);
    const raw = await kms(["datakeys", "ciphertext", made]);
    expect([raw.code, raw.stderr]).toEqual([0, ""]);
    expect(raw.stdout).toEqual(blob);
    expect((await kms(["datakeys", "ciphertext", made, "--out", file("made.blob")])).code).toBe(0);
    expect(await readFile(file("made.blob"))).toEqual(blob);
    expect((await kms(["datakeys", "ciphertext", made, "--field", "CiphertextBlob"])).stdout.toString()).toBe(`${blob.toString("base64")}\n`);
    expect(Buffer.from((await op.kms.decrypt({ ciphertextBlob: blob })).plaintext)).toEqual(await plaintextOf(made));
  });

  it("describes, renames, re-describes, disables and enables (one or several, all or nothing), schedules and cancels deletion", async () => {
    const one = await json<{ DataKeyMetadata: Metadata }>(["datakeys", "describe", made]);
    expect(one.DataKeyMetadata).toMatchObject({ DataKeyId: made, DataKeyName: "orders-db", KeyState: "DATA_KEY_STATE_ENABLED", KeyId: cmk, NumberOfBytes: 32, Origin: "ORIGIN_TENCENT_KMS", AccountUin: DEFAULT_ACCOUNT });
    const table = await kms(["--output", "table", "datakeys", "describe", made]);
    expect(table.stdout.toString()).toMatch(/KeyState +Enabled/);

    expect(await json(["datakeys", "rename", made, "orders-db-2"])).toEqual({});
    expect(await json(["datakeys", "update-description", made, "orders, v2"])).toEqual({});
    expect(await describe1(made)).toMatchObject({ dataKeyName: "orders-db-2", description: "orders, v2" });
    await refused(["datakeys", "rename", made, "legacy-a"], 1, /^kms: InvalidParameterValue\.DataKeyNameAlreadyExists: /);
    await refused(["datakeys", "update-description", made, "x".repeat(101)], 1, /^kms: InvalidParameter: .*Description/);

    const ids = (await op.datakeys.listDataKeyDetail({ searchKeyAlias: "legacy-" })).dataKeyMetadatas.map((m) => m.dataKeyId);
    expect(ids).toHaveLength(2);
    expect(await json(["datakeys", "disable", ...ids])).toEqual({});
    const several = await json<{ DataKeyMetadatas: Metadata[] }>(["datakeys", "describe", ...ids]);
    expect(several.DataKeyMetadatas.map((m) => m.KeyState)).toEqual(["DATA_KEY_STATE_DISABLED", "DATA_KEY_STATE_DISABLED"]);
    // All or nothing: one unknown id, and neither is enabled.
    await refused(["datakeys", "enable", ids[0]!, "00000000-0000-4000-8000-000000000000"], 1, /^kms: ResourceUnavailable\.DataKeyNotFound: /);
    expect((await describe1(ids[0]!)).keyState).toBe(DataKeyState.DISABLED);
    await refused(["datakeys", "plaintext", ids[0]!], 1, /^kms: ResourceUnavailable\.DataKeyDisabled: /);
    await refused(["datakeys", "ciphertext", ids[0]!], 1, /^kms: ResourceUnavailable\.DataKeyDisabled: /);
    expect(await json(["datakeys", "enable", ids[0]!])).toEqual({});
    expect((await describe1(ids[0]!)).keyState).toBe(DataKeyState.ENABLED);

    // Deletion: only from Disabled; 7 to 30 days; cancel returns it to Disabled.
    await refused(["datakeys", "schedule-deletion", ids[0]!], 1, /^kms: ResourceUnavailable\.DataKeyStateNotSupport: /);
    await refused(["datakeys", "schedule-deletion", ids[1]!, "--days", "3"], 2, /^kms: option '--days <n>' argument '3' is invalid/);
    const scheduled = await json<{ DataKeyId: string; DeletionDate: string }>(["datakeys", "schedule-deletion", ids[1]!, "--days", "10"]);
    expect(scheduled).toEqual({ DataKeyId: ids[1], DeletionDate: String(nowSeconds() + 10 * DAY_S) });
    expect((await describe1(ids[1]!)).keyState).toBe(DataKeyState.PENDING_DELETE);
    await refused(["datakeys", "rename", ids[1]!, "anything"], 1, /^kms: ResourceUnavailable\.DataKeyPendingDelete: /);
    expect(await json(["datakeys", "cancel-deletion", ids[1]!])).toEqual({ DataKeyId: ids[1] });
    await refused(["datakeys", "cancel-deletion", ids[1]!], 1, /^kms: ResourceUnavailable\.DataKeyNotPendingDelete: /);
    expect((await describe1(ids[1]!)).keyState).toBe(DataKeyState.DISABLED);
    expect(await json(["datakeys", "enable", ids[1]!])).toEqual({});
  });

  it("lists with every ListDataKeyDetail filter, order, paging and --all, the same as the API answers; ids lists ListDataKeys", async () => {
    const before = await total();
    // 205 more, in creation order, every fifth under the second CMK, every seventh 16 bytes and tagged.
    for (let i = 0; i < 205; i++) {
      await op.kms.generateDataKey({
        keyId: i % 5 === 0 ? cmk2 : cmk,
        ...(i % 7 === 0 ? { numberOfBytes: 16, tags: [{ tagKey: "tier", tagValue: i % 2 === 0 ? "gold" : "silver" }] } : { keySpec: DataKeySpec.AES_256 }),
        isHostedByKms: 1,
        dataKeyName: `bulk-${String(i).padStart(3, "0")}`,
      });
      server.clock.advance(1000);
    }
    type List = { DataKeyMetadatas: Metadata[]; TotalCount: number };
    const idsOf = (l: List) => l.DataKeyMetadatas.map((m) => m.DataKeyId);
    const api = async (req: Parameters<typeof op.datakeys.listDataKeyDetail>[0]) => (await op.datakeys.listDataKeyDetail(req)).dataKeyMetadatas.map((m) => m.dataKeyId);
    const count = await total();
    expect(count).toBe(before + 205);

    const first = await json<List>(["datakeys", "list"]);
    expect(first.TotalCount).toBe(count);
    expect(idsOf(first)).toEqual(await api({}));
    expect(idsOf(await json<List>(["datakeys", "list", "--oldest-first", "--offset", "3", "--limit", "5"]))).toEqual(await api({ orderType: 1, offset: 3, limit: 5 }));
    const all = await json<List>(["datakeys", "list", "--all"]);
    expect(all.TotalCount).toBe(count);
    expect(idsOf(all)).toEqual([...(await api({ limit: 200 })), ...(await api({ offset: 200, limit: 200 }))]);

    const filtered = await json<List>(["datakeys", "list", "--key-id", cmk2, "--length", "16", "--tag-filter", "tier=gold", "--search", "BULK-", "--oldest-first", "--all"]);
    const want = await api({ keyId: cmk2, dataKeyLen: 16, tagFilters: [{ tagKey: "tier", tagValue: ["gold"] }], searchKeyAlias: "BULK-", orderType: 1, limit: 200 });
    // i % 5 === 0, i % 7 === 0 and even: 0, 70, 140.
    expect(filtered.DataKeyMetadatas.map((m) => m.DataKeyName)).toEqual(["bulk-000", "bulk-070", "bulk-140"]);
    expect(idsOf(filtered)).toEqual(want);
    expect(idsOf(await json<List>(["datakeys", "list", "--origin", "EXTERNAL", "--all"]))).toEqual(await api({ origin: "EXTERNAL", limit: 200 }));
    expect((await json<List>(["datakeys", "list", "--origin", "EXTERNAL"])).TotalCount).toBe(4);
    await op.datakeys.disableDataKey({ dataKeyId: made });
    expect(idsOf(await json<List>(["datakeys", "list", "--state", "Disabled"]))).toEqual([made]);
    await op.datakeys.enableDataKey({ dataKeyId: made });
    expect((await json<List>(["datakeys", "list", "--hsm-cluster", "default"])).TotalCount).toBe(0);
    expect((await json<List>(["datakeys", "list", "--role", "1"])).TotalCount).toBe(0);
    const table = (await kms(["--output", "table", "datakeys", "list", "--search", "bulk-204"])).stdout.toString();
    expect(table).toMatch(/^DataKeyId +DataKeyName +KeyState +KeyId +NumberOfBytes +Origin +CreateTime +Description/);
    expect(table).toMatch(/bulk-204 +Enabled/);

    const ids = await json<{ DataKeys: { DataKeyId: string }[]; TotalCount: number }>(["datakeys", "ids", "--limit", "7", "--offset", "2"]);
    expect(ids.DataKeys.map((d) => d.DataKeyId)).toEqual((await op.datakeys.listDataKeys({ limit: 7, offset: 2 })).dataKeys.map((d) => d.dataKeyId));
    expect((await json<{ DataKeys: unknown[]; TotalCount: number }>(["datakeys", "ids", "--all"])).DataKeys).toHaveLength(count);

    await refused(["datakeys", "list", "--state", "Archived"], 2, /^kms: option '--state <state>' argument 'Archived' is invalid\. must be one of ENABLED, DISABLED, PENDING_DELETE/);
    await refused(["datakeys", "list", "--origin", "external"], 2, /^kms: option '--origin <origin>' argument 'external' is invalid/);
    await refused(["datakeys", "list", "--hsm-cluster", "cls-other"], 1, /^kms: InvalidParameterValue\.InvalidHsmClusterId: /);
    await refused(["datakeys", "list", "--key-id", "not-a-key"], 1, /^kms: InvalidParameterValue\.InvalidKeyId: /);
  });

  it("refuses a sub-user what its policy does not allow (UnauthorizedOperation, exit 1)", async () => {
    const p = (await op.admin.createPrincipal({ name: "cli-dk-reader" })).principal!;
    await op.admin.createPolicy({ name: "cli-dk-reader", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:ListDataKeyDetail", "kms:DescribeDataKey"], resource: ["*"] }] }) });
    await op.admin.attachPolicy({ principalUin: p.uin, policyName: "cli-dk-reader" });
    const token = (await op.admin.createToken({ principalUin: p.uin })).secret;
    expect((await json<{ TotalCount: number }>(["datakeys", "list"], { token })).TotalCount).toBe(await total());
    expect((await json<{ DataKeyMetadata: Metadata }>(["datakeys", "describe", made], { token })).DataKeyMetadata.DataKeyId).toBe(made);
    await refused(["datakeys", "plaintext", made], 1, /^kms: UnauthorizedOperation: /, { token });
    await refused(["datakeys", "disable", made], 1, /^kms: UnauthorizedOperation: /, { token });
    await refused(["datakeys", "generate", cmk, "--name", "sub-made"], 1, /^kms: UnauthorizedOperation: /, { token });
    await refused(["accounts", "list"], 1, /^kms: UnauthorizedOperation: /, { token });
    expect((await describe1(made)).keyState).toBe(DataKeyState.ENABLED);
    await refused(["datakeys", "list"], 3, /^kms: AuthFailure\.\w+: /, { token: "kmstNOTATOKEN000000000.nothing" });
  });
});

describe("kms accounts and --member-account", () => {
  let orgUin: string;
  let orgToken: string;
  let memberToken: string;
  const memberUin = "200000000002";
  let outsiderUin: string;
  let memberKey: string;
  let memberDataKey: string;

  type Account = { uin: string; name: string; description: string; status: string; organizationUin: string; appId: string; default: boolean };
  type Created = { account: Account; rootToken: string; rootSecretId: string; rootSecretKey: string };

  it("creates an account: the root's credentials printed once (with a note), or written to a new 0600 file with --out and the account alone printed", async () => {
    const r = await kms(["--output", "json", "accounts", "create", "cli-group", "--description", "the group"]);
    expect([r.code, r.stderr]).toEqual([0, "kms: the root's token and SecretKey below are shown once: store them now\n"]);
    const made = JSON.parse(r.stdout.toString()) as Created;
    expect(made.account).toMatchObject({ name: "cli-group", description: "the group", status: "ACCOUNT_STATUS_ENABLED", organizationUin: "0", default: false });
    expect(made.rootSecretId).toMatch(/^AKID/);
    orgUin = made.account.uin;
    orgToken = made.rootToken;
    // The token is the new account's root.
    expect((await json<{ TotalCount: number }>(["keys", "list"], { token: orgToken })).TotalCount).toBe(0);

    const printed = await json<Account>(["accounts", "create", "cli-payments", "--uin", memberUin, "--app-id", "1300000002", "--out", file("member.json")]);
    expect(printed).toMatchObject({ uin: memberUin, name: "cli-payments", appId: "1300000002", status: "ACCOUNT_STATUS_ENABLED" });
    expect(JSON.stringify(printed)).not.toMatch(/rootToken|rootSecretKey/);
    expect(await modeOf(file("member.json"))).toBe(0o600);
    const saved = JSON.parse(await readFile(file("member.json"), "utf8")) as Created;
    expect(saved.account.uin).toBe(memberUin);
    memberToken = saved.rootToken;
    await json(["service", "status"], { token: memberToken });

    // --out never overwrites, and checks the file before the account is made; a refused call leaves no file.
    const before = (await op.operator.listAccounts({})).accounts.length;
    await refused(["accounts", "create", "cli-never", "--out", file("member.json")], 2, `kms: ${file("member.json")} exists: --out writes a new file only (credentials are never overwritten)\n`);
    await refused(["accounts", "create", "cli-never", "--out", join(work, "no-such-dir", "x.json")], 2, `kms: cannot create ${join(work, "no-such-dir", "x.json")}: ENOENT\n`);
    await refused(["accounts", "create", "cli-group", "--out", file("dup.json")], 1, /^kms: ResourceInUse: /);
    await expect(stat(file("dup.json"))).rejects.toThrow(/ENOENT/);
    await refused(["accounts", "create", "bad name"], 1, /^kms: InvalidParameterValue: Name must be/);
    await refused(["accounts", "create", "x", "--uin", "12a"], 2, /^kms: option '--uin <uin>' argument '12a' is invalid/);
    expect((await op.operator.listAccounts({})).accounts.length).toBe(before);
    outsiderUin = (await json<Account>(["accounts", "create", "cli-outsider", "--out", file("outsider.json")])).uin;
  });

  it("lists, disables and enables accounts, and sets and clears an organisation; refuses the default account, unknown accounts and non-operators", async () => {
    const list = await json<{ accounts: Account[] }>(["accounts", "list"]);
    // The default first, then oldest first (the test clock stands still: by uin).
    expect(list.accounts.slice(1).map((a) => a.name).sort()).toEqual(["cli-group", "cli-outsider", "cli-payments"]);
    expect(list.accounts[0]).toMatchObject({ uin: DEFAULT_ACCOUNT, default: true });
    const table = (await kms(["--output", "table", "accounts", "list"])).stdout.toString();
    expect(table).toMatch(/^uin +name +status +organizationUin +appId +default +createTime +description/);
    expect(table).toMatch(new RegExp(`${memberUin} +cli-payments +Enabled`));

    expect(await json(["accounts", "disable", memberUin])).toEqual({});
    expect((await op.operator.listAccounts({})).accounts.find((a) => String(a.uin) === memberUin)?.status).toBe(AccountStatus.DISABLED);
    await refused(["service", "status"], 3, /^kms: AuthFailure\.\w+: /, { token: memberToken });
    expect(await json(["accounts", "enable", memberUin])).toEqual({});
    await json(["service", "status"], { token: memberToken });

    const set = await json<{ account: Account }>(["accounts", "set-organization", memberUin, orgUin]);
    expect(set.account).toMatchObject({ uin: memberUin, organizationUin: orgUin });
    await refused(["accounts", "set-organization", orgUin, outsiderUin], 1, /^kms: UnsupportedOperation: account \d+ is an organisation with members\n$/);
    expect((await json<{ account: Account }>(["accounts", "set-organization", outsiderUin, orgUin])).account.organizationUin).toBe(orgUin);
    expect((await json<{ account: Account }>(["accounts", "set-organization", outsiderUin, "0"])).account.organizationUin).toBe("0");

    await refused(["accounts", "disable", DEFAULT_ACCOUNT], 1, "kms: UnsupportedOperation: the default account (the operator's) cannot be disabled\n");
    await refused(["accounts", "disable", "999999999"], 1, "kms: ResourceNotFound: account 999999999 does not exist\n");
    await refused(["accounts", "enable", "abc"], 2, /^kms: command-argument value 'abc' is invalid for argument 'uin'/);
    await refused(["accounts", "list"], 1, /^kms: UnauthorizedOperation: /, { token: orgToken });
    await refused(["accounts", "create", "by-org"], 1, /^kms: UnauthorizedOperation: /, { token: orgToken });
  });

  it("lets the organisation manage a member's keys and data keys with --member-account and list them with --member-accounts", async () => {
    const member = callerWith(memberToken);
    memberKey = (await member.kms.createKey({ alias: "payments" })).keyId;
    memberDataKey = (await member.kms.generateDataKey({ keyId: memberKey, keySpec: DataKeySpec.AES_256, isHostedByKms: 1, dataKeyName: "payments-dk" })).dataKeyId;
    const asOrg = { token: orgToken };
    const m = ["--member-account", memberUin];

    type KeyList = { KeyMetadatas: { KeyId: string; AccountUin: string }[]; TotalCount: number };
    const keys = await json<KeyList>(["keys", "list", "--member-accounts", memberUin], asOrg);
    expect(keys.KeyMetadatas.map((k) => [k.KeyId, k.AccountUin])).toEqual([[memberKey, memberUin]]);
    const both = await json<KeyList>(["keys", "list", "--member-accounts", `${orgUin},${memberUin}`], asOrg);
    expect(both.TotalCount).toBe(1);
    expect((await kms(["--output", "table", "keys", "list", "--member-accounts", memberUin], asOrg)).stdout.toString()).toMatch(/AccountUin/);

    expect((await json<{ KeyMetadata: { KeyState: string } }>(["keys", "describe", memberKey, ...m], asOrg)).KeyMetadata.KeyState).toBe("KEY_STATE_ENABLED");
    expect(await json(["keys", "update-description", memberKey, "managed by the group", ...m], asOrg)).toEqual({});
    expect(await json(["keys", "update-alias", memberKey, "payments-main", ...m], asOrg)).toEqual({});
    expect(await json(["keys", "rotation", "enable", memberKey, "--days", "30", ...m], asOrg)).toEqual({});
    expect(await json<{ KeyRotationEnabled: boolean }>(["keys", "rotation", "status", memberKey, ...m], asOrg)).toMatchObject({ KeyRotationEnabled: true });
    expect(await json(["keys", "rotation", "rotate-now", memberKey, ...m], asOrg)).toHaveProperty("TaskId");
    expect(await json(["keys", "rotation", "disable", memberKey, ...m], asOrg)).toEqual({});
    expect(await json(["keys", "disable", memberKey, ...m], asOrg)).toEqual({});
    const described = (await member.kms.describeKey({ keyId: memberKey })).keyMetadata!;
    expect(described).toMatchObject({ keyState: KeyState.DISABLED, description: "managed by the group", alias: "payments-main", keyRotationEnabled: false });
    expect(await json(["keys", "enable", memberKey, ...m], asOrg)).toEqual({});
    expect((await member.kms.describeKey({ keyId: memberKey })).keyMetadata?.keyState).toBe(KeyState.ENABLED);

    type DkList = { DataKeyMetadatas: Metadata[]; TotalCount: number };
    const dks = await json<DkList>(["datakeys", "list", "--member-accounts", memberUin], asOrg);
    expect(dks.DataKeyMetadatas.map((d) => [d.DataKeyId, d.AccountUin])).toEqual([[memberDataKey, memberUin]]);
    expect((await json<{ DataKeyMetadata: Metadata }>(["datakeys", "describe", memberDataKey, ...m], asOrg)).DataKeyMetadata.DataKeyName).toBe("payments-dk");
    expect(await json(["datakeys", "rename", memberDataKey, "payments-dk-2", ...m], asOrg)).toEqual({});
    expect(await json(["datakeys", "update-description", memberDataKey, "renamed by the group", ...m], asOrg)).toEqual({});
    const blob = await kms(["datakeys", "ciphertext", memberDataKey, ...m], asOrg);
    expect(blob.stdout).toEqual(Buffer.from((await member.datakeys.getDataKeyCiphertextBlob({ dataKeyId: memberDataKey })).ciphertextBlob));
    expect(await json(["datakeys", "disable", memberDataKey, ...m], asOrg)).toEqual({});
    expect(await json(["datakeys", "schedule-deletion", memberDataKey, "--days", "7", ...m], asOrg)).toMatchObject({ DataKeyId: memberDataKey });
    expect(await json(["datakeys", "cancel-deletion", memberDataKey, ...m], asOrg)).toEqual({ DataKeyId: memberDataKey });
    expect(await json(["datakeys", "enable", memberDataKey, ...m], asOrg)).toEqual({});
    expect(await describe1(memberDataKey, member)).toMatchObject({ dataKeyName: "payments-dk-2", description: "renamed by the group", keyState: DataKeyState.ENABLED });

    // Without --member-account the organisation sees its own account, where neither exists.
    await refused(["keys", "describe", memberKey], 1, /^kms: ResourceUnavailable\.CmkNotFound: /, asOrg);
    await refused(["datakeys", "describe", memberDataKey], 1, /^kms: ResourceUnavailable\.DataKeyNotFound: /, asOrg);
    // Not a member (the outsider left the organisation), or the member acting on its organisation: refused alike.
    const notMember = new RegExp(`^kms: UnauthorizedOperation: not allowed to act on member account ${outsiderUin}: it is not a member of the caller's organisation\\n$`);
    await refused(["keys", "list", "--member-accounts", outsiderUin], 1, notMember, asOrg);
    await refused(["datakeys", "list", "--member-accounts", outsiderUin], 1, notMember, asOrg);
    await refused(["keys", "disable", memberKey, "--member-account", outsiderUin], 1, notMember, asOrg);
    await refused(["datakeys", "describe", memberDataKey, "--member-account", orgUin], 1, /^kms: ResourceUnavailable\.DataKeyNotFound: /, asOrg);
    await refused(["keys", "list", "--member-accounts", orgUin], 1, /^kms: UnauthorizedOperation: /, { token: memberToken });
    await refused(["keys", "list", "--member-accounts", `${memberUin},`], 2, /^kms: option '--member-accounts <uins>' argument '200000000002,' is invalid\. must be uins separated by commas/, asOrg);
    await refused(["datakeys", "disable", memberDataKey, "--member-account", "-1"], 2, /^kms: option '--member-account <uin>' argument '-1' is invalid/, asOrg);
    expect((await describe1(memberDataKey, member)).keyState).toBe(DataKeyState.ENABLED);

    // Audited in the member's trail too, naming the member.
    await server.server.audit.flush();
    const seen = await member.admin.queryAuditEvents({ action: "kms:DisableKey", limit: 10 });
    expect(seen.events.map((e) => [String(e.accountUin), e.memberAccountUins.map(String)])).toEqual([[orgUin, [memberUin]]]);
  });
});
