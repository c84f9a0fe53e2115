/**
 * s·G + t·P on the SM2 curve for signature verification, where s, t and P
 * are all public. Deliberately NOT constant time: running time depends on
 * the scalars, which is harmless here because verification holds no secret.
 * Never use it with a private key or a nonce (sm2-scalar.ts does those).
 *
 * Why not noble's multiplyUnsafe / mulAddUnsafe: noble uses complete projective
 * formulas for a generic a (about 16 field multiplications per doubling); SM2
 * has a = −3, for which Jacobian doubling costs 3M + 5S. Measured on one core
 * here: noble G·s + P·t 375/s; this code 2x that for a fresh key.
 *
 * How:
 *   s·G  from a signed fixed-window ("comb") table of G, width 8: one mixed
 *        addition per window, no doublings. Built once per process (about 40 ms).
 *   t·P  for a fresh key: width-6 wNAF double-and-add over 16 odd multiples of
 *        P (256 doublings, the bulk of the cost). Once a multiplier has been
 *        used PROMOTE_AFTER times it builds P's own width-6 comb (about 14 ms,
 *        some 200 KB) and verification needs no doublings at all: 2,800/s vs 770/s.
 * Cross-checked against noble on random and edge scalars in test/unit/sm2.test.ts.
 */
import { invert } from "@noble/curves/abstract/modular.js";
import { SM2_CURVE, SM2_G, type Affine } from "./sm2-math.js";

const P = SM2_CURVE.p;

/** Jacobian (X, Y, Z) ∋ (X/Z², Y/Z³); Z = 0 is the point at infinity. */
interface Jacobian {
  readonly x: bigint;
  readonly y: bigint;
  readonly z: bigint;
}

const INFINITY: Jacobian = { x: 1n, y: 1n, z: 0n };

/** Odd multiples 1·Q, 3·Q, 5·Q, … of one point, affine, for wNAF double-and-add. */
type OddMultiples = readonly Affine[];

/** Signed fixed-window table: windows[i][j − 1] = j·2^(width·i)·Q for j in [1, 2^(width−1)]. */
interface Comb {
  readonly width: number;
  readonly windows: readonly (readonly Affine[])[];
}

/** s·G + t·P for one public key P. */
export interface PublicMultiplier {
  /** s·G + t·P for public s, t in [0, n); null for the point at infinity. Variable time. */
  mulAdd(s: bigint, t: bigint): Affine | null;
}

// G's comb is built once per process (33 windows of 128 points); a busy key's P gets a
// width-6 comb (44 × 32 points, about 200 KB) once it has been used PROMOTE_AFTER times.
// Before that, P goes through wNAF double-and-add with 16 odd multiples.
const G_COMB_WIDTH = 8;
const P_COMB_WIDTH = 6;
const P_WNAF_WIDTH = 6;
// Building P's comb costs about as much as ten double-and-add verifications, so it is
// only worth it for a key that is verified with repeatedly (ski-rental threshold).
const PROMOTE_AFTER = 16;

// Field arithmetic on canonical residues in [0, p).
const fmul = (a: bigint, b: bigint): bigint => (a * b) % P;
const fadd = (a: bigint, b: bigint): bigint => {
  const s = a + b;
  return s >= P ? s - P : s;
};
const fsub = (a: bigint, b: bigint): bigint => {
  const d = a - b;
  return d < 0n ? d + P : d;
};
// Reduces a small signed combination of residues.
const fred = (a: bigint): bigint => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

/** 2·Q, dbl-2001-b for a = −3: 3M + 5S. */
function double(q: Jacobian): Jacobian {
  if (q.z === 0n) return q;
  const delta = fmul(q.z, q.z);
  const gamma = fmul(q.y, q.y);
  const beta = fmul(q.x, gamma);
  const alpha = fred(3n * fmul(fsub(q.x, delta), fadd(q.x, delta)));
  const x = fred(alpha * alpha - 8n * beta);
  const yz = q.y + q.z;
  const z = fred(yz * yz - gamma - delta);
  const y = fred(alpha * (4n * beta - x) - 8n * fmul(gamma, gamma));
  return { x, y, z };
}

/** Q + A with A affine, madd-2007-bl: 7M + 4S. */
function addAffine(q: Jacobian, a: Affine): Jacobian {
  if (q.z === 0n) return { x: a.x, y: a.y, z: 1n };
  const z1z1 = fmul(q.z, q.z);
  const h = fsub(fmul(a.x, z1z1), q.x);
  const r = fred(2n * (fmul(a.y, fmul(q.z, z1z1)) - q.y));
  if (h === 0n) return r === 0n ? double(q) : INFINITY;
  const hh = fmul(h, h);
  const i = fred(4n * hh);
  const j = fmul(h, i);
  const v = fmul(q.x, i);
  const x = fred(r * r - j - 2n * v);
  const y = fred(r * (v - x) - 2n * fmul(q.y, j));
  const zh = q.z + h;
  return { x, y, z: fred(zh * zh - z1z1 - hh) };
}

/** Q1 + Q2, add-2007-bl: 11M + 5S (table building only). */
function add(q1: Jacobian, q2: Jacobian): Jacobian {
  if (q1.z === 0n) return q2;
  if (q2.z === 0n) return q1;
  const z1z1 = fmul(q1.z, q1.z);
  const z2z2 = fmul(q2.z, q2.z);
  const u1 = fmul(q1.x, z2z2);
  const s1 = fmul(q1.y, fmul(q2.z, z2z2));
  const h = fsub(fmul(q2.x, z1z1), u1);
  const r = fred(2n * (fmul(q2.y, fmul(q1.z, z1z1)) - s1));
  if (h === 0n) return r === 0n ? double(q1) : INFINITY;
  const i = fred(4n * h * h);
  const j = fmul(h, i);
  const v = fmul(u1, i);
  const x = fred(r * r - j - 2n * v);
  const y = fred(r * (v - x) - 2n * fmul(s1, j));
  const zz = q1.z + q2.z;
  return { x, y, z: fmul(fred(zz * zz - z1z1 - z2z2), h) };
}

/** Affine forms of finite Jacobian points with one inversion (Montgomery's trick). */
function toAffineAll(points: readonly Jacobian[]): Affine[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const q of points) {
    prefix.push(acc);
    acc = fmul(acc, q.z);
  }
  let inv = invert(acc, P);
  const out: Affine[] = new Array<Affine>(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const q = points[i] as Jacobian;
    const zInv = fmul(inv, prefix[i] as bigint);
    inv = fmul(inv, q.z);
    const zInv2 = fmul(zInv, zInv);
    out[i] = { x: fmul(q.x, zInv2), y: fmul(q.y, fmul(zInv2, zInv)) };
  }
  return out;
}

/** The 2^(width−2) odd multiples of a curve point (the point must be valid, not infinity). */
function oddMultiples(point: Affine, width: number): OddMultiples {
  const first: Jacobian = { x: point.x, y: point.y, z: 1n };
  const twice = double(first);
  const jacobian: Jacobian[] = [first];
  for (let i = 1; i < 1 << (width - 2); i++) jacobian.push(add(jacobian[i - 1] as Jacobian, twice));
  return toAffineAll(jacobian);
}

/** The comb table of a curve point, normalised to affine with one inversion. */
function combTable(point: Affine, width: number): Comb {
  const windowCount = Math.ceil(256 / width) + 1; // one extra window takes the final carry
  const perWindow = 1 << (width - 1);
  const flat: Jacobian[] = [];
  let base: Jacobian = { x: point.x, y: point.y, z: 1n };
  for (let i = 0; i < windowCount; i++) {
    let multiple = base;
    flat.push(multiple);
    for (let j = 1; j < perWindow; j++) flat.push((multiple = add(multiple, base)));
    for (let j = 0; j < width; j++) base = double(base);
  }
  const affine = toAffineAll(flat);
  const windows: Affine[][] = [];
  for (let i = 0; i < windowCount; i++) windows.push(affine.slice(i * perWindow, (i + 1) * perWindow));
  return { width, windows };
}

/** Width-w NAF digits of k ≥ 0, least significant first: each odd in (−2^(w−1), 2^(w−1)) or 0. */
function wnaf(k: bigint, width: number): Int32Array {
  const digits = new Int32Array(258);
  const full = 1 << width;
  const half = full >> 1;
  const mask = BigInt(full - 1);
  for (let i = 0; k > 0n; i++, k >>= 1n) {
    if ((k & 1n) === 0n) continue;
    let d = Number(k & mask);
    if (d >= half) d -= full;
    k -= BigInt(d);
    digits[i] = d;
  }
  return digits;
}

/** k·Q by wNAF double-and-add over Q's odd multiples (one doubling per bit of k). */
function wnafMultiply(table: OddMultiples, k: bigint): Jacobian {
  const digits = wnaf(k, P_WNAF_WIDTH);
  let top = digits.length - 1;
  while (top >= 0 && digits[top] === 0) top--;
  let acc = INFINITY;
  for (let i = top; i >= 0; i--) {
    acc = double(acc);
    const d = digits[i] ?? 0;
    if (d !== 0) acc = addSigned(acc, table[(Math.abs(d) - 1) >> 1] as Affine, d < 0);
  }
  return acc;
}

/** acc + k·Q from Q's comb: one addition per non-zero signed window digit, no doublings. */
function combAdd(acc: Jacobian, comb: Comb, k: bigint): Jacobian {
  const size = 1 << comb.width;
  const half = size >> 1;
  const mask = BigInt(size - 1);
  const shift = BigInt(comb.width);
  for (const window of comb.windows) {
    let digit = Number(k & mask);
    k >>= shift;
    if (digit > half) {
      digit -= size; // negative digit, carry into the next window
      k += 1n;
    }
    if (digit !== 0) acc = addSigned(acc, window[Math.abs(digit) - 1] as Affine, digit < 0);
  }
  return acc;
}

/** acc ± A. */
function addSigned(acc: Jacobian, a: Affine, negative: boolean): Jacobian {
  return addAffine(acc, negative ? { x: a.x, y: a.y === 0n ? 0n : P - a.y } : a);
}

let gComb: Comb | undefined;

/** A multiplier for one public key: cheap to create, faster once the key proves busy. */
export function createPublicMultiplier(point: Affine): PublicMultiplier {
  const odd = oddMultiples(point, P_WNAF_WIDTH);
  let comb: Comb | undefined;
  let uses = 0;
  return {
    mulAdd(s, t) {
      gComb ??= combTable(SM2_G, G_COMB_WIDTH);
      if (comb === undefined && ++uses >= PROMOTE_AFTER) comb = combTable(point, P_COMB_WIDTH);
      // With P's comb no doublings remain; without it the chain comes from t·P and s·G's
      // table additions are simply applied on top afterwards.
      const acc = comb === undefined ? wnafMultiply(odd, t) : combAdd(INFINITY, comb, t);
      const sum = combAdd(acc, gComb, s);
      return sum.z === 0n ? null : (toAffineAll([sum])[0] ?? null);
    },
  };
}
