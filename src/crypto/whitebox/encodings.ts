/**
 * Encodings: the secret bijections the tables are wrapped in.
 *
 * - Internal (nibble) encodings: a random permutation of {0..15} on every
 *   4-bit output of every table; the table that reads the nibble undoes it.
 * - External encodings: 128-bit bijections on the cipher's input and output,
 *   applied by whoever sits on the other side of the white box. For AES,
 *   Chow's F = N∘M (a random invertible 128×128 matrix, then a nibble
 *   permutation on each of the 32 nibbles); for SM4, Xiao–Lai's
 *   diag(P₀, P₁, P₂, P₃) of 32-bit affine bijections.
 */
import { applyAffine, type Affine, type BitMatrix } from "./gf2.js";
import type { RandomStream } from "./random-stream.js";

/** A permutation of {0..15} and its inverse. */
export interface Nibble {
  readonly fwd: Uint8Array;
  readonly inv: Uint8Array;
}

export const IDENTITY_NIBBLE: Nibble = (() => {
  const id = Uint8Array.from({ length: 16 }, (_, i) => i);
  return { fwd: id, inv: id };
})();

/** A uniformly random nibble permutation (Fisher–Yates). */
export function randomNibble(random: RandomStream): Nibble {
  const fwd = Uint8Array.from({ length: 16 }, (_, i) => i);
  for (let i = 15; i > 0; i--) {
    const j = random.below(i + 1);
    const t = fwd[i] as number;
    fwd[i] = fwd[j] as number;
    fwd[j] = t;
  }
  const inv = new Uint8Array(16);
  for (let i = 0; i < 16; i++) inv[fwd[i] as number] = i;
  return { fwd, inv };
}

export function randomNibbles(count: number, random: RandomStream): Nibble[] {
  return Array.from({ length: count }, () => randomNibble(random));
}

/** Encodes a 32-bit word: nibble n (bits 28−4n..31−4n) through nibbles[n]. */
export function encodeWord(word: number, nibbles: readonly Nibble[]): number {
  let out = 0;
  for (let n = 0; n < 8; n++) {
    const shift = 28 - 4 * n;
    out |= (nibbles[n] as Nibble).fwd[(word >>> shift) & 15]! << shift;
  }
  return out >>> 0;
}

/** Encodes bytes in place: nibble 2i is the high half of byte i, 2i+1 the low half. */
export function encodeBytes(bytes: Uint8Array, nibbles: readonly Nibble[]): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    bytes[i] = ((nibbles[2 * i] as Nibble).fwd[b >>> 4]! << 4) | (nibbles[2 * i + 1] as Nibble).fwd[b & 15]!;
  }
}

/** The 256-entry decoding of one byte whose halves are encoded with `hi` and `lo`. */
export function byteDecoder(hi: Nibble, lo: Nibble): Uint8Array {
  const out = new Uint8Array(256);
  for (let x = 0; x < 256; x++) out[x] = (hi.inv[x >>> 4]! << 4) | lo.inv[x & 15]!;
  return out;
}

/**
 * The bijection outside the white box on one side of the cipher: the tables
 * compute G∘E∘F⁻¹, so the party feeding them applies F, and the party reading
 * them undoes G. Never serialised with the tables.
 */
export interface ExternalEncoding {
  encode(block: Uint8Array): Uint8Array;
  decode(block: Uint8Array): Uint8Array;
}

/** 16 bytes ⇄ four words: bit j of the vector is bit j%32 of word j/32, byte i holds bits 8i..8i+7. */
export function blockToVector(block: Uint8Array): Uint32Array {
  const v = new Uint32Array(4);
  for (let i = 0; i < 16; i++) v[i >>> 2] = ((v[i >>> 2] as number) | ((block[i] as number) << (8 * (i & 3)))) >>> 0;
  return v;
}

export function vectorToBlock(v: Uint32Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = ((v[i >>> 2] as number) >>> (8 * (i & 3))) & 0xff;
  return out;
}

/** Chow's external encoding N∘M: a 128×128 mixing bijection, then 32 nibble permutations. */
export function chowExternalEncoding(matrix: BitMatrix, inverse: BitMatrix, nibbles: readonly Nibble[]): ExternalEncoding {
  return {
    encode(block) {
      const out = vectorToBlock(matrix.apply(blockToVector(block)));
      encodeBytes(out, nibbles);
      return out;
    },
    decode(block) {
      const plain = Uint8Array.from(block);
      for (let i = 0; i < 16; i++) {
        const b = plain[i] as number;
        plain[i] = ((nibbles[2 * i] as Nibble).inv[b >>> 4]! << 4) | (nibbles[2 * i + 1] as Nibble).inv[b & 15]!;
      }
      return vectorToBlock(inverse.apply(blockToVector(plain)));
    },
  };
}

/** Xiao–Lai's external encoding: word j (big-endian) through its own 32-bit affine bijection. */
export function wordwiseAffineEncoding(forward: readonly Affine[], inverse: readonly Affine[]): ExternalEncoding {
  const map = (block: Uint8Array, fs: readonly Affine[]) => {
    const view = new DataView(block.buffer, block.byteOffset, 16);
    const out = new Uint8Array(16);
    const ov = new DataView(out.buffer);
    for (let j = 0; j < 4; j++) ov.setUint32(4 * j, applyAffine(fs[j] as Affine, view.getUint32(4 * j)));
    return out;
  };
  return { encode: (b) => map(b, forward), decode: (b) => map(b, inverse) };
}
