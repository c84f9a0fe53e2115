/**
 * The device client run as a command (plain node, no tsx): it decrypts what
 * node:crypto encrypted and encrypts what node:crypto decrypts, with and
 * without a fingerprint binding, and refuses with exit codes.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { bindToFingerprints, generateWhiteBoxKey, generateWhiteBoxTables, WHITE_BOX_ALGORITHMS } from "../../src/crypto/whitebox/index.js";
import { referenceDecrypt, referenceEncrypt, VECTORS } from "../helpers/whitebox.js";

const CLI = join(import.meta.dirname, "../../client/whitebox/cli.mjs");
const dir = mkdtempSync(join(tmpdir(), "whitebox-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

async function whitebox(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { encoding: "buffer", env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr: stderr.toString() };
  } catch (err) {
    const e = err as { code: number; stdout: Buffer; stderr: Buffer };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr.toString() };
  }
}

const FINGERPRINT = "0123abcd-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef";

describe.each(WHITE_BOX_ALGORITHMS)("whitebox command, %s", (algorithm) => {
  const { cbc } = VECTORS[algorithm];
  const key = generateWhiteBoxKey(algorithm);
  const set = generateWhiteBoxTables(algorithm, key);
  const file = (name: string, data: string | Uint8Array) => {
    const path = join(dir, `${algorithm}-${name}`);
    writeFileSync(path, data);
    return path;
  };
  const dec = file("dec.b64", Buffer.from(set.decryptTables).toString("base64") + "\n");
  const enc = file("enc.b64", Buffer.from(set.encryptTables).toString("base64") + "\n");
  const bound = file("bound.b64", Buffer.from(bindToFingerprints(set.decryptTables, [FINGERPRINT])).toString("base64"));

  it("decrypt: what node:crypto encrypted, to stdout or --out", async () => {
    const plaintext = randomBytes(1000);
    const iv = randomBytes(16);
    const ct = file("ct.b64", referenceEncrypt(cbc, key, iv, plaintext).toString("base64") + "\n");
    const run = await whitebox(["decrypt", "--tables", dec, "--iv", iv.toString("base64"), "--in", ct]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout.equals(plaintext)).toBe(true);
    const out = join(dir, `${algorithm}-pt.out`);
    expect((await whitebox(["decrypt", "--tables", dec, "--iv", iv.toString("base64"), "--in", ct, "--out", out])).code).toBe(0);
    expect(readFileSync(out).equals(plaintext)).toBe(true);
  });

  it("encrypt: EncryptByWhiteBox's answer shape, which node:crypto decrypts; a random IV when none is given", async () => {
    const plaintext = randomBytes(33);
    const pt = file("pt", plaintext);
    const run = await whitebox(["encrypt", "--tables", enc, "--in", pt]);
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout.toString()) as { InitializationVector: string; CipherText: string };
    expect(Buffer.from(answer.InitializationVector, "base64")).toHaveLength(16);
    expect(referenceDecrypt(cbc, key, Buffer.from(answer.InitializationVector, "base64"), Buffer.from(answer.CipherText, "base64")).equals(plaintext)).toBe(true);
    const iv = randomBytes(16);
    const given = JSON.parse((await whitebox(["encrypt", "--tables", enc, "--in", pt, "--iv", iv.toString("base64")])).stdout.toString());
    expect(given.InitializationVector).toBe(iv.toString("base64"));
    expect(given.CipherText).toBe(referenceEncrypt(cbc, key, iv, plaintext).toString("base64"));
  });

  it("bound tables: the fingerprint from --fingerprint or WHITEBOX_FINGERPRINT; none or another refused (exit 2)", async () => {
    const iv = randomBytes(16);
    const ct = file("ct2.b64", referenceEncrypt(cbc, key, iv, Buffer.from("bound")).toString("base64"));
    const args = ["decrypt", "--tables", bound, "--iv", iv.toString("base64"), "--in", ct];
    expect((await whitebox([...args, "--fingerprint", FINGERPRINT])).stdout.toString()).toBe("bound");
    expect((await whitebox(args, { WHITEBOX_FINGERPRINT: FINGERPRINT })).stdout.toString()).toBe("bound");
    const none = await whitebox(args);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/fingerprint/);
    const other = await whitebox([...args, "--fingerprint", FINGERPRINT.replace("0123abcd", "ffffffff")]);
    expect(other).toMatchObject({ code: 2 });
    expect(other.stderr).toMatch(/not bound to this device/);
  });

  it("info prints the header; refusals exit 2, bad padding exits 1", async () => {
    const info = JSON.parse((await whitebox(["info", "--tables", dec])).stdout.toString());
    expect(info).toEqual({ algorithm, direction: "decrypt", tableId: Buffer.from(set.tableId).toString("hex"), externalInput: false, externalOutput: false });

    const tampered = Buffer.from(set.decryptTables);
    tampered[1000]! ^= 0x40;
    const bad = await whitebox(["info", "--tables", file("tampered.bin", tampered)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/checksum mismatch/);

    const iv = randomBytes(16);
    const zeros = referenceEncrypt(cbc, key, iv, Buffer.alloc(16)).subarray(0, 16); // decrypts to a block ending in 0x00
    const padding = await whitebox(["decrypt", "--tables", dec, "--iv", iv.toString("base64"), "--in", file("zeros.b64", zeros.toString("base64"))]);
    expect(padding.code).toBe(1);
    expect(padding.stdout).toHaveLength(0);

    expect((await whitebox(["decrypt", "--tables", enc, "--iv", iv.toString("base64"), "--in", dec])).code).toBe(2);
    expect((await whitebox(["decrypt", "--tables", dec, "--in", dec])).stderr).toMatch(/--iv is required/);
    expect((await whitebox(["sign", "--tables", dec])).code).toBe(2);
  });
});
