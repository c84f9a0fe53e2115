/** The AEAD primitives against published vectors, plus tamper and truncation cases. */
import { describe, expect, it } from "vitest";
import { aes256Gcm } from "../../src/crypto/aes-256-gcm.js";
import { AeadOpenError, type SymmetricAlgorithm } from "../../src/crypto/primitives.js";
import { sm4Gcm } from "../../src/crypto/sm4-gcm.js";

const hex = (s: string) => Buffer.from(s, "hex");

const vectors: { name: string; alg: SymmetricAlgorithm; key: string; iv: string; aad: string; pt: string; ct: string; tag: string }[] = [
  {
    // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV, AAD).
    name: "AES-256-GCM (GCM spec test case 16)",
    alg: aes256Gcm,
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    iv: "cafebabefacedbaddecaf888",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    tag: "76fc6ece0f4e1768cddf8853bb2d551b",
  },
  {
    // RFC 8998 appendix A.1, SM4-GCM.
    name: "SM4-GCM (RFC 8998 A.1)",
    alg: sm4Gcm,
    key: "0123456789abcdeffedcba9876543210",
    iv: "00001234567800000000abcd",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    pt: "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
    ct: "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
    tag: "83de3541e4c2b58177e065a9bf7b62ec",
  },
];

describe.each(vectors)("$name", (v) => {
  const aead = v.alg.aead(hex(v.key));

  it("matches the published ciphertext and tag", () => {
    const sealed = Buffer.from(aead.seal(hex(v.iv), hex(v.pt), hex(v.aad)));
    expect(sealed.subarray(0, -16).toString("hex")).toBe(v.ct);
    expect(sealed.subarray(-16).toString("hex")).toBe(v.tag);
  });

  it("opens the published ciphertext", () => {
    const opened = aead.open(hex(v.iv), Buffer.concat([hex(v.ct), hex(v.tag)]), hex(v.aad));
    expect(Buffer.from(opened).toString("hex")).toBe(v.pt);
  });

  it("refuses any flipped bit in ciphertext, tag, IV or AAD, and truncation", () => {
    const sealed = Buffer.concat([hex(v.ct), hex(v.tag)]);
    for (const i of [0, 10, sealed.length - 17, sealed.length - 16, sealed.length - 1]) {
      const t = Buffer.from(sealed);
      t[i] = (t[i] as number) ^ 0x01;
      expect(() => aead.open(hex(v.iv), t, hex(v.aad))).toThrow(AeadOpenError);
    }
    const iv = hex(v.iv);
    iv[0] = (iv[0] as number) ^ 0x80;
    expect(() => aead.open(iv, sealed, hex(v.aad))).toThrow(AeadOpenError);
    const aad = hex(v.aad);
    aad[aad.length - 1] = (aad[aad.length - 1] as number) ^ 0x01;
    expect(() => aead.open(hex(v.iv), sealed, aad)).toThrow(AeadOpenError);
    expect(() => aead.open(hex(v.iv), sealed.subarray(0, sealed.length - 1), hex(v.aad))).toThrow(AeadOpenError);
    expect(() => aead.open(hex(v.iv), sealed.subarray(0, 15), hex(v.aad))).toThrow(AeadOpenError);
  });

  it("refuses another key", () => {
    const other = v.alg.aead(Buffer.alloc(v.alg.keyLength, 7));
    expect(() => other.open(hex(v.iv), Buffer.concat([hex(v.ct), hex(v.tag)]), hex(v.aad))).toThrow(AeadOpenError);
  });

  it("round-trips the empty message", () => {
    const sealed = aead.seal(hex(v.iv), new Uint8Array(0), new Uint8Array(0));
    expect(sealed.length).toBe(16);
    expect(aead.open(hex(v.iv), sealed, new Uint8Array(0)).length).toBe(0);
  });

  it("refuses a key of the wrong length", () => {
    expect(() => v.alg.aead(Buffer.alloc(v.alg.keyLength + 1))).toThrow(RangeError);
  });
});
