/**
 * CBC with PKCS#7 through the tables against node:crypto's aes-256-cbc and
 * sm4-cbc (and sm-crypto-v2 for SM4): many lengths up to EncryptByWhiteBox's
 * 4 KB, boundary lengths, random IVs; the server-side encryption the device
 * decrypts; and the refusals.
 */
import { randomBytes } from "node:crypto";
import { sm4 } from "sm-crypto-v2";
import { describe, expect, it } from "vitest";
import { decryptCbc, encryptCbc, openTables, PaddingError, TableFileError } from "../../client/whitebox/index.mjs";
import { encryptWhiteBoxCbc, generateWhiteBoxKey, generateWhiteBoxTables, WHITE_BOX_ALGORITHMS } from "../../src/crypto/whitebox/index.js";
import { referenceDecrypt, referenceEncrypt, VECTORS } from "../helpers/whitebox.js";

const BOUNDARY = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1000, 4079, 4080, 4081, 4095, 4096];
const RANDOM_LENGTHS = Array.from({ length: 12 }, () => randomBytes(2).readUInt16BE() % 4097);

describe.each(WHITE_BOX_ALGORITHMS)("%s CBC with PKCS#7", (algorithm) => {
  const { cbc } = VECTORS[algorithm];
  const key = generateWhiteBoxKey(algorithm);
  const set = generateWhiteBoxTables(algorithm, key);
  const dec = openTables(set.decryptTables);
  const enc = openTables(set.encryptTables);

  it.each([...BOUNDARY, ...RANDOM_LENGTHS])("%i bytes: the tables decrypt node:crypto's ciphertext and encrypt what node:crypto decrypts", (length) => {
    const plaintext = randomBytes(length);
    const iv = randomBytes(16);
    const ciphertext = referenceEncrypt(cbc, key, iv, plaintext);
    expect(Buffer.from(decryptCbc(dec, iv, ciphertext)).equals(plaintext)).toBe(true);
    const mine = encryptCbc(enc, iv, plaintext);
    expect(Buffer.from(mine).equals(ciphertext)).toBe(true);
    expect(referenceDecrypt(cbc, key, iv, mine).equals(plaintext)).toBe(true);
  });

  it("decrypts what the server encrypts (EncryptByWhiteBox's cipher), with a generated IV and a given one", () => {
    const plaintext = randomBytes(4096);
    const generated = encryptWhiteBoxCbc(algorithm, key, plaintext);
    expect(generated.iv).toHaveLength(16);
    expect(Buffer.from(decryptCbc(dec, generated.iv, generated.ciphertext)).equals(plaintext)).toBe(true);
    const iv = randomBytes(16);
    const given = encryptWhiteBoxCbc(algorithm, key, plaintext, iv);
    expect(Buffer.from(given.iv).equals(iv)).toBe(true);
    expect(Buffer.from(given.ciphertext).equals(referenceEncrypt(cbc, key, iv, plaintext))).toBe(true);
    // Two calls without an IV draw two IVs.
    expect(Buffer.from(encryptWhiteBoxCbc(algorithm, key, plaintext).iv).equals(Buffer.from(generated.iv))).toBe(false);
  });

  it("refuses an IV that is not 16 bytes, on either side", () => {
    expect(() => encryptWhiteBoxCbc(algorithm, key, Buffer.from("x"), randomBytes(12))).toThrow(/16 bytes/);
    expect(() => decryptCbc(dec, randomBytes(15), randomBytes(16))).toThrow(/16 bytes/);
    expect(() => encryptCbc(enc, randomBytes(17), Buffer.from("x"))).toThrow(/16 bytes/);
  });

  it("refuses ciphertext that is empty or not whole blocks", () => {
    expect(() => decryptCbc(dec, randomBytes(16), new Uint8Array(0))).toThrow(/multiple of 16/);
    expect(() => decryptCbc(dec, randomBytes(16), randomBytes(33))).toThrow(/multiple of 16/);
  });

  it("refuses bad padding instead of returning it", () => {
    const iv = randomBytes(16);
    for (const lastByte of [0x00, 0x11, 0xff]) {
      const block = Buffer.alloc(16, 0x02);
      block[15] = lastByte;
      // CBC's first block decrypts to `block` alone: a last byte of 0, 17 or 255 is no PKCS#7 padding.
      const first = referenceEncrypt(cbc, key, iv, block).subarray(0, 16);
      expect(() => decryptCbc(dec, iv, first)).toThrow(PaddingError);
    }
    // 0x02 then a different byte before it: inconsistent padding.
    const inconsistent = Buffer.alloc(16, 0x07);
    inconsistent[15] = 0x02;
    expect(() => decryptCbc(dec, iv, referenceEncrypt(cbc, key, iv, inconsistent).subarray(0, 16))).toThrow(PaddingError);
  });

  it("never gives the plaintext from another key's tables", () => {
    const other = openTables(generateWhiteBoxTables(algorithm, generateWhiteBoxKey(algorithm)).decryptTables);
    const plaintext = randomBytes(100);
    const iv = randomBytes(16);
    const ciphertext = referenceEncrypt(cbc, key, iv, plaintext);
    let out: Uint8Array | undefined;
    try {
      out = decryptCbc(other, iv, ciphertext);
    } catch (err) {
      expect(err).toBeInstanceOf(PaddingError);
    }
    if (out) expect(Buffer.from(out).equals(plaintext)).toBe(false);
  });

  it("uses each table file only in its own direction", () => {
    expect(() => decryptCbc(enc, randomBytes(16), randomBytes(16))).toThrow(TableFileError);
    expect(() => encryptCbc(dec, randomBytes(16), randomBytes(16))).toThrow(/DecryptKey|EncryptKey/);
  });

  it("refuses CBC over tables with external encodings", () => {
    const ext = openTables(generateWhiteBoxTables(algorithm, key, { externalEncodings: true }).decryptTables);
    expect(() => decryptCbc(ext, randomBytes(16), randomBytes(16))).toThrow(/external encodings/);
  });
});

describe("SM4 tables against sm-crypto-v2", () => {
  it("decrypt what sm-crypto-v2 encrypts in CBC and encrypt what it decrypts", () => {
    const { key } = VECTORS.SM4;
    const set = generateWhiteBoxTables("SM4", key);
    const dec = openTables(set.decryptTables);
    const enc = openTables(set.encryptTables);
    for (const length of [0, 16, 17, 4096]) {
      const plaintext = randomBytes(length);
      const iv = randomBytes(16);
      const ciphertext = sm4.encrypt(plaintext, key, { mode: "cbc", iv, output: "array" });
      expect(Buffer.from(decryptCbc(dec, iv, ciphertext)).equals(plaintext)).toBe(true);
      expect(Buffer.from(sm4.decrypt(encryptCbc(enc, iv, plaintext), key, { mode: "cbc", iv, output: "array" })).equals(plaintext)).toBe(true);
    }
  });
});
