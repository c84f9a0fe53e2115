/**
 * The `kms` command line, run as a user runs it: bin/kms.mjs as a child
 * process (running the bundle `npm run build` makes, built here into a temp
 * tree so this file never races another writing dist/), against a real
 * server, with the endpoint and token in the environment, a private HOME
 * for the config file, and files in a temp dir.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CHUNK = 64 * 1024;
const FRAME = CHUNK + 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let work: string;
let bin: string;
let home: string;

/** bin/kms.mjs beside dist/kms.js, bundled with the options of package.json's build script. */
async function buildCli(root: string): Promise<string> {
  await mkdir(join(root, "bin"), { recursive: true });
  await copyFile(join(REPO, "bin/kms.mjs"), join(root, "bin/kms.mjs"));
  await copyFile(join(REPO, "package.json"), join(root, "package.json"));
  await build({
    entryPoints: [join(REPO, "src/cli/kms/kms.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: join(root, "dist/kms.js"),
    logLevel: "warning",
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return join(root, "bin/kms.mjs");
}

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

interface RunOptions {
  /** Added to (or, when undefined, removed from) the default environment. */
  env?: Record<string, string | undefined>;
  /** Piped to stdin. */
  input?: Buffer;
  /** Given as stdin the way `< file` does (a regular file). */
  stdinFile?: string;
  cwd?: string;
}

/** The runner's environment without KMS_* or XDG settings, so only what a test passes counts. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("KMS_") && !k.startsWith("XDG_")) env[k] = v;
  return env;
}

function envFor(s: TestServer | undefined, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...baseEnv(), HOME: home, ...(s ? { KMS_ENDPOINT: s.grpcUrl, KMS_TOKEN: s.token } : {}) };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

let server: TestServer;

function runWith(s: TestServer | undefined, args: string[], o: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const stdinFd = o.stdinFile !== undefined ? openSync(o.stdinFile, "r") : undefined;
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: o.cwd ?? work,
      env: envFor(s, o.env),
      stdio: [stdinFd ?? (o.input ? "pipe" : "ignore"), "pipe", "pipe"],
    });
    if (stdinFd !== undefined) closeSync(stdinFd);
    const out: Buffer[] = [];
    let err = "";
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    if (o.input) {
      // The CLI may stop reading early (refused input): that is not the test's failure.
      child.stdin!.on("error", () => undefined);
      child.stdin!.end(o.input);
    }
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** `kms` against the shared server, endpoint and token from the environment. */
const kms = (args: string[], o: RunOptions = {}) => runWith(server, args, o);

/** Runs and parses stdout as JSON, expecting exit 0. */
async function json<T = Record<string, unknown>>(args: string[], o: RunOptions = {}): Promise<T> {
  const r = await kms(["--output", "json", ...args], o);
  expect(r.stderr, args.join(" ")).toBe("");
  expect(r.code, args.join(" ")).toBe(0);
  return JSON.parse(r.stdout.toString()) as T;
}

interface KeyMetadataJson {
  KeyId: string;
  Alias: string;
  KeyState: string;
  DeletionDate: string;
  [k: string]: unknown;
}

async function createKey(alias: string, extra: string[] = []): Promise<string> {
  const created = await json<{ KeyId: string }>(["keys", "create", "--alias", alias, ...extra]);
  return created.KeyId;
}

async function describeKey(keyId: string): Promise<KeyMetadataJson> {
  return (await json<{ KeyMetadata: KeyMetadataJson }>(["keys", "describe", keyId])).KeyMetadata;
}

/** Runs `fn` over `items`, at most `width` at a time (each is a process; the machine has 2 cores). */
async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "kms-cli-"));
  home = join(work, "home");
  await mkdir(home);
  [bin, server] = await Promise.all([buildCli(join(work, "cli")), startTestServer()]);
}, 60_000);

afterAll(async () => {
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a key's life", () => {
  it("create, describe, list, disable, enable, schedule and cancel deletion, with exact fields", async () => {
    const created = await json<Record<string, unknown>>(["keys", "create", "--alias", "cli-life", "--description", "life of a key", "--tag", "team=payments"]);
    expect(Object.keys(created).sort()).toEqual(["Alias", "CreateTime", "Description", "HsmClusterId", "KeyId", "KeyState", "KeyUsage", "TagCode", "TagMsg"]);
    const keyId = created.KeyId as string;
    const nowSeconds = Math.floor(server.clock.now() / 1000);
    expect(created).toEqual({
      KeyId: expect.stringMatching(UUID),
      Alias: "cli-life",
      CreateTime: String(nowSeconds),
      Description: "life of a key",
      HsmClusterId: "tc-kms-cluster",
      KeyState: "KEY_STATE_ENABLED",
      KeyUsage: "KEY_USAGE_ENCRYPT_DECRYPT",
      TagCode: 0,
      TagMsg: "Success",
    });

    const described = await describeKey(keyId);
    expect(described).toEqual({
      KeyId: keyId,
      Alias: "cli-life",
      CreateTime: String(nowSeconds),
      Description: "life of a key",
      KeyState: "KEY_STATE_ENABLED",
      KeyUsage: "KEY_USAGE_ENCRYPT_DECRYPT",
      Type: 2,
      CreatorUin: "100000000001",
      KeyRotationEnabled: false,
      Owner: "user",
      NextRotateTime: "0",
      DeletionDate: "0",
      Origin: "ORIGIN_TENCENT_KMS",
      ValidTo: "0",
      ResourceId: `creatorUin/100000000001/${keyId}`,
      RotateDays: 0,
      LastRotateTime: "0",
      CreatorUinString: "100000000001",
      primaryVersion: 1,
      versionCount: 1,
      tags: [{ TagKey: "team", TagValue: "payments" }],
      bindings: [],
      HsmClusterId: "tc-kms-cluster",
      IsSyncReplica: 0,
      SourceRegion: "",
      SyncStatus: 0,
      SyncMessages: "",
      SyncStartTime: "0",
      SyncEndTime: "0",
      SourceHsmClusterId: "",
      AccountAppId: "0",
      AccountUin: "100000000001",
      AccountName: "default",
    });

    // A table for people: the API's spellings, ISO times, "-" for unset.
    const table = await kms(["--output", "table", "keys", "describe", keyId]);
    expect(table.code).toBe(0);
    const lines = table.stdout.toString().split("\n");
    expect(lines).toContain(`KeyId               ${keyId}`);
    expect(lines).toContain("KeyState            Enabled");
    expect(lines).toContain(`CreateTime          ${new Date(nowSeconds * 1000).toISOString().replace(".000Z", "Z")}`);
    expect(lines).toContain("DeletionDate        -");
    expect(lines).toContain("Origin              TENCENT_KMS");

    const listed = await json<{ TotalCount: number; KeyMetadatas: KeyMetadataJson[] }>(["keys", "list", "--search", "cli-life"]);
    expect(listed.TotalCount).toBe(1);
    expect(listed.KeyMetadatas.map((k) => k.KeyId)).toEqual([keyId]);

    expect(await json(["keys", "disable", keyId])).toEqual({});
    expect((await describeKey(keyId)).KeyState).toBe("KEY_STATE_DISABLED");
    expect((await json<{ TotalCount: number }>(["keys", "list", "--search", "cli-life", "--state", "Enabled"])).TotalCount).toBe(0);
    expect((await json<{ TotalCount: number }>(["keys", "list", "--search", "cli-life", "--state", "DISABLED"])).TotalCount).toBe(1);
    expect(await json(["keys", "enable", keyId])).toEqual({});
    expect((await describeKey(keyId)).KeyState).toBe("KEY_STATE_ENABLED");

    expect(await json(["keys", "update-alias", keyId, "cli-life-2"])).toEqual({});
    expect(await json(["keys", "update-description", keyId, "renamed"])).toEqual({});
    expect(await describeKey(keyId)).toMatchObject({ Alias: "cli-life-2", Description: "renamed" });

    // Only a disabled key may be scheduled for deletion.
    const refused = await kms(["keys", "schedule-deletion", keyId]);
    expect(refused).toMatchObject({ code: 1, stderr: `kms: ResourceUnavailable.CmkShouldBeDisabled: ScheduleKeyDeletion is not allowed for key ${keyId} in state Enabled\n` });
    expect(await json(["keys", "disable", keyId])).toEqual({});
    const deletionDate = String(nowSeconds + 7 * 86_400);
    expect(await json(["keys", "schedule-deletion", keyId, "--days", "7"])).toEqual({ DeletionDate: deletionDate, KeyId: keyId });
    expect(await describeKey(keyId)).toMatchObject({ KeyState: "KEY_STATE_PENDING_DELETE", DeletionDate: deletionDate });
    expect(await json(["keys", "cancel-deletion", keyId])).toEqual({ KeyId: keyId });
    expect(await describeKey(keyId)).toMatchObject({ KeyState: "KEY_STATE_DISABLED", DeletionDate: "0" });
  });

  it("lists with ListKeyDetail's filters, order and paging", async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push(await createKey(`cli-page-${n}`));
      server.clock.advance(1000);
    }
    const signer = await createKey("cli-page-signer", ["--usage", "ASYMMETRIC_SIGN_VERIFY_ECC"]);
    type Page = { TotalCount: number; KeyMetadatas: KeyMetadataJson[] };
    const page = (args: string[]) => json<Page>(["keys", "list", "--search", "cli-page-", ...args]);

    // Every usage unless one is asked for.
    expect((await page([])).TotalCount).toBe(4);
    expect((await page(["--usage", "ENCRYPT_DECRYPT"])).KeyMetadatas.map((k) => k.KeyId).sort()).toEqual([...ids].sort());
    expect((await page(["--usage", "ASYMMETRIC_SIGN_VERIFY_ECC"])).KeyMetadatas.map((k) => k.KeyId)).toEqual([signer]);

    const first = await page(["--usage", "ENCRYPT_DECRYPT", "--oldest-first", "--limit", "2"]);
    expect(first).toMatchObject({ TotalCount: 3 });
    expect(first.KeyMetadatas.map((k) => k.KeyId)).toEqual(ids.slice(0, 2));
    const rest = await page(["--usage", "ENCRYPT_DECRYPT", "--oldest-first", "--limit", "2", "--offset", "2"]);
    expect(rest.KeyMetadatas.map((k) => k.KeyId)).toEqual(ids.slice(2));
    const newest = await page(["--usage", "ENCRYPT_DECRYPT", "--limit", "1"]);
    expect(newest.KeyMetadatas.map((k) => k.KeyId)).toEqual([ids[2]]);
    const all = await page(["--all", "--oldest-first"]);
    expect(all.TotalCount).toBe(4);
    expect(all.KeyMetadatas.map((k) => k.KeyId)).toEqual([...ids, signer]);

    const table = await kms(["--output", "table", "keys", "list", "--search", "cli-page-", "--oldest-first"]);
    const rows = table.stdout.toString().trimEnd().split("\n");
    expect(rows[0]).toMatch(/^KeyId\s+Alias\s+KeyState\s+KeyUsage\s+Origin\s+CreateTime\s+Description$/);
    expect(rows[1]).toMatch(new RegExp(`^${ids[0]}\\s+cli-page-1\\s+Enabled\\s+ENCRYPT_DECRYPT\\s+TENCENT_KMS\\s`));
    expect(rows.at(-1)).toBe("TotalCount  4");
  });

  it("rotates and manages versions", async () => {
    const keyId = await createKey("cli-versions");
    expect(await json(["keys", "rotation", "enable", keyId, "--days", "30"])).toEqual({});
    expect(await json(["keys", "rotation", "status", keyId])).toEqual({ KeyRotationEnabled: true });
    expect(await json(["keys", "rotation", "rotate-now", keyId])).toEqual({ TaskId: expect.any(String) });
    const { versions } = await json<{ versions: { version: number; state: string; primary: boolean }[] }>(["versions", "list", keyId]);
    expect(versions.map((v) => [v.version, v.state, v.primary])).toEqual([
      [1, "KEY_VERSION_STATE_ENABLED", false],
      [2, "KEY_VERSION_STATE_ENABLED", true],
    ]);
    expect(await json(["versions", "disable", keyId, "1"])).toEqual({});
    expect((await json<{ version: { state: string } }>(["versions", "describe", keyId, "1"])).version.state).toBe("KEY_VERSION_STATE_DISABLED");
    const scheduled = await json<{ deletionDate: string }>(["versions", "schedule-deletion", keyId, "1", "--days", "10"]);
    expect(scheduled.deletionDate).toBe(String(Math.floor(server.clock.now() / 1000) + 10 * 86_400));
    expect(await json(["versions", "cancel-deletion", keyId, "1"])).toEqual({});
    expect(await json(["versions", "enable", keyId, "1"])).toEqual({});
    expect(await json(["keys", "rotation", "disable", keyId])).toEqual({});
    expect(await json(["keys", "rotation", "status", keyId])).toEqual({ KeyRotationEnabled: false });
  });
});

describe("kms encrypt / kms decrypt", () => {
  let keyId: string;
  let dir: string;
  let plain: Buffer;
  let plainFile: string;
  let sealedFile: string;
  /** A small file under the same key and context, for header swaps. */
  let other: Buffer;
  const context = '{"app":"orders","env":"test"}';

  beforeAll(async () => {
    keyId = await createKey("cli-files");
    dir = join(work, "files");
    await mkdir(dir);
    // Several MiB, not a multiple of the chunk size.
    plain = randomBytes(5 * 1024 * 1024 + 12_345);
    plainFile = join(dir, "plain.bin");
    sealedFile = join(dir, "plain.kmse");
    await writeFile(plainFile, plain);
    const r = await kms(["encrypt", "--key", keyId, "--context", context, "-i", plainFile, "-o", sealedFile]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.length).toBe(0);
    other = (await kms(["encrypt", "--key", keyId, "--context", context], { input: plain.subarray(0, 1000) })).stdout;
  });

  async function headerLength(file: string): Promise<number> {
    const b = await readFile(file);
    return 20 + b.readUInt16BE(18);
  }

  it("round-trips a file of several MiB through files, with the documented layout", async () => {
    const sealed = await readFile(sealedFile);
    expect(sealed.subarray(0, 6)).toEqual(Buffer.from([0x4b, 0x4d, 0x53, 0x45, 1, 1])); // "KMSE", version 1, AES-256-GCM
    expect(sealed.readUInt32BE(6)).toBe(CHUNK);
    const chunks = Math.ceil(plain.length / CHUNK);
    expect(sealed.length).toBe((await headerLength(sealedFile)) + plain.length + chunks * 16);

    const out = join(dir, "plain.out");
    const r = await kms(["decrypt", "--context", context, "-i", sealedFile, "-o", out]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(sha256(await readFile(out))).toBe(sha256(plain));
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it("round-trips through stdin and stdout, piped and redirected", async () => {
    const enc = await kms(["encrypt", "--key", keyId, "--context", context], { input: plain });
    expect(enc.code).toBe(0);
    const piped = await kms(["decrypt", "--context", context], { input: enc.stdout });
    expect(piped.code).toBe(0);
    expect(sha256(piped.stdout)).toBe(sha256(plain));
    const streamed = await kms(["decrypt", "--stream", "--context", context], { input: enc.stdout });
    expect(sha256(streamed.stdout)).toBe(sha256(plain));
    const redirected = await kms(["decrypt", "--context", context], { stdinFile: sealedFile });
    expect(redirected.code).toBe(0);
    expect(sha256(redirected.stdout)).toBe(sha256(plain));
    // A fresh data key and nonce prefix each time: the same input never encrypts the same.
    const again = await readFile(sealedFile);
    expect(enc.stdout.subarray(10, 18).equals(again.subarray(10, 18))).toBe(false);
    expect(enc.stdout.subarray(20, 60).equals(again.subarray(20, 60))).toBe(false);
  });

  it("round-trips an empty file, and an input of exactly two chunks", async () => {
    const empty = join(dir, "empty");
    await writeFile(empty, "");
    const sealed = join(dir, "empty.kmse");
    expect((await kms(["encrypt", "--key", keyId, "-i", empty, "-o", sealed])).code).toBe(0);
    expect((await stat(sealed)).size).toBe((await headerLength(sealed)) + 16);
    const out = join(dir, "empty.out");
    expect(await kms(["decrypt", "-i", sealed, "-o", out])).toMatchObject({ code: 0, stderr: "" });
    expect((await stat(out)).size).toBe(0);
    const piped = await kms(["decrypt"], { input: await readFile(sealed) });
    expect(piped).toMatchObject({ code: 0, stderr: "" });
    expect(piped.stdout.length).toBe(0);

    const exact = randomBytes(2 * CHUNK);
    const enc = await kms(["encrypt", "--key", keyId], { input: exact });
    expect(enc.stdout.length).toBe(20 + enc.stdout.readUInt16BE(18) + exact.length + 2 * 16);
    expect(sha256((await kms(["decrypt"], { input: enc.stdout })).stdout)).toBe(sha256(exact));
  });

  /** Each way of altering a sealed file: [name, transform, exit code, message]. */
  const alterations: [string, (b: Buffer, other: Buffer) => Buffer, number, RegExp][] = [
    ["a flipped byte in chunk 2", (b) => flip(b, hl(b) + 2 * FRAME + 100), 4, /^kms: chunk 2 does not authenticate/],
    ["a flipped tag byte of the final chunk", (b) => flip(b, b.length - 1), 4, /^kms: chunk 80 does not authenticate/],
    ["truncation at a chunk boundary", (b) => b.subarray(0, hl(b) + 5 * FRAME), 4, /^kms: chunk 4 does not authenticate/],
    ["truncation inside a chunk", (b) => b.subarray(0, hl(b) + 5 * FRAME + 1000), 4, /^kms: chunk 5 does not authenticate/],
    ["the final chunk dropped", (b) => b.subarray(0, hl(b) + 80 * FRAME), 4, /^kms: chunk 79 does not authenticate/],
    ["truncation inside the header", (b) => b.subarray(0, 40), 4, /^kms: the file ends inside its header/],
    ["chunks 0 and 1 swapped", (b) => swap(b, hl(b), hl(b) + FRAME), 4, /^kms: chunk 0 does not authenticate/],
    ["a byte appended", (b) => Buffer.concat([b, Buffer.from([0])]), 4, /^kms: chunk 80 does not authenticate/],
    ["another file's wrapped key", (b, other) => Buffer.concat([b.subarray(0, 18), other.subarray(18, hl(other)), b.subarray(hl(b))]), 1, /^kms: FailedOperation\.DecryptError: /],
    ["another file's whole header", (b, other) => Buffer.concat([other.subarray(0, hl(other)), b.subarray(hl(b))]), 4, /^kms: chunk 0 does not authenticate/],
    ["a changed nonce prefix", (b) => flip(b, 12), 1, /^kms: FailedOperation\.DecryptError: /],
    ["a changed chunk size", (b) => withUInt32(b, 6, 32 * 1024), 1, /^kms: FailedOperation\.DecryptError: /],
    ["an unknown version", (b) => withByte(b, 4, 2), 4, /^kms: unsupported format version 2/],
    ["no header at all", (b) => b.subarray(hl(b)), 4, /^kms: not a kms-encrypted file/],
  ];

  it.each(alterations)("refuses %s, writing no plaintext anywhere", async (_name, alter, code, message) => {
    const sealed = await readFile(sealedFile);
    const altered = join(dir, `altered-${randomBytes(4).toString("hex")}`);
    await writeFile(altered, alter(sealed, other));
    const out = `${altered}.out`;
    const before = await readdir(dir);

    // To a file, from a pipe to stdout (spooled), from a redirected file to stdout (read twice).
    const [toFile, piped, redirected] = await Promise.all([
      kms(["decrypt", "--context", context, "-i", altered, "-o", out]),
      kms(["decrypt", "--context", context], { input: await readFile(altered) }),
      kms(["decrypt", "--context", context], { stdinFile: altered }),
    ]);
    for (const r of [toFile, piped, redirected]) {
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stdout.length).toBe(0);
    }
    expect(await readdir(dir)).toEqual(before); // no output, no temporary file left
    await rm(altered);
  });

  it("with --stream, stops at the first bad chunk after writing only authentic chunks", async () => {
    const sealed = await readFile(sealedFile);
    const r = await kms(["decrypt", "--stream", "--context", context], { input: flip(sealed, hl(sealed) + 3 * FRAME + 7) });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^kms: chunk 3 does not authenticate/);
    // Chunks 0 to 2 authenticated (chunk 2 is known not to be final once chunk 3 arrives).
    expect(r.stdout.equals(plain.subarray(0, 3 * CHUNK))).toBe(true);
  });

  it("refuses a wrong or missing context at the KMS, and a context using the reserved member", async () => {
    for (const args of [["--context", '{"app":"orders","env":"prod"}'], ["--context", '{"app":"orders"}'], []]) {
      const out = join(dir, "wrong.out");
      const r = await kms(["decrypt", ...args, "-i", sealedFile, "-o", out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("kms: FailedOperation.DecryptError: decryption failed: the ciphertext or its encryption context does not match\n");
      await expect(stat(out)).rejects.toThrow();
    }
    // Members in another order are the same context.
    const reordered = await kms(["decrypt", "--context", '{"env":"test","app":"orders"}', "-i", sealedFile]);
    expect(sha256(reordered.stdout)).toBe(sha256(plain));

    const reserved = await kms(["encrypt", "--key", keyId, "--context", '{"kms-file":"x"}'], { input: Buffer.from("x") });
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/must not use the member "kms-file"/);
    const notObject = await kms(["encrypt", "--key", keyId, "--context", "[1]"], { input: Buffer.from("x") });
    expect(notObject.code).toBe(2);
  });

  it("keeps decrypting under an archived key, which no longer encrypts", async () => {
    const archived = await createKey("cli-files-archived");
    const sealed = await kms(["encrypt", "--key", archived], { input: Buffer.from("kept") });
    expect(await json(["keys", "archive", archived])).toEqual({});
    expect((await describeKey(archived)).KeyState).toBe("KEY_STATE_ARCHIVED");
    const refused = await kms(["encrypt", "--key", archived], { input: Buffer.from("new") });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kms: ResourceUnavailable\.CmkArchived: /);
    expect(refused.stdout.length).toBe(0);
    expect((await kms(["decrypt"], { input: sealed.stdout })).stdout.toString()).toBe("kept");
    expect(await json(["keys", "unarchive", archived])).toEqual({});
    expect((await describeKey(archived)).KeyState).toBe("KEY_STATE_ENABLED");
  });

  it("names the API code when the key cannot encrypt, and writes nothing", async () => {
    const signer = await createKey("cli-files-signer", ["--usage", "ASYMMETRIC_SIGN_VERIFY_ECC"]);
    const out = join(dir, "never.kmse");
    const r = await kms(["encrypt", "--key", signer, "-i", plainFile, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kms: InvalidParameterValue.InvalidKeyUsage: key ${signer} (ASYMMETRIC_SIGN_VERIFY_ECC) does not allow this operation\n`);
    await expect(stat(out)).rejects.toThrow();
    const missing = await kms(["encrypt", "--key", keyId, "-i", join(dir, "no-such-file"), "-o", out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^kms: cannot read .*no-such-file: ENOENT/);
  });

  it("keeps memory bounded on a 200 MiB stream piped through encrypt and decrypt", async () => {
    const total = 200 * 1024 * 1024;
    const block = randomBytes(1024 * 1024);
    const env = envFor(server);
    const encrypt = spawn(process.execPath, [bin, "encrypt", "--key", keyId, "--context", context], { cwd: work, env, stdio: ["pipe", "pipe", "pipe"] });
    const decrypt = spawn(process.execPath, [bin, "decrypt", "--context", context], { cwd: work, env, stdio: [encrypt.stdout!, "pipe", "pipe"] });
    const peaks = { encrypt: 0, decrypt: 0 };
    const sample = setInterval(() => {
      peaks.encrypt = Math.max(peaks.encrypt, peakRss(encrypt.pid));
      peaks.decrypt = Math.max(peaks.decrypt, peakRss(decrypt.pid));
    }, 20);
    const started = Date.now();
    const inHash = createHash("sha256");
    const outHash = createHash("sha256");
    let outBytes = 0;
    decrypt.stdout!.on("data", (d: Buffer) => {
      outHash.update(d);
      outBytes += d.length;
    });
    let stderr = "";
    encrypt.stderr!.on("data", (d: Buffer) => (stderr += d));
    decrypt.stderr!.on("data", (d: Buffer) => (stderr += d));
    // encrypt's stdout is decrypt's stdin, never read here: wait for its exit, not for its streams to close.
    const exits = Promise.all([new Promise((r) => encrypt.on("exit", r)), new Promise((r) => decrypt.on("close", r))]);
    for (let sent = 0, i = 0; sent < total; sent += block.length, i++) {
      block.writeUInt32BE(i, 0); // no two blocks alike
      inHash.update(block);
      if (!encrypt.stdin!.write(Buffer.from(block))) await new Promise((r) => encrypt.stdin!.once("drain", r));
    }
    encrypt.stdin!.end();
    const codes = await exits;
    clearInterval(sample);
    const seconds = (Date.now() - started) / 1000;
    expect(stderr).toBe("");
    expect(codes).toEqual([0, 0]);
    expect(outBytes).toBe(total);
    expect(outHash.digest("hex")).toBe(inHash.digest("hex"));
    const mib = (kb: number) => (kb / 1024).toFixed(1);
    console.log(`200 MiB piped: encrypt peak RSS ${mib(peaks.encrypt)} MiB, decrypt peak RSS ${mib(peaks.decrypt)} MiB, ${(200 / seconds).toFixed(0)} MiB/s end to end`);
    expect(peaks.encrypt).toBeGreaterThan(0);
    expect(peaks.encrypt).toBeLessThan(150 * 1024);
    expect(peaks.decrypt).toBeLessThan(150 * 1024);
  }, 180_000);
});

/** Peak resident set (VmHWM, KiB) of a running process; 0 once it is gone. */
function peakRss(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function hl(b: Buffer): number {
  return 20 + b.readUInt16BE(18);
}

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at]! ^= 0x01;
  return c;
}

function withByte(b: Buffer, at: number, value: number): Buffer {
  const c = Buffer.from(b);
  c[at] = value;
  return c;
}

function withUInt32(b: Buffer, at: number, value: number): Buffer {
  const c = Buffer.from(b);
  c.writeUInt32BE(value, at);
  return c;
}

function swap(b: Buffer, i: number, j: number): Buffer {
  const c = Buffer.from(b);
  b.copy(c, i, j, j + FRAME);
  b.copy(c, j, i, i + FRAME);
  return c;
}

describe("bin/kms.mjs", () => {
  it("runs the TypeScript source through tsx when there is no bundle", async () => {
    const tree = await mkdtemp(join(work, "no-bundle-"));
    await mkdir(join(tree, "bin"));
    await copyFile(join(REPO, "bin/kms.mjs"), join(tree, "bin/kms.mjs"));
    await symlink(join(REPO, "src"), join(tree, "src"));
    await symlink(join(REPO, "node_modules"), join(tree, "node_modules"));
    const r = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [join(tree, "bin/kms.mjs"), "--output", "json", "random", "--bytes", "5"], { env: envFor(server) }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout: Buffer.from(stdout), stderr }),
      );
    });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(Buffer.from(JSON.parse(r.stdout.toString()).Plaintext, "base64")).toHaveLength(5);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("errors and exit codes", () => {
  it("prints the API code and exits 1 when the service refuses", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const r = await kms(["keys", "describe", missing]);
    expect(r).toMatchObject({ code: 1, stderr: `kms: ResourceUnavailable.CmkNotFound: key ${missing} does not exist\n` });
    expect(r.stdout.length).toBe(0);
    const invalid = await kms(["keys", "describe", "not-a-key"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^kms: InvalidParameterValue\.InvalidKeyId: /);
    const taken = await kms(["keys", "create", "--alias", "cli-taken"]);
    expect(taken.code).toBe(0);
    const again = await kms(["keys", "create", "--alias", "cli-taken"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^kms: InvalidParameterValue\.AliasAlreadyExists: /);
    // --debug adds the RequestId the service gave.
    const debug = await kms(["--debug", "keys", "describe", missing]);
    expect(debug.stderr).toMatch(/\nkms: RequestId [0-9a-f-]{36}\n$/);
  });

  it("exits 3 for a bad token and for an endpoint that does not answer", async () => {
    const bad = await kms(["keys", "list"], { env: { KMS_TOKEN: "not-a-token" } });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^kms: AuthFailure\.TokenFailure: /);
    const port = await closedPort();
    const down = await kms(["keys", "list"], { env: { KMS_ENDPOINT: `127.0.0.1:${port}` } });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(new RegExp(`^kms: cannot reach http://127\\.0\\.0\\.1:${port}: `));
  });

  it("exits 2 for usage errors, before any call", async () => {
    const cases: [string[], RegExp][] = [
      [["keys", "frobnicate"], /unknown command 'frobnicate'/],
      [["keys", "list", "--bogus"], /unknown option '--bogus'/],
      [["keys", "list", "--state", "Sleeping"], /must be one of ENABLED, DISABLED, PENDING_DELETE, PENDING_IMPORT, ARCHIVED/],
      [["keys", "list", "--limit", "201"], /must be an integer from 1 to 200/],
      [["keys", "create"], /required option '--alias <alias>' not specified/],
      [["keys", "schedule-deletion", "k", "--days", "3"], /must be an integer from 7 to 30/],
      [["--output", "yaml", "keys", "list"], /Allowed choices are json, table/],
      [["asym", "sign", "k", "--algorithm", "ECC_P256_R1"], /exactly one of --in FILE, --text or --base64/],
      [["keys"], /Usage: kms keys/],
      [[], /Usage: kms/],
    ];
    // An endpoint that would fail with 3 proves no call was made.
    const runs = await inParallel(cases, 4, ([args]) => kms(args, { env: { KMS_ENDPOINT: "127.0.0.1:1" } }));
    cases.forEach(([args, message], i) => {
      expect(runs[i]!.code, args.join(" ")).toBe(2);
      expect(runs[i]!.stderr, args.join(" ")).toMatch(message);
    });
    expect((await kms(["--help"])).code).toBe(0);
    const version = await kms(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.toString()).toBe(`${JSON.parse(await readFile(join(REPO, "package.json"), "utf8")).version}\n`);
  });
});

describe("profiles: flags, then environment, then config file", () => {
  const configFile = () => join(home, ".config/kms/config.json");

  afterAll(async () => {
    await rm(join(home, ".config"), { recursive: true, force: true });
  });

  it("kms configure writes a 0600 profile, and flags beat env beat file", async () => {
    const port = await closedPort();
    const tokenFile = join(work, "token");
    await writeFile(tokenFile, `${server.token}\n`);
    const noProfileEnv = { KMS_ENDPOINT: undefined, KMS_TOKEN: undefined };

    const wrote = await runWith(undefined, ["configure", "--endpoint", server.grpcUrl, "--token", "bad-token-from-file"], { env: noProfileEnv });
    expect(wrote.code).toBe(0);
    expect(wrote.stderr).toBe(`kms: wrote profile "default" to ${configFile()}\n`);
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, ".config/kms"))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(configFile(), "utf8"))).toEqual({ profiles: { default: { endpoint: server.grpcUrl, token: "bad-token-from-file" } } });

    const show = async (env: Record<string, string | undefined>, args: string[] = []) => {
      const r = await runWith(undefined, ["--output", "json", ...args, "configure", "show"], { env: { ...noProfileEnv, ...env } });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    };
    const call = (env: Record<string, string | undefined>, args: string[] = []) => runWith(undefined, [...args, "random", "--bytes", "4"], { env: { ...noProfileEnv, ...env } });

    // The file alone: its endpoint, its (bad) token.
    expect(await show({})).toMatchObject({ profile: "default", endpoint: server.grpcUrl, endpointFrom: "file", token: "set", tokenFrom: "file" });
    expect((await call({})).code).toBe(3);
    // The environment beats the file...
    expect(await show({ KMS_TOKEN: server.token })).toMatchObject({ tokenFrom: "env" });
    expect((await call({ KMS_TOKEN: server.token })).code).toBe(0);
    expect((await call({ KMS_TOKEN: server.token, KMS_ENDPOINT: `127.0.0.1:${port}` })).code).toBe(3);
    // ...and a flag beats the environment.
    expect((await call({ KMS_TOKEN: server.token }, ["--token", "bad-token-from-flag"])).code).toBe(3);
    expect((await call({ KMS_TOKEN: "bad-token-from-env" }, ["--token-file", tokenFile])).code).toBe(0);
    expect(await show({ KMS_TOKEN: "x" }, ["--token-file", tokenFile])).toMatchObject({ tokenFrom: "flag" });
    expect((await call({ KMS_TOKEN: server.token, KMS_ENDPOINT: `127.0.0.1:${port}` }, ["--endpoint", server.grpcUrl])).code).toBe(0);
    expect(await show({ KMS_ENDPOINT: `127.0.0.1:${port}` })).toMatchObject({ endpoint: `http://127.0.0.1:${port}`, endpointFrom: "env" });
    // The output format is a setting too.
    expect(await show({ KMS_OUTPUT: "table" }, ["--output", "json"])).toMatchObject({ output: "json", outputFrom: "flag" });

    // A named profile, chosen by flag or environment; a missing one is a usage error.
    const named = await runWith(undefined, ["--profile", "ci", "configure", "--endpoint", server.grpcUrl, "--token-file", tokenFile, "--output", "json"], { env: noProfileEnv });
    expect(named.code).toBe(0);
    expect(JSON.parse(await readFile(configFile(), "utf8")).profiles.ci).toEqual({ endpoint: server.grpcUrl, tokenFile, output: "json" });
    expect((await call({}, ["--profile", "ci"])).code).toBe(0);
    expect((await call({ KMS_PROFILE: "ci" })).code).toBe(0);
    const missing = await call({}, ["--profile", "nope"]);
    expect(missing).toMatchObject({ code: 2, stderr: `kms: profile "nope" is not in ${configFile()}\n` });

    // Tokens never leave the file through list.
    const list = await runWith(undefined, ["--output", "json", "configure", "list"], { env: noProfileEnv });
    expect(list.stdout.toString()).not.toContain("bad-token-from-file");

    // A config file with a setting it does not know is refused, not ignored.
    await writeFile(configFile(), JSON.stringify({ profiles: { default: { endpoint: server.grpcUrl, tokn: "x" } } }), { mode: 0o600 });
    const typo = await call({});
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/profile "default" has unknown setting "tokn"/);
    await rm(configFile());
  });

  it("falls back to ./data/root-credentials.json for a loopback endpoint, and says so", async () => {
    const cwd = join(work, "local");
    await mkdir(join(cwd, "data"), { recursive: true });
    await writeFile(join(cwd, "data/root-credentials.json"), JSON.stringify({ Uin: "100000000001", Token: server.token }), { mode: 0o600 });
    const env = { KMS_TOKEN: undefined };
    const r = await kms(["random", "--bytes", "4"], { cwd, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("kms: no token given; using the root token in data/root-credentials.json\n");
    // KMS_DATA_DIR moves it, as for the server.
    await mkdir(join(cwd, "elsewhere"));
    await copyFile(join(cwd, "data/root-credentials.json"), join(cwd, "elsewhere/root-credentials.json"));
    const moved = await kms(["random", "--bytes", "4"], { cwd, env: { ...env, KMS_DATA_DIR: "elsewhere" } });
    expect(moved).toMatchObject({ code: 0, stderr: "kms: no token given; using the root token in elsewhere/root-credentials.json\n" });
    // Never for an endpoint off this machine; never when a token is given.
    const remote = await kms(["--output", "json", "configure", "show"], { cwd, env: { ...env, KMS_ENDPOINT: "https://kms.example.com" } });
    expect(JSON.parse(remote.stdout.toString())).toMatchObject({ token: "not set", tokenFrom: null });
    expect(remote.stderr).toBe("");
    const given = await kms(["random", "--bytes", "4"], { cwd });
    expect(given.stderr).toBe("");
    // Without the file, no token: the service answers with its auth code.
    const none = await kms(["random", "--bytes", "4"], { env });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/^kms: AuthFailure\./);
  });
});

describe("--output", () => {
  it("json parses for every kind of answer, table does not", async () => {
    const keyId = await createKey("cli-output");
    const commands = [["keys", "describe", keyId], ["keys", "list", "--limit", "2"], ["versions", "list", keyId], ["random"], ["principals", "list"], ["policies", "list"], ["tokens", "list"], ["access-keys", "list"], ["audit", "query", "--limit", "3"], ["audit", "verify"], ["service", "status"], ["service", "algorithms"], ["keys", "enable", keyId], ["configure", "show"]];
    // Explicitly, and by default (stdout is not a terminal).
    const runs = await inParallel([...commands.map((c) => ["--output", "json", ...c]), ...commands], 4, (args) => kms(args));
    runs.forEach((r, i) => {
      expect(r.code, String(i)).toBe(0);
      expect(() => JSON.parse(r.stdout.toString()), r.stdout.toString()).not.toThrow();
    });
    const table = await kms(["--output", "table", "random", "--bytes", "8"]);
    expect(table.stdout.toString()).toMatch(/^Plaintext {2}[A-Za-z0-9+/]{11}=\n$/);
    expect((await kms(["--output", "table", "keys", "enable", keyId])).stdout.toString()).toBe("");
  });
});

describe("asymmetric, post-quantum, data keys and import", () => {
  const run = promisify(execFile);

  it("signs with a CMK, and OpenSSL verifies with the PEM it exports", async () => {
    const dir = await mkdtemp(join(work, "asym-"));
    const keyId = await createKey("cli-signer", ["--usage", "ASYMMETRIC_SIGN_VERIFY_ECC"]);
    await writeFile(join(dir, "msg"), "signed by kms");
    expect((await kms(["asym", "public-key", keyId, "--out", join(dir, "pub.pem")])).code).toBe(0);
    expect((await kms(["asym", "sign", keyId, "--algorithm", "ECC_P256_R1", "--in", join(dir, "msg"), "--out", join(dir, "sig")])).code).toBe(0);
    const { stdout } = await run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile", "sig", "-digest", "sha256"], { cwd: dir });
    expect(stdout).toMatch(/Signature Verified Successfully/);
    const ok = await json<{ SignatureValid: boolean }>(["asym", "verify", keyId, "--algorithm", "ECC_P256_R1", "--text", "signed by kms", "--signature", join(dir, "sig")]);
    expect(ok).toEqual({ SignatureValid: true });
    const bad = await kms(["--output", "json", "asym", "verify", keyId, "--algorithm", "ECC_P256_R1", "--text", "signed by someone else", "--signature", join(dir, "sig")]);
    expect(bad.code).toBe(4);
    expect(JSON.parse(bad.stdout.toString())).toEqual({ SignatureValid: false });
    expect(bad.stderr).toBe("kms: the signature does not verify\n");
  });

  it("decrypts what OpenSSL encrypts to an RSA CMK", async () => {
    const dir = await mkdtemp(join(work, "rsa-"));
    const keyId = await createKey("cli-rsa", ["--usage", "ASYMMETRIC_DECRYPT_RSA_2048"]);
    await writeFile(join(dir, "msg"), "for the rsa key");
    expect((await kms(["asym", "public-key", keyId, "--out", join(dir, "pub.pem")])).code).toBe(0);
    await run("openssl", ["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-in", "msg", "-out", "ct"], { cwd: dir });
    const r = await kms(["asym", "decrypt", keyId, "--algorithm", "RSAES_OAEP_SHA_256", "--in", join(dir, "ct"), "--out", "-"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.toString()).toBe("for the rsa key");
  });

  it("encrypts and signs with post-quantum keys", async () => {
    const kem = await createKey("cli-ml-kem", ["--usage", "ASYMMETRIC_DECRYPT_ML_KEM_768"]);
    const { CiphertextBlob } = await json<{ CiphertextBlob: string }>(["pq", "encrypt", kem, "--text", "quantum-safe"]);
    const plain = await json<{ PlainText: string; KeyId: string }>(["pq", "decrypt", "--base64", CiphertextBlob]);
    expect(plain).toEqual({ KeyId: kem, PlainText: Buffer.from("quantum-safe").toString("base64") });
    const dsa = await createKey("cli-ml-dsa", ["--usage", "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65"]);
    const { Signature } = await json<{ Signature: string }>(["pq", "sign", dsa, "--text", "m"]);
    expect(await json(["pq", "verify", dsa, "--text", "m", "--signature-base64", Signature])).toEqual({ SignatureValid: true });
    expect((await kms(["pq", "verify", dsa, "--text", "n", "--signature-base64", Signature])).code).toBe(4);
  });

  it("generates data keys and random bytes", async () => {
    const keyId = await createKey("cli-data-keys");
    const dk = await json<{ KeyId: string; Plaintext: string; CiphertextBlob: string }>(["generate-data-key", keyId, "--context", '{"a":"b"}']);
    expect(dk.KeyId).toBe(keyId);
    expect(Buffer.from(dk.Plaintext, "base64")).toHaveLength(32);
    const dir = await mkdtemp(join(work, "dk-"));
    const short = await json<{ Plaintext: string; CiphertextBlob: string }>(["generate-data-key", keyId, "--bytes", "20", "--plaintext-out", join(dir, "key"), "--ciphertext-out", join(dir, "key.enc")]);
    expect(short).toEqual({ KeyId: keyId, Plaintext: "", CiphertextBlob: "", DataKeyId: "", TagCode: 0, TagMsg: "" });
    expect(await readFile(join(dir, "key"))).toHaveLength(20);
    expect((await stat(join(dir, "key"))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, "key.enc"))).length).toBeGreaterThan(20);
    expect(Buffer.from((await json<{ Plaintext: string }>(["random", "--bytes", "48"])).Plaintext, "base64")).toHaveLength(48);
    const raw = await kms(["random", "--bytes", "17", "--out", "-"]);
    expect(raw.stdout).toHaveLength(17);
  });

  it("imports key material, in one step and in two", async () => {
    const dir = await mkdtemp(join(work, "byok-"));
    const material = randomBytes(32);
    await writeFile(join(dir, "material"), material);
    const one = await createKey("cli-byok-1", ["--external"]);
    expect((await describeKey(one)).KeyState).toBe("KEY_STATE_PENDING_IMPORT");
    expect(await json(["keys", "import", "from-file", one, "--material", join(dir, "material")])).toEqual({});
    expect((await describeKey(one)).KeyState).toBe("KEY_STATE_ENABLED");

    const two = await createKey("cli-byok-2", ["--external"]);
    const params = await json<{ ImportToken: string; KeyId: string }>(["keys", "import", "parameters", two, "--public-key-out", join(dir, "wrap.pem")]);
    expect(params.KeyId).toBe(two);
    await run("openssl", ["pkeyutl", "-encrypt", "-pubin", "-inkey", "wrap.pem", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-in", "material", "-out", "wrapped"], { cwd: dir });
    expect(await json(["keys", "import", "material", two, "--import-token", params.ImportToken, "--in", join(dir, "wrapped")])).toEqual({});
    // The same material under both keys: a file encrypted under one is a file the KMS can decrypt (the blob names its key).
    const sealed = await kms(["encrypt", "--key", two], { input: Buffer.from("byok") });
    expect((await kms(["decrypt"], { input: sealed.stdout })).stdout.toString()).toBe("byok");
    expect(await json(["keys", "import", "delete-material", two])).toEqual({});
    expect((await describeKey(two)).KeyState).toBe("KEY_STATE_PENDING_IMPORT");
  });
});

describe("principals, policies, tokens, access keys and audit", () => {
  it("gives a sub-user a policy and a token, then works as that sub-user", async () => {
    const dir = await mkdtemp(join(work, "admin-"));
    const keyId = await createKey("cli-sub-user-key");
    const principal = await json<{ principal: { uin: string; name: string } }>(["principals", "create", "cli-billing", "--description", "billing"]);
    expect(principal.principal).toMatchObject({ name: "cli-billing", root: false, policyNames: [] });
    const policy = { version: "2.0", statement: [{ effect: "allow", action: ["kms:GenerateDataKey", "kms:Decrypt"], resource: ["*"], condition: { string_equal: { "kms:encryption_context/app": ["billing"] } } }] };
    await writeFile(join(dir, "policy.json"), JSON.stringify(policy));
    const created = await json<{ policy: { name: string; attachmentCount: number } }>(["policies", "create", "cli-billing-crypto", "--file", join(dir, "policy.json")]);
    expect(created.policy).toMatchObject({ name: "cli-billing-crypto", attachmentCount: 0 });
    // By name or by uin.
    expect(await json(["policies", "attach", "cli-billing-crypto", "--principal", "cli-billing"])).toEqual({});
    const listed = await json<{ principals: { name: string; policyNames: string[] }[] }>(["principals", "list"]);
    expect(listed.principals.find((p) => p.name === "cli-billing")?.policyNames).toEqual(["cli-billing-crypto"]);

    const token = await json<{ token: { tokenId: string; principalUin: string }; secret: string }>(["tokens", "create", "--principal", principal.principal.uin, "--description", "cli test"]);
    expect(token.token.principalUin).toBe(principal.principal.uin);
    expect(token.secret.startsWith(`${token.token.tokenId}.`)).toBe(true);
    const asSubUser = { KMS_TOKEN: token.secret };

    const sealed = await kms(["encrypt", "--key", keyId, "--context", '{"app":"billing"}'], { input: Buffer.from("invoice"), env: asSubUser });
    expect(sealed).toMatchObject({ code: 0, stderr: "" });
    expect((await kms(["decrypt", "--context", '{"app":"billing"}'], { input: sealed.stdout, env: asSubUser })).stdout.toString()).toBe("invoice");
    const denied = await kms(["encrypt", "--key", keyId, "--context", '{"app":"hr"}'], { input: Buffer.from("x"), env: asSubUser });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^kms: UnauthorizedOperation: /);
    expect((await kms(["keys", "list"], { env: asSubUser })).stderr).toMatch(/^kms: UnauthorizedOperation: /);

    // The audit trail shows the denial, filtered by principal name and result.
    const events = await json<{ events: { action: string; result: string; principalName: string; keyIds: string[] }[]; nextAfterSeq: string }>(["audit", "query", "--principal", "cli-billing", "--result", "UnauthorizedOperation", "--all"]);
    expect(events.events.map((e) => [e.action, e.principalName])).toEqual([
      ["kms:GenerateDataKey", "cli-billing"],
      ["kms:ListKeyDetail", "cli-billing"],
    ]);
    expect(events.nextAfterSeq).toBe("0");
    const paged = await json<{ events: unknown[]; nextAfterSeq: string }>(["audit", "query", "--principal", "cli-billing", "--limit", "1"]);
    expect(paged.events).toHaveLength(1);
    expect(paged.nextAfterSeq).not.toBe("0");
    expect(await json(["audit", "verify"])).toMatchObject({ ok: true, failureSeq: "0" });

    const ak = await json<{ accessKey: { secretId: string; status: string }; secretKey: string }>(["access-keys", "create", "--principal", "cli-billing"]);
    expect(ak.accessKey.status).toBe("ACCESS_KEY_STATUS_ENABLED");
    expect(await json(["access-keys", "disable", ak.accessKey.secretId])).toEqual({});
    const aks = await json<{ accessKeys: { secretId: string; status: string }[] }>(["access-keys", "list", "--principal", "cli-billing"]);
    expect(aks.accessKeys).toEqual([expect.objectContaining({ secretId: ak.accessKey.secretId, status: "ACCESS_KEY_STATUS_DISABLED" })]);
    expect(await json(["access-keys", "delete", ak.accessKey.secretId])).toEqual({});

    await writeFile(join(dir, "policy.json"), JSON.stringify({ ...policy, statement: [{ ...policy.statement[0], action: ["kms:GenerateDataKey"] }] }));
    expect((await json<{ policy: { document: string } }>(["policies", "update", "cli-billing-crypto", "--file", join(dir, "policy.json")])).policy.document).toContain("GenerateDataKey");
    const inUse = await kms(["policies", "delete", "cli-billing-crypto"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^kms: ResourceInUse: /);
    expect(await json(["policies", "detach", "cli-billing-crypto", "--principal", "cli-billing"])).toEqual({});
    expect(await json(["policies", "delete", "cli-billing-crypto"])).toEqual({});
    expect(await json(["tokens", "delete", token.token.tokenId])).toEqual({});
    expect((await kms(["random"], { env: asSubUser })).code).toBe(3);
    expect(await json(["principals", "delete", "cli-billing"])).toEqual({});
    const gone = await kms(["tokens", "list", "--principal", "cli-billing"]);
    expect(gone).toMatchObject({ code: 1, stderr: "kms: ResourceNotFound: no principal named cli-billing\n" });
    const badDoc = await kms(["policies", "create", "p", "--document", "{not json"]);
    expect(badDoc.code).toBe(2);
  });
});

describe("TLS and mutual TLS profiles", () => {
  const run = promisify(execFile);
  let pki: string;
  let tls: TestServer;
  let endpoint: string;

  /** A CA, a server certificate for 127.0.0.1/localhost, and a client certificate whose CN names a sub-user. */
  async function makePki(dir: string): Promise<void> {
    const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await writeFile(
      join(dir, "ext.cnf"),
      "[server]\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n[client]\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
    await openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=kms-cli-test-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    for (const [name, cn, section, serial] of [
      ["server", "localhost", "server", "2"],
      ["client", "cli-mtls", "client", "3"],
    ] as const) {
      await openssl(["req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
      await openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", serial, "-days", "1", "-out", `${name}.pem`, "-extfile", "ext.cnf", "-extensions", section]);
    }
  }

  beforeAll(async () => {
    pki = await mkdtemp(join(work, "pki-"));
    await makePki(pki);
    tls = await startTestServer({ env: { KMS_TLS_CERT: join(pki, "server.pem"), KMS_TLS_KEY: join(pki, "server.key"), KMS_TLS_CLIENT_CA: join(pki, "ca.pem") } });
    endpoint = `https://127.0.0.1:${tls.server.grpc.port}`;
  }, 60_000);

  afterAll(async () => {
    await tls?.dispose();
  });

  const overTls = (args: string[], env: Record<string, string | undefined> = {}) => runWith(undefined, args, { env: { KMS_ENDPOINT: endpoint, KMS_TOKEN: tls.token, ...env } });

  it("verifies the server against the CA file and the server name", async () => {
    expect(await overTls(["--ca-file", join(pki, "ca.pem"), "random", "--bytes", "4"])).toMatchObject({ code: 0, stderr: "" });
    expect(await overTls(["--ca-file", join(pki, "ca.pem"), "--server-name", "localhost", "random"])).toMatchObject({ code: 0 });
    // From the environment, with the scheme inferred from the TLS settings.
    expect(await overTls(["random"], { KMS_ENDPOINT: `127.0.0.1:${tls.server.grpc.port}`, KMS_CA_FILE: join(pki, "ca.pem") })).toMatchObject({ code: 0 });

    const untrusted = await overTls(["random"]);
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toMatch(/^kms: cannot reach https:\/\/127\.0\.0\.1:\d+: .*(self[- ]signed|unable to get local issuer|certificate)/i);
    const wrongName = await overTls(["--ca-file", join(pki, "ca.pem"), "--server-name", "kms.example.com", "random"]);
    expect(wrongName.code).toBe(3);
    expect(wrongName.stderr).toMatch(/kms\.example\.com/);
    const plain = await overTls(["--endpoint", `http://127.0.0.1:${tls.server.grpc.port}`, "--ca-file", join(pki, "ca.pem"), "random"]);
    expect(plain).toMatchObject({ code: 2, stderr: expect.stringMatching(/is plain http, but TLS settings are given/) });
    const halfPair = await overTls(["--ca-file", join(pki, "ca.pem"), "--cert-file", join(pki, "client.pem"), "random"]);
    expect(halfPair).toMatchObject({ code: 2, stderr: "kms: a client certificate needs both --cert-file and --key-file\n" });
  });

  it("authenticates as a sub-user by client certificate, with no token", async () => {
    const ca = ["--ca-file", join(pki, "ca.pem")];
    expect((await overTls([...ca, "principals", "create", "cli-mtls"])).code).toBe(0);
    const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:GenerateRandom"], resource: ["*"] }] });
    expect((await overTls([...ca, "policies", "create", "cli-mtls-random", "--document", doc])).code).toBe(0);
    expect((await overTls([...ca, "policies", "attach", "cli-mtls-random", "--principal", "cli-mtls"])).code).toBe(0);

    const asCert = (args: string[]) => overTls([...ca, "--cert-file", join(pki, "client.pem"), "--key-file", join(pki, "client.key"), ...args], { KMS_TOKEN: undefined });
    const allowed = await asCert(["random", "--bytes", "8"]);
    expect(allowed).toMatchObject({ code: 0, stderr: "" });
    expect(Buffer.from(JSON.parse(allowed.stdout.toString()).Plaintext, "base64")).toHaveLength(8);
    const denied = await asCert(["keys", "list"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^kms: UnauthorizedOperation: /);
    // The same certificate settings from a profile written by kms configure.
    const wrote = await runWith(undefined, ["--profile", "mtls", "configure", "--endpoint", endpoint, ...ca, "--cert-file", join(pki, "client.pem"), "--key-file", join(pki, "client.key")], { env: { KMS_ENDPOINT: undefined, KMS_TOKEN: undefined } });
    expect(wrote.code).toBe(0);
    const fromProfile = await runWith(undefined, ["random"], { env: { KMS_PROFILE: "mtls", KMS_ENDPOINT: undefined, KMS_TOKEN: undefined } });
    expect(fromProfile).toMatchObject({ code: 0, stderr: "" });
    await rm(join(home, ".config"), { recursive: true, force: true });
  });
});
