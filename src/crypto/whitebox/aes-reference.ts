/**
 * The AES-256 pieces the table generator folds into its tables (FIPS-197):
 * the S-box and its inverse, GF(2⁸) multiplication, the key expansion, and
 * the round keys of the equivalent inverse cipher (FIPS-197 §5.3.5). The
 * generator's only use of AES; the table evaluator (client/whitebox) never
 * sees any of it.
 */

/** Multiplication in GF(2⁸) modulo x⁸+x⁴+x³+x+1. */
export function gmul(a: number, b: number): number {
  let p = 0;
  let x = a;
  let y = b;
  while (y) {
    if (y & 1) p ^= x;
    x = (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    y >>= 1;
  }
  return p & 0xff;
}

function buildSbox(): { sbox: Uint8Array; inverse: Uint8Array } {
  const sbox = new Uint8Array(256);
  const inverse = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    let inv = 0;
    if (x !== 0) for (inv = 1; gmul(x, inv) !== 1; inv++);
    // Affine map b ⊕ rotl(b,1) ⊕ rotl(b,2) ⊕ rotl(b,3) ⊕ rotl(b,4) ⊕ 0x63.
    let s = inv;
    for (let r = 1; r <= 4; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    s ^= 0x63;
    sbox[x] = s;
    inverse[s] = x;
  }
  return { sbox, inverse };
}

const BOXES = buildSbox();
export const AES_SBOX: Uint8Array = BOXES.sbox;
export const AES_INV_SBOX: Uint8Array = BOXES.inverse;

/** MixColumns and InvMixColumns as 4×4 matrices over GF(2⁸): out[i] = ⊕ₖ M[i][k]·in[k]. */
export const MIX_COLUMNS: readonly (readonly number[])[] = [
  [2, 3, 1, 1],
  [1, 2, 3, 1],
  [1, 1, 2, 3],
  [3, 1, 1, 2],
];
export const INV_MIX_COLUMNS: readonly (readonly number[])[] = [
  [14, 11, 13, 9],
  [9, 14, 11, 13],
  [13, 9, 14, 11],
  [11, 13, 9, 14],
];

/**
 * Where ShiftRows (and InvShiftRows) take each byte from. State byte p is row
 * p%4, column ⌊p/4⌋ (FIPS-197 input order); after ShiftRows, position p holds
 * the byte that was at shiftRowsSource(p).
 */
export function shiftRowsSource(p: number): number {
  const r = p & 3;
  const c = p >>> 2;
  return 4 * ((c + r) & 3) + r;
}

export function invShiftRowsSource(p: number): number {
  const r = p & 3;
  const c = p >>> 2;
  return 4 * ((c - r + 4) & 3) + r;
}

/** AES-256 key expansion: 15 round keys of 16 bytes (FIPS-197 §5.2, Nk = 8, Nr = 14). */
export function expandKey256(key: Uint8Array): Uint8Array[] {
  if (key.length !== 32) throw new RangeError("AES-256 needs a 32-byte key");
  const w = new Uint8Array(240);
  w.set(key);
  let rcon = 1;
  for (let i = 8; i < 60; i++) {
    let t = Array.from(w.subarray(4 * (i - 1), 4 * i));
    if (i % 8 === 0) {
      t = [AES_SBOX[t[1]!]! ^ rcon, AES_SBOX[t[2]!]!, AES_SBOX[t[3]!]!, AES_SBOX[t[0]!]!];
      rcon = gmul(rcon, 2);
    } else if (i % 8 === 4) {
      t = t.map((b) => AES_SBOX[b]!);
    }
    for (let k = 0; k < 4; k++) w[4 * i + k] = w[4 * (i - 8) + k]! ^ t[k]!;
  }
  return Array.from({ length: 15 }, (_, r) => w.slice(16 * r, 16 * r + 16));
}

/** Applies a 4×4 GF(2⁸) matrix to each column of a 16-byte state. */
export function mixEachColumn(state: Uint8Array, m: readonly (readonly number[])[]): Uint8Array {
  const out = new Uint8Array(16);
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < 4; i++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v ^= gmul(m[i]![k]!, state[4 * c + k]!);
      out[4 * c + i] = v;
    }
  }
  return out;
}

/**
 * Round keys of the equivalent inverse cipher: dk₀ = w[14], dkᵣ =
 * InvMixColumns(w[14−r]) for r = 1..13, dk₁₄ = w[0]. With them decryption has
 * encryption's shape (S⁻¹, InvShiftRows, InvMixColumns), so one table
 * construction serves both directions.
 */
export function decryptionRoundKeys(roundKeys: readonly Uint8Array[]): Uint8Array[] {
  const nr = roundKeys.length - 1;
  return roundKeys.map((_, r) => {
    const k = roundKeys[nr - r] as Uint8Array;
    return r === 0 || r === nr ? Uint8Array.from(k) : mixEachColumn(k, INV_MIX_COLUMNS);
  });
}
