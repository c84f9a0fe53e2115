// @ts-check
/**
 * Evaluates white-box AES-256 tables (layout 1, Chow et al. 2002): table
 * lookups and XOR-table lookups only. The key is not here; only tables are.
 */
import { FLAG_EXTERNAL_INPUT, FLAG_EXTERNAL_OUTPUT, TableFileError } from "./format.mjs";

const ROUNDS = 13;
const WORD_TABLES = 16 * 256;
const COLUMN_XOR = 3 * 8 * 256;
const WIDE_TABLES = 16 * 256 * 16;
const WIDE_XOR = 15 * 32 * 256;

/** ShiftRows (encrypt) or InvShiftRows (decrypt): the input byte state position p reads. */
const SOURCE = {
  encrypt: Uint8Array.from({ length: 16 }, (_, p) => 4 * (((p >> 2) + (p & 3)) & 3) + (p & 3)),
  decrypt: Uint8Array.from({ length: 16 }, (_, p) => 4 * (((p >> 2) - (p & 3) + 4) & 3) + (p & 3)),
};

/**
 * @param {number} externalInput @param {number} externalOutput
 * @returns {number}
 */
function bodyLength(externalInput, externalOutput) {
  const wide = WIDE_TABLES + WIDE_XOR / 2;
  return (externalInput ? wide : 0) + ROUNDS * (2 * WORD_TABLES * 4 + 2 * 4 * COLUMN_XOR / 2) + (externalOutput ? wide : 16 * 256);
}

/** Reads the body section by section. */
class Reader {
  /** @param {Uint8Array} body */
  constructor(body) {
    this.body = body;
    this.view = new DataView(body.buffer, body.byteOffset, body.length);
    this.pos = 0;
  }
  /** @param {number} n */
  bytes(n) {
    const out = this.body.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** @param {number} n @param {Uint32Array} into @param {number} at */
  words(n, into, at) {
    for (let i = 0; i < n; i++, this.pos += 4) into[at + i] = this.view.getUint32(this.pos);
  }
  /** Unpacks `entries` 4-bit XOR-table entries into `into` at `at`. @param {number} entries @param {Uint8Array} into @param {number} at */
  nibbles(entries, into, at) {
    for (let i = 0; i < entries; i += 2, this.pos++) {
      const b = /** @type {number} */ (this.body[this.pos]);
      into[at + i] = b >> 4;
      into[at + i + 1] = b & 15;
    }
  }
}

/**
 * XORs 16 wide contributions (16 bytes each) through a chain of nibble tables.
 * @param {Uint8Array} tables @param {Uint8Array} xor
 * @param {Uint16Array} entries  the entry (table·256 + byte) each of the 16 inputs looks up
 * @param {Uint8Array} out
 */
function wideChain(tables, xor, entries, out) {
  const first = /** @type {number} */ (entries[0]) * 16;
  const acc = tables.slice(first, first + 16);
  for (let s = 1; s < 16; s++) {
    const at = /** @type {number} */ (entries[s]) * 16;
    const base = (s - 1) * 32 * 256;
    for (let i = 0; i < 16; i++) {
      const a = /** @type {number} */ (acc[i]);
      const b = /** @type {number} */ (tables[at + i]);
      const hi = /** @type {number} */ (xor[base + 2 * i * 256 + ((a >> 4) << 4) + (b >> 4)]);
      const lo = /** @type {number} */ (xor[base + (2 * i + 1) * 256 + ((a & 15) << 4) + (b & 15)]);
      acc[i] = (hi << 4) | lo;
    }
  }
  out.set(acc);
}

/**
 * @typedef {object} BlockTransform
 * @property {(input: Uint8Array, inOff: number, output: Uint8Array, outOff: number) => void} transform
 *   one 16-byte block through the tables; input and output may be the same buffer
 */

/**
 * @param {Uint8Array} body
 * @param {"encrypt" | "decrypt"} direction
 * @param {number} flags
 * @returns {BlockTransform}
 */
export function loadAesTables(body, direction, flags) {
  const extIn = flags & FLAG_EXTERNAL_INPUT;
  const extOut = flags & FLAG_EXTERNAL_OUTPUT;
  if (body.length !== bodyLength(extIn, extOut)) throw new TableFileError("tables: AES-256 body has the wrong length");
  const r = new Reader(body);
  const inTables = extIn ? r.bytes(WIDE_TABLES) : undefined;
  const inXor = extIn ? new Uint8Array(WIDE_XOR) : undefined;
  if (inXor) r.nibbles(WIDE_XOR, inXor, 0);
  const t2 = new Uint32Array(ROUNDS * WORD_TABLES);
  const t3 = new Uint32Array(ROUNDS * WORD_TABLES);
  const x2 = new Uint8Array(ROUNDS * 4 * COLUMN_XOR);
  const x3 = new Uint8Array(ROUNDS * 4 * COLUMN_XOR);
  for (let round = 0; round < ROUNDS; round++) {
    r.words(WORD_TABLES, t2, round * WORD_TABLES);
    r.nibbles(4 * COLUMN_XOR, x2, round * 4 * COLUMN_XOR);
    r.words(WORD_TABLES, t3, round * WORD_TABLES);
    r.nibbles(4 * COLUMN_XOR, x3, round * 4 * COLUMN_XOR);
  }
  const final = extOut ? undefined : r.bytes(16 * 256);
  const outTables = extOut ? r.bytes(WIDE_TABLES) : undefined;
  const outXor = extOut ? new Uint8Array(WIDE_XOR) : undefined;
  if (outXor) r.nibbles(WIDE_XOR, outXor, 0);

  const src = SOURCE[direction];
  const state = new Uint8Array(16);
  const next = new Uint8Array(16);
  const entries = new Uint16Array(16);
  const w = new Uint32Array(4);

  /** The XOR chain of one column over four encoded words. @param {Uint8Array} x @param {number} base */
  const column = (x, base) => {
    const w0 = /** @type {number} */ (w[0]);
    const w1 = /** @type {number} */ (w[1]);
    const w2 = /** @type {number} */ (w[2]);
    const w3 = /** @type {number} */ (w[3]);
    let out = 0;
    for (let n = 0; n < 8; n++) {
      const sh = 28 - 4 * n;
      let a = (w0 >>> sh) & 15;
      a = /** @type {number} */ (x[base + n * 256 + (a << 4) + ((w1 >>> sh) & 15)]);
      a = /** @type {number} */ (x[base + (8 + n) * 256 + (a << 4) + ((w2 >>> sh) & 15)]);
      a = /** @type {number} */ (x[base + (16 + n) * 256 + (a << 4) + ((w3 >>> sh) & 15)]);
      out |= a << sh;
    }
    return out >>> 0;
  };

  return {
    transform(input, inOff, output, outOff) {
      if (inTables && inXor) {
        for (let i = 0; i < 16; i++) entries[i] = i * 256 + /** @type {number} */ (input[inOff + i]);
        wideChain(inTables, inXor, entries, state);
      } else {
        for (let i = 0; i < 16; i++) state[i] = /** @type {number} */ (input[inOff + i]);
      }
      for (let round = 0; round < ROUNDS; round++) {
        const tb = round * WORD_TABLES;
        const xb = round * 4 * COLUMN_XOR;
        for (let c = 0; c < 4; c++) {
          for (let k = 0; k < 4; k++) {
            const p = 4 * c + k;
            w[k] = /** @type {number} */ (t2[tb + p * 256 + /** @type {number} */ (state[/** @type {number} */ (src[p])])]);
          }
          const y = column(x2, xb + c * COLUMN_XOR);
          for (let k = 0; k < 4; k++) w[k] = /** @type {number} */ (t3[tb + (4 * c + k) * 256 + ((y >>> (24 - 8 * k)) & 0xff)]);
          const z = column(x3, xb + c * COLUMN_XOR);
          next[4 * c] = z >>> 24;
          next[4 * c + 1] = (z >>> 16) & 0xff;
          next[4 * c + 2] = (z >>> 8) & 0xff;
          next[4 * c + 3] = z & 0xff;
        }
        state.set(next);
      }
      if (final) {
        for (let p = 0; p < 16; p++) output[outOff + p] = /** @type {number} */ (final[p * 256 + /** @type {number} */ (state[/** @type {number} */ (src[p])])]);
      } else if (outTables && outXor) {
        for (let p = 0; p < 16; p++) entries[p] = p * 256 + /** @type {number} */ (state[/** @type {number} */ (src[p])]);
        wideChain(outTables, outXor, entries, next);
        output.set(next, outOff);
      }
    },
  };
}
