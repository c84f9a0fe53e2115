// @ts-check
/**
 * Evaluates white-box SM4 tables (layout 1, Xiao–Lai 2009): affine maps
 * on encoded words and byte → word lookups. The key is not here; only
 * tables are.
 */
import { FLAG_EXTERNAL_INPUT, FLAG_EXTERNAL_OUTPUT, TableFileError } from "./format.mjs";

const AFFINE_BYTES = 33 * 4;
const ROUND_BYTES = 5 * AFFINE_BYTES + 4 * 256 * 4;

/**
 * An affine map as four byte-slice tables (1,024 words), the constant folded
 * into the last slice: f(x) = s[x>>>24] ^ s[256+…] ^ s[512+…] ^ s[768+(x&255)].
 * @param {DataView} view @param {number} at
 * @param {Uint32Array} into @param {number} base
 */
function loadAffine(view, at, into, base) {
  for (let k = 0; k < 4; k++) {
    const slice = base + k * 256;
    const firstBit = 24 - 8 * k; // byte k (from the top) covers bits firstBit..firstBit+7
    into[slice] = 0;
    for (let b = 1; b < 256; b++) {
      const low = 31 - Math.clz32(b & -b); // lowest set bit of b
      into[slice + b] = (/** @type {number} */ (into[slice + (b & (b - 1))]) ^ view.getUint32(at + 4 * (firstBit + low))) >>> 0;
    }
  }
  const constant = view.getUint32(at + 32 * 4);
  for (let b = 0; b < 256; b++) into[base + 768 + b] = (/** @type {number} */ (into[base + 768 + b]) ^ constant) >>> 0;
}

/**
 * @param {Uint32Array} s @param {number} base @param {number} x
 * @returns {number}
 */
function apply(s, base, x) {
  return (
    /** @type {number} */ (s[base + (x >>> 24)]) ^
    /** @type {number} */ (s[base + 256 + ((x >>> 16) & 0xff)]) ^
    /** @type {number} */ (s[base + 512 + ((x >>> 8) & 0xff)]) ^
    /** @type {number} */ (s[base + 768 + (x & 0xff)])
  ) >>> 0;
}

/**
 * @param {Uint8Array} body
 * @param {number} flags
 * @returns {import("./aes-chow.mjs").BlockTransform}
 */
export function loadSm4Tables(body, flags) {
  const extIn = (flags & FLAG_EXTERNAL_INPUT) !== 0;
  const extOut = (flags & FLAG_EXTERNAL_OUTPUT) !== 0;
  const expected = (extIn ? 0 : 4 * AFFINE_BYTES) + 32 * ROUND_BYTES + (extOut ? 0 : 4 * AFFINE_BYTES);
  if (body.length !== expected) throw new TableFileError("tables: SM4 body has the wrong length");
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  let pos = 0;
  const inputMaps = extIn ? undefined : new Uint32Array(4 * 1024);
  if (inputMaps) for (let j = 0; j < 4; j++, pos += AFFINE_BYTES) loadAffine(view, pos, inputMaps, j * 1024);
  // Per round: M1, M2, M3, C, D as slices (5 × 1024) and the T tables (1024).
  const maps = new Uint32Array(32 * 5 * 1024);
  const tables = new Uint32Array(32 * 1024);
  for (let i = 0; i < 32; i++) {
    for (let k = 0; k < 3; k++, pos += AFFINE_BYTES) loadAffine(view, pos, maps, (i * 5 + k) * 1024);
    for (let e = 0; e < 1024; e++, pos += 4) tables[i * 1024 + e] = view.getUint32(pos);
    for (let k = 3; k < 5; k++, pos += AFFINE_BYTES) loadAffine(view, pos, maps, (i * 5 + k) * 1024);
  }
  const outputMaps = extOut ? undefined : new Uint32Array(4 * 1024);
  if (outputMaps) for (let j = 0; j < 4; j++, pos += AFFINE_BYTES) loadAffine(view, pos, outputMaps, j * 1024);

  return {
    transform(input, inOff, output, outOff) {
      const iv = new DataView(input.buffer, input.byteOffset + inOff, 16);
      let x0 = iv.getUint32(0);
      let x1 = iv.getUint32(4);
      let x2 = iv.getUint32(8);
      let x3 = iv.getUint32(12);
      if (inputMaps) {
        x0 = apply(inputMaps, 0, x0);
        x1 = apply(inputMaps, 1024, x1);
        x2 = apply(inputMaps, 2048, x2);
        x3 = apply(inputMaps, 3072, x3);
      }
      for (let i = 0; i < 32; i++) {
        const m = i * 5 * 1024;
        const y = (apply(maps, m, x1) ^ apply(maps, m + 1024, x2) ^ apply(maps, m + 2048, x3)) >>> 0;
        const t = i * 1024;
        const z =
          (/** @type {number} */ (tables[t + (y >>> 24)]) ^
            /** @type {number} */ (tables[t + 256 + ((y >>> 16) & 0xff)]) ^
            /** @type {number} */ (tables[t + 512 + ((y >>> 8) & 0xff)]) ^
            /** @type {number} */ (tables[t + 768 + (y & 0xff)])) >>>
          0;
        const x4 = (apply(maps, m + 3072, x0) ^ apply(maps, m + 4096, z)) >>> 0;
        x0 = x1;
        x1 = x2;
        x2 = x3;
        x3 = x4;
      }
      let o0 = x3;
      let o1 = x2;
      let o2 = x1;
      let o3 = x0;
      if (outputMaps) {
        o0 = apply(outputMaps, 0, o0);
        o1 = apply(outputMaps, 1024, o1);
        o2 = apply(outputMaps, 2048, o2);
        o3 = apply(outputMaps, 3072, o3);
      }
      const ov = new DataView(output.buffer, output.byteOffset + outOff, 16);
      ov.setUint32(0, o0);
      ov.setUint32(4, o1);
      ov.setUint32(8, o2);
      ov.setUint32(12, o3);
    },
  };
}
