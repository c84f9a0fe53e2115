/**
 * White-box tables against the published vectors: generated from the FIPS-197
 * AES-256 and GB/T 32907 SM4 keys, both directions, run by the device client
 * from the serialised files; with and without external encodings. Plus the
 * generator's own building blocks (GF(2) algebra, reference key schedules).
 */
import { describe, expect, it } from "vitest";
import { openTables } from "../../client/whitebox/index.mjs";
import { expandKey256, AES_SBOX, AES_INV_SBOX, decryptionRoundKeys } from "../../src/crypto/whitebox/aes-reference.js";
import { BitMatrix, randomAffine, randomInvertible, composeAffine, applyAffine } from "../../src/crypto/whitebox/gf2.js";
import { generateWhiteBoxTables, WHITE_BOX_ALGORITHMS } from "../../src/crypto/whitebox/index.js";
import { createCsprngStream } from "../../src/crypto/whitebox/random-stream.js";
import { sm4RoundKeys, SM4_SBOX } from "../../src/crypto/whitebox/sm4-reference.js";
import { block, hex, VECTORS } from "../helpers/whitebox.js";

describe.each(WHITE_BOX_ALGORITHMS)("%s tables reproduce the published vector", (algorithm) => {
  const v = VECTORS[algorithm];
  const set = generateWhiteBoxTables(algorithm, v.key);

  it("EncryptKey tables encrypt the plaintext to the published ciphertext", () => {
    const t = openTables(set.encryptTables);
    expect([t.algorithm, t.direction]).toEqual([algorithm, "encrypt"]);
    expect(block(t, v.plaintext).toString("hex")).toBe(v.ciphertext.toString("hex"));
  });

  it("DecryptKey tables decrypt the published ciphertext to the plaintext", () => {
    const t = openTables(Buffer.from(set.decryptTables).toString("base64"));
    expect([t.algorithm, t.direction]).toEqual([algorithm, "decrypt"]);
    expect(block(t, v.ciphertext).toString("hex")).toBe(v.plaintext.toString("hex"));
  });

  it("with external encodings the tables compute G∘E∘F⁻¹, and only F and G recover the vector", () => {
    const ext = generateWhiteBoxTables(algorithm, v.key, { externalEncodings: true });
    const { encrypt, decrypt } = ext.external!;
    const enc = openTables(ext.encryptTables);
    const dec = openTables(ext.decryptTables);
    expect([enc.externalInput, enc.externalOutput]).toEqual([true, true]);
    const encoded = block(enc, encrypt.input.encode(v.plaintext));
    expect(Buffer.from(encrypt.output.decode(encoded)).toString("hex")).toBe(v.ciphertext.toString("hex"));
    expect(encoded.equals(v.ciphertext)).toBe(false);
    expect(Buffer.from(decrypt.output.decode(block(dec, decrypt.input.encode(v.ciphertext)))).toString("hex")).toBe(v.plaintext.toString("hex"));
    // Fed the plain ciphertext, the encoded tables do not give the plaintext.
    expect(block(dec, v.ciphertext).equals(v.plaintext)).toBe(false);
  });
});

describe("reference pieces the generator folds in", () => {
  it("AES S-boxes are inverse permutations with the FIPS-197 values", () => {
    expect([AES_SBOX[0x00], AES_SBOX[0x53], AES_SBOX[0xff]]).toEqual([0x63, 0xed, 0x16]);
    for (let x = 0; x < 256; x++) expect(AES_INV_SBOX[AES_SBOX[x]!]).toBe(x);
  });

  it("AES-256 key expansion matches FIPS-197 Appendix A.3 (w56..w59)", () => {
    const w = expandKey256(hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
    expect(w).toHaveLength(15);
    expect(Buffer.from(w[0]!).toString("hex")).toBe("603deb1015ca71be2b73aef0857d7781");
    expect(Buffer.from(w[14]!).toString("hex")).toBe("fe4890d1e6188d0b046df344706c631e");
    const dk = decryptionRoundKeys(w);
    expect(Buffer.from(dk[0]!).equals(Buffer.from(w[14]!))).toBe(true);
    expect(Buffer.from(dk[14]!).equals(Buffer.from(w[0]!))).toBe(true);
  });

  it("SM4 S-box is a permutation and the key schedule matches GB/T 32907 (rk0, rk31)", () => {
    expect(new Set(SM4_SBOX).size).toBe(256);
    const rk = sm4RoundKeys(VECTORS.SM4.key);
    expect([rk[0]!.toString(16), rk[31]!.toString(16)]).toEqual(["f12186f9", "9124a012"]);
  });

  it("random invertible GF(2) matrices of 8, 32 and 128 bits compose with their inverses to the identity", () => {
    const random = createCsprngStream();
    for (const n of [8, 32, 128]) {
      const { matrix, inverse } = randomInvertible(n, random);
      expect(Array.from(matrix.multiply(inverse).cols)).toEqual(Array.from(BitMatrix.identity(n).cols));
      expect(Array.from(inverse.multiply(matrix).cols)).toEqual(Array.from(BitMatrix.identity(n).cols));
    }
  });

  it("a singular matrix has no inverse", () => {
    const m = new BitMatrix(8, Uint32Array.from([1, 2, 4, 8, 16, 32, 64, 3]));
    expect(m.inverse()).toBeUndefined();
  });

  it("a random affine bijection composed with its inverse is the identity", () => {
    const random = createCsprngStream();
    const { affine, inverse } = randomAffine(32, random);
    const id = composeAffine(inverse, affine);
    for (const x of [0, 1, 0xdeadbeef, 0xffffffff]) expect(applyAffine(id, x)).toBe(x >>> 0);
  });
});
