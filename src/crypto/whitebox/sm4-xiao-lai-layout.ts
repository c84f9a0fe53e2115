/**
 * Body of a white-box SM4 table file (layout 1, Xiao–Lai; see
 * sm4-xiao-lai.ts for what each part computes). Words big-endian; an affine
 * map is 33 words (132 bytes): its 32 matrix columns (column j = the image
 * of bit j, bit 0 the least significant), then its constant. Sections:
 *
 *   section          present when        size (bytes)
 *   input maps       flag bit 0 clear    4 × 132: word j of the input ↦ P_j
 *   32 rounds, each:                     4,756
 *     M₁, M₂, M₃                         3 × 132: applied to the encoded
 *                                        words Xᵢ₊₁, Xᵢ₊₂, Xᵢ₊₃; their XOR is y
 *     T tables                           4 × 256 × 4: table j looked up
 *                                        with byte j of y (byte 0 the most
 *                                        significant); their XOR is z
 *     C, D                               2 × 132: new word = C(Xᵢ) ⊕ D(z)
 *   output maps      flag bit 1 clear    4 × 132: output word j = map j
 *                                        applied to X₃₅₋ⱼ
 *
 * Without external encodings: 153,248 bytes of body.
 */
import type { Affine } from "./gf2.js";
import type { XiaoLaiTables } from "./sm4-xiao-lai.js";

export const AFFINE_BYTES = 33 * 4;
export const SM4_ROUND_BYTES = 5 * AFFINE_BYTES + 4 * 256 * 4;

export function sm4BodyLength(externalInput: boolean, externalOutput: boolean): number {
  return (externalInput ? 0 : 4 * AFFINE_BYTES) + 32 * SM4_ROUND_BYTES + (externalOutput ? 0 : 4 * AFFINE_BYTES);
}

export function encodeSm4Body(t: XiaoLaiTables): Uint8Array {
  const out = new Uint8Array(sm4BodyLength(t.input === undefined, t.output === undefined));
  const view = new DataView(out.buffer);
  let pos = 0;
  const word = (x: number) => {
    view.setUint32(pos, x);
    pos += 4;
  };
  const affine = (a: Affine) => {
    if (a.matrix.n !== 32) throw new Error("sm4-xiao-lai-layout: affine maps must be 32-bit");
    for (const c of a.matrix.cols) word(c);
    word(a.constant);
  };
  t.input?.forEach(affine);
  for (const r of t.rounds) {
    r.m.forEach(affine);
    for (const x of r.tables) word(x);
    affine(r.c);
    affine(r.d);
  }
  t.output?.forEach(affine);
  if (pos !== out.length) throw new Error("sm4-xiao-lai-layout: size mismatch");
  return out;
}
