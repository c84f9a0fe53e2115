/** Shared fixtures of the white-box tests: the published vectors and node:crypto's CBC as the reference. */
import { createCipheriv, createDecipheriv } from "node:crypto";
import type { WhiteBoxAlgorithm } from "../../src/crypto/whitebox/index.js";

export const hex = (s: string): Buffer => Buffer.from(s, "hex");

export interface Vector {
  algorithm: WhiteBoxAlgorithm;
  cbc: string;
  key: Buffer;
  plaintext: Buffer;
  ciphertext: Buffer;
}

export const VECTORS: Record<WhiteBoxAlgorithm, Vector> = {
  // FIPS-197 Appendix C.3 (AES-256).
  AES_256: {
    algorithm: "AES_256",
    cbc: "aes-256-cbc",
    key: hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
    plaintext: hex("00112233445566778899aabbccddeeff"),
    ciphertext: hex("8ea2b7ca516745bfeafc49904b496089"),
  },
  // GB/T 32907-2016 Appendix A, example 1 (SM4).
  SM4: {
    algorithm: "SM4",
    cbc: "sm4-cbc",
    key: hex("0123456789abcdeffedcba9876543210"),
    plaintext: hex("0123456789abcdeffedcba9876543210"),
    ciphertext: hex("681edf34d206965e86b3e94f536e4246"),
  },
};

export function referenceEncrypt(cipher: string, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv(cipher, key, iv);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

export function referenceDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const d = createDecipheriv(cipher, key, iv);
  return Buffer.concat([d.update(ciphertext), d.final()]);
}

/** One block through a table set's transform. */
export function block(t: { transform(i: Uint8Array, io: number, o: Uint8Array, oo: number): void }, input: Uint8Array): Buffer {
  const out = new Uint8Array(16);
  t.transform(input, 0, out, 0);
  return Buffer.from(out);
}
