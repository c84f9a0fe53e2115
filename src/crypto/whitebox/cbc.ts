/**
 * EncryptByWhiteBox's cipher, on the server that holds the key: standard
 * AES-256-CBC or SM4-CBC with PKCS#7 padding (node:crypto), so the device
 * decrypts it with the DecryptKey tables and anyone with the key decrypts it
 * with any standard tool.
 */
import { createCipheriv } from "node:crypto";
import { randomBytes } from "../random.js";
import type { WhiteBoxAlgorithm } from "./format.js";
import { whiteBoxConstruction } from "./registry.js";

export const WHITE_BOX_IV_LENGTH = 16;

/** CBC encryption under the key; a fresh random IV when none is given (it is returned either way). */
export function encryptWhiteBoxCbc(
  algorithm: WhiteBoxAlgorithm,
  key: Uint8Array,
  plaintext: Uint8Array,
  iv: Uint8Array = randomBytes(WHITE_BOX_IV_LENGTH),
): { iv: Uint8Array; ciphertext: Uint8Array } {
  const c = whiteBoxConstruction(algorithm);
  if (!c || key.length !== c.keyLength) throw new RangeError(`encryptWhiteBoxCbc: ${algorithm} needs a ${c?.keyLength ?? "known"}-byte key`);
  if (iv.length !== WHITE_BOX_IV_LENGTH) throw new RangeError(`encryptWhiteBoxCbc: the IV must be ${WHITE_BOX_IV_LENGTH} bytes`);
  const cipher = createCipheriv(c.cbcCipher, key, iv);
  return { iv, ciphertext: new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()])) };
}
