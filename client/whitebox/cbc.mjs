// @ts-check
/**
 * CBC with PKCS#7 padding over a table-based block transform: what
 * EncryptByWhiteBox answers (16-byte IV, 16-byte blocks, AES-256 or SM4).
 */
import { TableFileError } from "./format.mjs";

export const BLOCK = 16;

/** Padding that does not check out: wrong tables, wrong IV, or a damaged ciphertext. */
export class PaddingError extends Error {
  constructor() {
    super("decryption failed: bad padding (wrong tables or IV, or damaged ciphertext)");
    this.name = "PaddingError";
  }
}

/** @param {Uint8Array} iv */
function assertIv(iv) {
  if (iv.length !== BLOCK) throw new RangeError(`the IV must be ${BLOCK} bytes, got ${iv.length}`);
}

/**
 * @param {import("./index.mjs").WhiteBoxTables} tables
 * @param {"encrypt" | "decrypt"} direction
 */
function assertUsable(tables, direction) {
  if (tables.direction !== direction)
    throw new TableFileError(`tables: these are ${tables.direction}ion tables; ${direction}ion needs the ${direction === "decrypt" ? "DecryptKey" : "EncryptKey"}`);
  if (tables.externalInput || tables.externalOutput)
    throw new TableFileError("tables: external encodings are on; CBC needs tables that compute the plain cipher");
}

/**
 * CBC decryption and PKCS#7 unpadding, with DecryptKey tables.
 * @param {import("./index.mjs").WhiteBoxTables} tables
 * @param {Uint8Array} iv
 * @param {Uint8Array} ciphertext
 * @returns {Uint8Array}
 */
export function decryptCbc(tables, iv, ciphertext) {
  assertUsable(tables, "decrypt");
  assertIv(iv);
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0)
    throw new RangeError(`the ciphertext must be a non-empty multiple of ${BLOCK} bytes, got ${ciphertext.length}`);
  const out = new Uint8Array(ciphertext.length);
  for (let off = 0; off < ciphertext.length; off += BLOCK) {
    tables.transform(ciphertext, off, out, off);
    const prev = off === 0 ? iv : ciphertext.subarray(off - BLOCK, off);
    for (let i = 0; i < BLOCK; i++) out[off + i] = /** @type {number} */ (out[off + i]) ^ /** @type {number} */ (prev[i]);
  }
  const pad = /** @type {number} */ (out[out.length - 1]);
  let bad = pad < 1 || pad > BLOCK ? 1 : 0;
  for (let i = 1; i <= BLOCK; i++) if (i <= pad) bad |= /** @type {number} */ (out[out.length - i]) ^ pad;
  if (bad) throw new PaddingError();
  return out.subarray(0, out.length - pad);
}

/**
 * PKCS#7 padding and CBC encryption, with EncryptKey tables.
 * @param {import("./index.mjs").WhiteBoxTables} tables
 * @param {Uint8Array} iv
 * @param {Uint8Array} plaintext
 * @returns {Uint8Array}
 */
export function encryptCbc(tables, iv, plaintext) {
  assertUsable(tables, "encrypt");
  assertIv(iv);
  const pad = BLOCK - (plaintext.length % BLOCK);
  const out = new Uint8Array(plaintext.length + pad);
  out.set(plaintext);
  out.fill(pad, plaintext.length);
  for (let off = 0; off < out.length; off += BLOCK) {
    const prev = off === 0 ? iv : out.subarray(off - BLOCK, off);
    for (let i = 0; i < BLOCK; i++) out[off + i] = /** @type {number} */ (out[off + i]) ^ /** @type {number} */ (prev[i]);
    tables.transform(out, off, out, off);
  }
  return out;
}
