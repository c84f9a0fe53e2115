/**
 * White-box SM4 after Xiao and Lai, "A Secure Implementation of White-Box
 * SM4 Implementation" (2009).
 *
 * SM4's round Xᵢ₊₄ = Xᵢ ⊕ L(τ(Xᵢ₊₁ ⊕ Xᵢ₊₂ ⊕ Xᵢ₊₃ ⊕ rkᵢ)) runs on encoded
 * words: every state word Xⱼ travels as Pⱼ(Xⱼ), Pⱼ a random affine bijection
 * of GF(2)³² (j = 0..35). Round i (0..31) holds:
 *
 *   M_{i,1..3}  affine maps Eᵢ⁻¹∘Pᵢ₊ₖ⁻¹: their XOR is Eᵢ⁻¹(Xᵢ₊₁⊕Xᵢ₊₂⊕Xᵢ₊₃),
 *               Eᵢ = diag(E_{i,0..3}) of random 8-bit affine bijections.
 *   T_{i,0..3}  byte → 32-bit tables: y ↦ Q̂ᵢ·L·(S(E_{i,j}(y) ⊕ rk_{i,j}) at
 *               byte j) ⊕ q_{i,j}. The round key is folded into the S-box
 *               lookup; Qᵢ = (Q̂ᵢ, qᵢ) is a random affine bijection whose
 *               constant is split at random over the four tables; the XOR
 *               of the four lookups is Qᵢ(T(…)).
 *   C, D        affine maps Pᵢ₊₄∘Pᵢ⁻¹ and Pᵢ₊₄∘Qᵢ⁻¹ (one random constant moved
 *               between them): C(Pᵢ(Xᵢ)) ⊕ D(Qᵢ(T)) = Pᵢ₊₄(Xᵢ₊₄).
 *
 * The external encodings are the outermost P's: input F = diag(P₀..P₃) and
 * output G = diag(P₃₅, P₃₄, P₃₃, P₃₂) (SM4's output is X₃₅..X₃₂). Without
 * them, the tables carry the affine maps P₀..P₃ (input) and
 * P₃₅⁻¹..P₃₂⁻¹ (output) and compute plain SM4. Decryption tables are the
 * same construction over the reversed round keys.
 */
import { applyAffine, blockDiagonal32, composeAffine, randomAffine, type Affine } from "./gf2.js";
import { wordwiseAffineEncoding, type ExternalEncoding } from "./encodings.js";
import type { RandomStream } from "./random-stream.js";
import { SM4_L_MATRIX, SM4_SBOX, sm4RoundKeys } from "./sm4-reference.js";
import type { Direction } from "./format.js";

export interface XiaoLaiRound {
  /** E⁻¹∘P⁻¹ for the words Xᵢ₊₁, Xᵢ₊₂, Xᵢ₊₃. */
  readonly m: readonly [Affine, Affine, Affine];
  /** 4 × 256 words: table j, entry y. */
  readonly tables: Uint32Array;
  readonly c: Affine;
  readonly d: Affine;
}

export interface XiaoLaiTables {
  readonly direction: Direction;
  /** Without an external input encoding: P₀..P₃ applied to the plaintext words. */
  readonly input?: readonly Affine[];
  readonly rounds: readonly XiaoLaiRound[];
  /** Without an external output encoding: P₃₅⁻¹..P₃₂⁻¹, giving output words 0..3. */
  readonly output?: readonly Affine[];
}

export interface XiaoLaiGeneration {
  readonly tables: XiaoLaiTables;
  readonly inputEncoding?: ExternalEncoding;
  readonly outputEncoding?: ExternalEncoding;
}

export interface XiaoLaiOptions {
  readonly externalInput?: boolean;
  readonly externalOutput?: boolean;
}

/** Generates one direction's tables from a 16-byte SM4 key and fresh randomness. */
export function generateXiaoLaiTables(key: Uint8Array, direction: Direction, random: RandomStream, options: XiaoLaiOptions = {}): XiaoLaiGeneration {
  const encRk = sm4RoundKeys(key);
  const rk = direction === "encrypt" ? encRk : encRk.slice().reverse();
  const p = Array.from({ length: 36 }, () => randomAffine(32, random));
  const rounds: XiaoLaiRound[] = [];
  for (let i = 0; i < 32; i++) {
    const e = [0, 1, 2, 3].map(() => randomAffine(8, random));
    const eInv: Affine = {
      matrix: blockDiagonal32(e.map((x) => x.inverse.matrix)),
      constant: e.reduce((acc, x, j) => (acc | (x.inverse.constant << (24 - 8 * j))) >>> 0, 0),
    };
    const m = [1, 2, 3].map((k) => composeAffine(eInv, p[i + k]!.inverse)) as [Affine, Affine, Affine];

    const q = randomAffine(32, random);
    const ql = q.affine.matrix.multiply(SM4_L_MATRIX);
    const split = [random.uint32(), random.uint32(), random.uint32()];
    const last = (q.affine.constant ^ split[0]! ^ split[1]! ^ split[2]!) >>> 0;
    const tables = new Uint32Array(4 * 256);
    for (let j = 0; j < 4; j++) {
      const shift = 24 - 8 * j;
      const k = (rk[i]! >>> shift) & 0xff;
      const constant = j < 3 ? split[j]! : last;
      const ej = e[j]!.affine;
      for (let y = 0; y < 256; y++) tables[j * 256 + y] = (ql.apply32(SM4_SBOX[applyAffine(ej, y) ^ k]! << shift) ^ constant) >>> 0;
    }

    const mask = random.uint32();
    const c0 = composeAffine(p[i + 4]!.affine, p[i]!.inverse);
    const d0 = composeAffine(p[i + 4]!.affine, q.inverse);
    const c: Affine = { matrix: c0.matrix, constant: (c0.constant ^ mask) >>> 0 };
    const d: Affine = { matrix: d0.matrix, constant: (d0.constant ^ p[i + 4]!.affine.constant ^ mask) >>> 0 };
    rounds.push({ m, tables, c, d });
  }

  const inP = [0, 1, 2, 3].map((j) => p[j]!);
  const outP = [35, 34, 33, 32].map((j) => p[j]!);
  const generation: { tables: XiaoLaiTables; inputEncoding?: ExternalEncoding; outputEncoding?: ExternalEncoding } = {
    tables: {
      direction,
      rounds,
      ...(options.externalInput ? {} : { input: inP.map((x) => x.affine) }),
      ...(options.externalOutput ? {} : { output: outP.map((x) => x.inverse) }),
    },
  };
  if (options.externalInput) generation.inputEncoding = wordwiseAffineEncoding(inP.map((x) => x.affine), inP.map((x) => x.inverse));
  if (options.externalOutput) generation.outputEncoding = wordwiseAffineEncoding(outP.map((x) => x.affine), outP.map((x) => x.inverse));
  return generation;
}
