/**
 * XOR tables (Chow et al., §4): two encoded nibbles in, their encoded XOR
 * out. A chain of m inputs of N nibbles each uses (m−1)·N tables: step s
 * XORs the accumulator with input s, under a fresh random encoding at every
 * step, so no XOR in the white box ever runs on plain nibbles.
 */
import { randomNibbles, type Nibble } from "./encodings.js";
import type { RandomStream } from "./random-stream.js";

export interface XorChain {
  /** (m−1)·N tables of 256 entries: entry a·16+b of table (s−1)·N+n is out[n](acc⁻¹(a) ⊕ inᵢ⁻¹(b)). */
  readonly tables: Uint8Array;
  /** The encodings of the chain's result, nibble by nibble. */
  readonly out: readonly Nibble[];
}

/**
 * Builds the chain over `inputs` (each the nibble encodings of one input).
 * `finalOut`, when given, is used as the last step's output encoding (an
 * external encoding's nibbles); otherwise it is random too.
 */
export function buildXorChain(inputs: readonly (readonly Nibble[])[], random: RandomStream, finalOut?: readonly Nibble[]): XorChain {
  const m = inputs.length;
  const width = (inputs[0] as readonly Nibble[]).length;
  const tables = new Uint8Array((m - 1) * width * 256);
  let acc = inputs[0] as readonly Nibble[];
  for (let s = 1; s < m; s++) {
    const out = s === m - 1 && finalOut ? finalOut : randomNibbles(width, random);
    const next = inputs[s] as readonly Nibble[];
    for (let n = 0; n < width; n++) {
      const a = (acc[n] as Nibble).inv;
      const b = (next[n] as Nibble).inv;
      const o = (out[n] as Nibble).fwd;
      const base = ((s - 1) * width + n) * 256;
      for (let x = 0; x < 16; x++) for (let y = 0; y < 16; y++) tables[base + x * 16 + y] = o[a[x]! ^ b[y]!]!;
    }
    acc = out;
  }
  return { tables, out: acc };
}
