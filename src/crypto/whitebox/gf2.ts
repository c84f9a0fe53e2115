/**
 * Linear algebra over GF(2) for the white-box constructions: square bit
 * matrices of size n ≤ 128, stored by columns, each column `words` 32-bit
 * words. Vector bit j is bit (j mod 32) of word ⌊j/32⌋, so for n ≤ 32 a vector
 * is a plain number and bit j is `(x >>> j) & 1`.
 */
import type { RandomStream } from "./random-stream.js";

export class BitMatrix {
  readonly words: number;
  /** Column j occupies cols[j*words .. (j+1)*words). */
  readonly cols: Uint32Array;

  constructor(
    readonly n: number,
    cols?: Uint32Array,
  ) {
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new RangeError("BitMatrix: n must be in 1..128");
    this.words = Math.ceil(n / 32);
    this.cols = cols ?? new Uint32Array(n * this.words);
    if (this.cols.length !== n * this.words) throw new RangeError("BitMatrix: wrong column storage length");
  }

  static identity(n: number): BitMatrix {
    const m = new BitMatrix(n);
    for (let j = 0; j < n; j++) m.cols[j * m.words + (j >>> 5)] = (1 << (j & 31)) >>> 0;
    return m;
  }

  /** M·x for n ≤ 32: the XOR of the columns whose bit is set in x. */
  apply32(x: number): number {
    let y = 0;
    let v = x >>> 0;
    for (let j = 0; v !== 0; j++, v >>>= 1) if (v & 1) y ^= this.cols[j] as number;
    return y >>> 0;
  }

  /**
   * For n = 32: four 256-entry tables, one per byte of x, whose XOR is M·x
   * (four lookups instead of up to 32 column XORs; table construction applies
   * each mixing bijection to 4,096 words).
   */
  byteSlices32(): Uint32Array {
    if (this.n !== 32) throw new RangeError("BitMatrix.byteSlices32: n must be 32");
    const out = new Uint32Array(1024);
    for (let k = 0; k < 4; k++) for (let b = 0; b < 256; b++) out[k * 256 + b] = this.apply32(b << (8 * k));
    return out;
  }

  /** M·x for any n: x and the result are `words`-word vectors. */
  apply(x: Uint32Array): Uint32Array {
    const w = this.words;
    const y = new Uint32Array(w);
    for (let j = 0; j < this.n; j++) {
      if (((x[j >>> 5] as number) >>> (j & 31)) & 1) {
        for (let k = 0; k < w; k++) y[k] = ((y[k] as number) ^ (this.cols[j * w + k] as number)) >>> 0;
      }
    }
    return y;
  }

  /** The composition this·b (b applied first). */
  multiply(b: BitMatrix): BitMatrix {
    if (b.n !== this.n) throw new RangeError("BitMatrix.multiply: sizes differ");
    const out = new BitMatrix(this.n);
    const w = this.words;
    for (let j = 0; j < this.n; j++) out.cols.set(this.apply(b.cols.subarray(j * w, (j + 1) * w)), j * w);
    return out;
  }

  /**
   * The inverse, or undefined when singular: column operations reduce M to I
   * (M·E₁⋯E_k = I), and the same operations applied to I give E₁⋯E_k = M⁻¹.
   */
  inverse(): BitMatrix | undefined {
    const n = this.n;
    const w = this.words;
    const a = Uint32Array.from(this.cols);
    const inv = BitMatrix.identity(n).cols;
    const bit = (m: Uint32Array, col: number, row: number) => ((m[col * w + (row >>> 5)] as number) >>> (row & 31)) & 1;
    const swap = (m: Uint32Array, i: number, j: number) => {
      for (let k = 0; k < w; k++) {
        const t = m[i * w + k] as number;
        m[i * w + k] = m[j * w + k] as number;
        m[j * w + k] = t;
      }
    };
    const xorInto = (m: Uint32Array, dst: number, src: number) => {
      for (let k = 0; k < w; k++) m[dst * w + k] = ((m[dst * w + k] as number) ^ (m[src * w + k] as number)) >>> 0;
    };
    for (let row = 0; row < n; row++) {
      let pivot = -1;
      for (let c = row; c < n; c++) if (bit(a, c, row)) { pivot = c; break; }
      if (pivot < 0) return undefined;
      if (pivot !== row) {
        swap(a, pivot, row);
        swap(inv, pivot, row);
      }
      for (let c = 0; c < n; c++) {
        if (c !== row && bit(a, c, row)) {
          xorInto(a, c, row);
          xorInto(inv, c, row);
        }
      }
    }
    return new BitMatrix(n, inv);
  }
}

/** A uniformly random invertible n×n matrix and its inverse (about 3.5 draws on average). */
export function randomInvertible(n: number, random: RandomStream): { matrix: BitMatrix; inverse: BitMatrix } {
  for (;;) {
    const m = new BitMatrix(n);
    const topMask = n % 32 === 0 ? 0xffffffff : (1 << (n % 32)) - 1;
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < m.words; k++) {
        const last = k === m.words - 1;
        m.cols[j * m.words + k] = (random.uint32() & (last ? topMask : 0xffffffff)) >>> 0;
      }
    }
    const inverse = m.inverse();
    if (inverse) return { matrix: m, inverse };
  }
}

/** An affine bijection x ↦ M·x ⊕ c on n ≤ 32 bits. */
export interface Affine {
  readonly matrix: BitMatrix;
  readonly constant: number;
}

export function applyAffine(f: Affine, x: number): number {
  return (f.matrix.apply32(x) ^ f.constant) >>> 0;
}

/** f∘g: x ↦ F(G x ⊕ g) ⊕ f = FG·x ⊕ (F·g ⊕ f). */
export function composeAffine(f: Affine, g: Affine): Affine {
  return { matrix: f.matrix.multiply(g.matrix), constant: (f.matrix.apply32(g.constant) ^ f.constant) >>> 0 };
}

/** A random affine bijection on n ≤ 32 bits and its inverse x ↦ M⁻¹·x ⊕ M⁻¹·c. */
export function randomAffine(n: number, random: RandomStream): { affine: Affine; inverse: Affine } {
  const { matrix, inverse } = randomInvertible(n, random);
  const mask = n === 32 ? 0xffffffff : (1 << n) - 1;
  const constant = (random.uint32() & mask) >>> 0;
  return { affine: { matrix, constant }, inverse: { matrix: inverse, constant: inverse.apply32(constant) } };
}

/** Block-diagonal 32-bit matrix from four 8×8 blocks; block j acts on bits 24−8j..31−8j (byte j, big-endian). */
export function blockDiagonal32(blocks: readonly BitMatrix[]): BitMatrix {
  const m = new BitMatrix(32);
  blocks.forEach((b, j) => {
    if (b.n !== 8) throw new RangeError("blockDiagonal32: blocks must be 8×8");
    const shift = 24 - 8 * j;
    for (let c = 0; c < 8; c++) m.cols[shift + c] = ((b.cols[c] as number) << shift) >>> 0;
  });
  return m;
}
