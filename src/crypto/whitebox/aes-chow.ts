/**
 * White-box AES-256 after Chow, Eisen, Johnson and van Oorschot, "White-Box
 * Cryptography and an AES Implementation" (SAC 2002), extended from AES-128's
 * 10 rounds to AES-256's 14.
 *
 * The cipher is rewritten so each round's key addition sits in front of its
 * S-boxes (T-boxes): in round r (1..13) state position p reads the byte
 * ShiftRows brings there (src(p)) and computes Tᵣ,ₚ(x) = S(x ⊕ kᵣ₋₁[src(p)]);
 * the last round computes S(x ⊕ k₁₃[src(p)]) ⊕ k₁₄[p], so every round key,
 * the last included, lives only inside tables. Per round and column c:
 *
 *   Type II   (16 per round)  byte → 32 bits: decode the input (its two nibble
 *             encodings, then L⁻¹ of the previous round), T-box, the MixColumns
 *             column, the 32×32 mixing bijection MB_c, then a random nibble
 *             encoding on each of the 8 output nibbles.
 *   XOR       3 × 8 nibble tables per column XOR the four Type II words.
 *   Type III  (16 per round)  byte → 32 bits: decode, MB_c⁻¹ restricted to
 *             the byte, then the next round's 8×8 mixing bijection L on each
 *             output byte, then nibble encodings.
 *   XOR       3 × 8 again: the round's output, each byte under L and two
 *             nibble encodings.
 *   Final     16 tables byte → byte (T-box with k₁₃ and k₁₄ folded in).
 *
 * Decryption tables run the equivalent inverse cipher (FIPS-197 §5.3.5): S⁻¹,
 * InvShiftRows, InvMixColumns and the transformed round keys, through the
 * same construction.
 *
 * Optional external encodings (Chow §4.3): input F = N∘M_F and output
 * G = N∘M_G (128×128 mixing bijection, then 32 nibble permutations). The
 * tables then compute G∘AES∘F⁻¹: 16 Type I tables (byte → 128 bits, with
 * M_F⁻¹ and round 1's L) and a chain of 15 × 32 XOR tables in front, and the
 * final tables widen to byte → 128 bits (with M_G) plus another chain
 * ending in G's nibble encodings.
 */
import {
  AES_INV_SBOX,
  AES_SBOX,
  decryptionRoundKeys,
  expandKey256,
  gmul,
  INV_MIX_COLUMNS,
  invShiftRowsSource,
  MIX_COLUMNS,
  shiftRowsSource,
} from "./aes-reference.js";
import {
  blockToVector,
  byteDecoder,
  chowExternalEncoding,
  encodeBytes,
  encodeWord,
  randomNibbles,
  vectorToBlock,
  type ExternalEncoding,
  type Nibble,
} from "./encodings.js";
import type { Direction } from "./format.js";
import { BitMatrix, randomInvertible } from "./gf2.js";
import type { RandomStream } from "./random-stream.js";
import { buildXorChain } from "./xor-network.js";

/** One of rounds 1..13: Type II, XOR, Type III, XOR. */
export interface ChowRound {
  /** 16 × 256 words: table p, entry x. */
  readonly typeII: Uint32Array;
  /** 4 columns × 3 steps × 8 nibbles × 256 entries. */
  readonly xorII: Uint8Array;
  readonly typeIII: Uint32Array;
  readonly xorIII: Uint8Array;
}

/** A byte → 128-bit stage (Type I or widened final tables) and its XOR chain. */
export interface ChowWideStage {
  /** 16 × 256 entries × 16 bytes. */
  readonly tables: Uint8Array;
  /** 15 steps × 32 nibbles × 256 entries. */
  readonly xor: Uint8Array;
}

export interface ChowTables {
  readonly direction: Direction;
  /** Present with an external input encoding. */
  readonly input?: ChowWideStage;
  /** 13 rounds. */
  readonly rounds: readonly ChowRound[];
  /** Without an external output encoding: 16 × 256 bytes. */
  readonly final?: Uint8Array;
  /** With one: the widened final stage. */
  readonly finalWide?: ChowWideStage;
}

export interface ChowGeneration {
  readonly tables: ChowTables;
  readonly inputEncoding?: ExternalEncoding;
  readonly outputEncoding?: ExternalEncoding;
}

export interface ChowOptions {
  readonly externalInput?: boolean;
  readonly externalOutput?: boolean;
}

const ROUNDS = 14;

interface CipherShape {
  sbox: Uint8Array;
  mix: readonly (readonly number[])[];
  source: (p: number) => number;
  roundKeys: readonly Uint8Array[];
}

function shapeOf(key: Uint8Array, direction: Direction): CipherShape {
  const w = expandKey256(key);
  return direction === "encrypt"
    ? { sbox: AES_SBOX, mix: MIX_COLUMNS, source: shiftRowsSource, roundKeys: w }
    : { sbox: AES_INV_SBOX, mix: INV_MIX_COLUMNS, source: invShiftRowsSource, roundKeys: decryptionRoundKeys(w) };
}

const MUL: Uint8Array[] = Array.from({ length: 16 }, (_, c) => Uint8Array.from({ length: 256 }, (_, x) => gmul(c, x)));

/** The column of the mix matrix that state row `row` feeds, as a byte → word table. */
function mixColumnWords(mix: readonly (readonly number[])[], row: number): Uint32Array {
  const out = new Uint32Array(256);
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => MUL[mix[i]![row]!] as Uint8Array) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  for (let t = 0; t < 256; t++) out[t] = ((a[t]! << 24) | (b[t]! << 16) | (c[t]! << 8) | d[t]!) >>> 0;
  return out;
}

function randomInvertibles(count: number, n: number, random: RandomStream) {
  return Array.from({ length: count }, () => randomInvertible(n, random));
}

/** The decoders of the 16 bytes a chain of Type I/III words leaves: nibble encodings, then L⁻¹. */
function stateDecoders(out: readonly Nibble[], lInverse: readonly BitMatrix[]): Uint8Array[] {
  return lInverse.map((li, q) => {
    const nib = byteDecoder(out[2 * q] as Nibble, out[2 * q + 1] as Nibble);
    return Uint8Array.from(nib, (v) => li.apply32(v));
  });
}

/** Type I: input byte i of F(x) → the 128-bit contribution L(M_F⁻¹·(byte at i)), nibble-encoded. */
function buildInputStage(random: RandomStream, nextL: readonly BitMatrix[]) {
  const { matrix, inverse } = randomInvertible(128, random);
  const externalNibbles = randomNibbles(32, random);
  const tables = new Uint8Array(16 * 256 * 16);
  const encodings: Nibble[][] = [];
  for (let i = 0; i < 16; i++) {
    const enc = randomNibbles(32, random);
    encodings.push(enc);
    const decode = byteDecoder(externalNibbles[2 * i] as Nibble, externalNibbles[2 * i + 1] as Nibble);
    for (let x = 0; x < 256; x++) {
      const unit = new Uint8Array(16);
      unit[i] = decode[x] as number;
      const contribution = vectorToBlock(inverse.apply(blockToVector(unit)));
      for (let q = 0; q < 16; q++) contribution[q] = (nextL[q] as BitMatrix).apply32(contribution[q] as number);
      encodeBytes(contribution, enc);
      tables.set(contribution, (i * 256 + x) * 16);
    }
  }
  const chain = buildXorChain(encodings, random);
  return {
    stage: { tables, xor: chain.tables },
    out: chain.out,
    encoding: chowExternalEncoding(matrix, inverse, externalNibbles),
  };
}

/** Widened final tables: ciphertext byte p → M_G·(byte at p), nibble-encoded, then a chain ending in G's nibbles. */
function buildOutputStage(random: RandomStream, finalByte: (p: number, x: number) => number) {
  const { matrix, inverse } = randomInvertible(128, random);
  const externalNibbles = randomNibbles(32, random);
  const tables = new Uint8Array(16 * 256 * 16);
  const encodings: Nibble[][] = [];
  for (let p = 0; p < 16; p++) {
    const enc = randomNibbles(32, random);
    encodings.push(enc);
    for (let x = 0; x < 256; x++) {
      const unit = new Uint8Array(16);
      unit[p] = finalByte(p, x);
      const contribution = vectorToBlock(matrix.apply(blockToVector(unit)));
      encodeBytes(contribution, enc);
      tables.set(contribution, (p * 256 + x) * 16);
    }
  }
  const chain = buildXorChain(encodings, random, externalNibbles);
  return { stage: { tables, xor: chain.tables }, encoding: chowExternalEncoding(matrix, inverse, externalNibbles) };
}

/** Generates one direction's tables from a 32-byte AES-256 key and fresh randomness. */
export function generateChowTables(key: Uint8Array, direction: Direction, random: RandomStream, options: ChowOptions = {}): ChowGeneration {
  const shape = shapeOf(key, direction);
  const { sbox, source, roundKeys } = shape;
  const mixWords = [0, 1, 2, 3].map((row) => mixColumnWords(shape.mix, row));

  // L for round 1's input exists only behind an external input encoding.
  let input: ReturnType<typeof buildInputStage> | undefined;
  let decode: Uint8Array[];
  if (options.externalInput) {
    const l0 = randomInvertibles(16, 8, random);
    input = buildInputStage(random, l0.map((l) => l.matrix));
    decode = stateDecoders(input.out, l0.map((l) => l.inverse));
  } else {
    const identity = Uint8Array.from({ length: 256 }, (_, x) => x);
    decode = Array.from({ length: 16 }, () => identity);
  }

  const rounds: ChowRound[] = [];
  for (let r = 0; r < ROUNDS - 1; r++) {
    const rk = roundKeys[r] as Uint8Array;
    const mb = randomInvertibles(4, 32, random);
    const mbSlices = mb.map((x) => x.matrix.byteSlices32());
    const nextL = randomInvertibles(16, 8, random);

    const typeII = new Uint32Array(16 * 256);
    const encII: Nibble[][] = [];
    for (let p = 0; p < 16; p++) {
      const src = source(p);
      const dec = decode[src] as Uint8Array;
      const k = rk[src] as number;
      const mixed = mixWords[p & 3] as Uint32Array;
      const m = mbSlices[p >>> 2] as Uint32Array;
      const enc = randomNibbles(8, random);
      encII.push(enc);
      for (let x = 0; x < 256; x++) {
        const v = mixed[sbox[dec[x]! ^ k]!]!;
        typeII[p * 256 + x] = encodeWord((m[v & 0xff]! ^ m[256 + ((v >>> 8) & 0xff)]! ^ m[512 + ((v >>> 16) & 0xff)]! ^ m[768 + (v >>> 24)]!) >>> 0, enc);
      }
    }

    const xorII = new Uint8Array(4 * 3 * 8 * 256);
    const typeIII = new Uint32Array(16 * 256);
    const xorIII = new Uint8Array(4 * 3 * 8 * 256);
    const outII: (readonly Nibble[])[] = [];
    const encIII: Nibble[][] = [];
    for (let c = 0; c < 4; c++) {
      const chain = buildXorChain(encII.slice(4 * c, 4 * c + 4), random);
      xorII.set(chain.tables, c * 3 * 8 * 256);
      outII.push(chain.out);
      const mbInv = (mb[c] as { inverse: BitMatrix }).inverse;
      for (let k = 0; k < 4; k++) {
        const p = 4 * c + k;
        const dec = byteDecoder(chain.out[2 * k] as Nibble, chain.out[2 * k + 1] as Nibble);
        const enc = randomNibbles(8, random);
        encIII.push(enc);
        for (let x = 0; x < 256; x++) {
          const w = mbInv.apply32((dec[x] as number) << (24 - 8 * k));
          let v = 0;
          for (let i = 0; i < 4; i++) v |= (nextL[4 * c + i] as { matrix: BitMatrix }).matrix.apply32((w >>> (24 - 8 * i)) & 0xff) << (24 - 8 * i);
          typeIII[p * 256 + x] = encodeWord(v >>> 0, enc);
        }
      }
    }
    const nextDecode: Uint8Array[] = [];
    for (let c = 0; c < 4; c++) {
      const chain = buildXorChain(encIII.slice(4 * c, 4 * c + 4), random);
      xorIII.set(chain.tables, c * 3 * 8 * 256);
      nextDecode.push(...stateDecoders(chain.out, nextL.slice(4 * c, 4 * c + 4).map((l) => l.inverse)));
    }
    decode = nextDecode;
    rounds.push({ typeII, xorII, typeIII, xorIII });
  }

  const k13 = roundKeys[ROUNDS - 1] as Uint8Array;
  const k14 = roundKeys[ROUNDS] as Uint8Array;
  const finalByte = (p: number, x: number) => {
    const src = source(p);
    return sbox[(decode[src] as Uint8Array)[x]! ^ k13[src]!]! ^ k14[p]!;
  };

  const generation: { tables: ChowTables; inputEncoding?: ExternalEncoding; outputEncoding?: ExternalEncoding } = {
    tables: { direction, rounds, ...(input ? { input: input.stage } : {}) },
  };
  if (input) generation.inputEncoding = input.encoding;
  if (options.externalOutput) {
    const output = buildOutputStage(random, finalByte);
    generation.tables = { ...generation.tables, finalWide: output.stage };
    generation.outputEncoding = output.encoding;
  } else {
    const final = new Uint8Array(16 * 256);
    for (let p = 0; p < 16; p++) for (let x = 0; x < 256; x++) final[p * 256 + x] = finalByte(p, x);
    generation.tables = { ...generation.tables, final };
  }
  return generation;
}
