/**
 * The SM2 formulas of GB/T 32918 (GM/T 0003) that involve no secret scalar
 * multiplication: the user digest Z_A, the signature equation, the KDF, and
 * the recovery of a product point's y from two x-only results.
 *
 * Everything here takes its curve as a parameter, so the standard's Annex A
 * examples on its 256-bit test curve exercise the same code as the
 * recommended curve (test/unit/sm2.test.ts). Scalar multiplication lives in
 * sm2-scalar.ts (secret scalars, OpenSSL) and sm2-vartime.ts (public ones).
 */
import { createHash } from "node:crypto";
import { invert, mod } from "@noble/curves/abstract/modular.js";
import { weierstrass } from "@noble/curves/abstract/weierstrass.js";
import { AsymmetricInputError } from "./types.js";

/** Short-Weierstrass domain parameters y² = x³ + ax + b over F_p, base point (Gx, Gy) of prime order n. */
export interface CurveParams {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** An affine curve point (never the point at infinity). */
export interface Affine {
  readonly x: bigint;
  readonly y: bigint;
}

/** The recommended curve, GB/T 32918.5 (OpenSSL's "SM2", OID 1.2.156.10197.1.301). Cofactor 1. */
export const SM2_CURVE: CurveParams = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

/** The SM2 base point as an affine point. */
export const SM2_G: Affine = { x: SM2_CURVE.Gx, y: SM2_CURVE.Gy };

/** noble's point type for the recommended curve: used for public point additions only. */
export const Sm2Point = weierstrass({ ...SM2_CURVE, h: 1n });

/** The default distinguishing identifier (GM/T 0009), which Tencent and OpenSSL's distid use. */
export const SM2_DEFAULT_USER_ID = "1234567812345678";

/** Field elements and scalars are 32 bytes on both curves used here. */
export const SM2_FIELD_BYTES = 32;

// ENTL is a 16-bit count of ID bits, so an ID is at most 8191 bytes.
const MAX_USER_ID_BYTES = 8191;

/** SM3 of the concatenated parts (OpenSSL's implementation, via node:crypto). */
export function sm3(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sm3");
  for (const part of parts) h.update(part);
  return h.digest();
}

/** Big-endian unsigned bytes to a bigint. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex")}`);
}

/** A non-negative bigint as exactly `length` big-endian bytes; RangeError if it does not fit. */
export function bigintToBytes(value: bigint, length: number = SM2_FIELD_BYTES): Uint8Array {
  if (value < 0n || value >> BigInt(8 * length) !== 0n) throw new RangeError("integer does not fit");
  return Buffer.from(value.toString(16).padStart(2 * length, "0"), "hex");
}

/** The uncompressed SEC 1 encoding 04 || x || y. */
export function encodeUncompressed(point: Affine): Uint8Array {
  const out = new Uint8Array(1 + 2 * SM2_FIELD_BYTES);
  out[0] = 0x04;
  out.set(bigintToBytes(point.x), 1);
  out.set(bigintToBytes(point.y), 1 + SM2_FIELD_BYTES);
  return out;
}

/** Parses 04 || x || y (65 bytes) without checking the curve equation; null for any other shape. */
export function decodeUncompressed(bytes: Uint8Array): Affine | null {
  if (bytes.length !== 1 + 2 * SM2_FIELD_BYTES || bytes[0] !== 0x04) return null;
  return {
    x: bytesToBigint(bytes.subarray(1, 1 + SM2_FIELD_BYTES)),
    y: bytesToBigint(bytes.subarray(1 + SM2_FIELD_BYTES)),
  };
}

/** True when both coordinates are field elements and y² = x³ + ax + b. With cofactor 1 that also means order n. */
export function isOnCurve(c: CurveParams, point: Affine): boolean {
  const { x, y } = point;
  if (x < 0n || x >= c.p || y < 0n || y >= c.p) return false;
  return mod(y * y, c.p) === rightHandSide(c, x);
}

/** x³ + ax + b mod p. */
function rightHandSide(c: CurveParams, x: bigint): bigint {
  return mod((x * x + c.a) * x + c.b, c.p);
}

/** The UTF-8 bytes of a user ID; AsymmetricInputError if ENTL cannot express its length. */
export function userIdBytes(userId: string): Uint8Array {
  const bytes = Buffer.from(userId, "utf8");
  if (bytes.length > MAX_USER_ID_BYTES) throw new AsymmetricInputError("SM2 user ID is too long");
  return bytes;
}

/** Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), GB/T 32918.2 §5.5. */
export function computeZa(c: CurveParams, userId: Uint8Array, publicKey: Affine): Uint8Array {
  if (userId.length > MAX_USER_ID_BYTES) throw new AsymmetricInputError("SM2 user ID is too long");
  const entl = Uint8Array.of((userId.length * 8) >> 8, (userId.length * 8) & 0xff);
  const fields = [c.a, c.b, c.Gx, c.Gy, publicKey.x, publicKey.y].map((v) => bigintToBytes(v));
  return sm3(entl, userId, ...fields);
}

/** (1 + d)⁻¹ mod n, the per-key factor of every signature. Needs d in [1, n − 2]. */
export function signingFactor(n: bigint, d: bigint): bigint {
  return invert(d + 1n, n);
}

/**
 * The signature (r, s) for digest e, nonce k with x1 = x(kG), and
 * factor = (1 + d)⁻¹: r = (e + x1) mod n, s = (1 + d)⁻¹(k − r·d) mod n,
 * computed as factor·(k + r) − r (the same value, one multiplication fewer).
 * Null where the standard says to draw a new k: r = 0, r + k = n, or s = 0.
 */
export function signWithNonce(n: bigint, e: bigint, k: bigint, x1: bigint, factor: bigint): { r: bigint; s: bigint } | null {
  const r = mod(e + x1, n);
  if (r === 0n || r + k === n) return null;
  const s = mod(factor * (k + r) - r, n);
  return s === 0n ? null : { r, s };
}

/** KDF(Z, klen) of GB/T 32918.4 §5.4.3: SM3(Z || ct) for ct = 1, 2, … (32-bit big-endian), truncated to `length` bytes. */
export function kdf(z: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  // Hash Z once and copy the state per block: Z is fixed, only the counter changes.
  const prefix = createHash("sm3").update(z);
  const counter = new Uint8Array(4);
  const view = new DataView(counter.buffer);
  for (let offset = 0, ct = 1; offset < length; offset += 32, ct++) {
    view.setUint32(0, ct);
    const block = prefix.copy().update(counter).digest();
    out.set(block.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

/** True when every byte is zero (constant time over the length: the KDF output is secret). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** a ⊕ b for equal lengths. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/**
 * The y of a point Q whose x is known, given a known point R with x_R ≠ x_Q
 * and x_S = x(Q + R). From the chord rule x_S = λ² − x_Q − x_R with
 * λ = (y_Q − y_R)/(x_Q − x_R) and y_Q² = x_Q³ + a·x_Q + b:
 *   y_Q = (y_Q² + y_R² − (x_S + x_Q + x_R)(x_Q − x_R)²) / (2·y_R).
 * Why: OpenSSL's ECDH hands out x-coordinates only; two of them pin y
 * exactly (no square root, no sign to guess). Null if the inputs are
 * inconsistent (then no such Q exists), which callers treat as an internal error.
 */
export function recoverY(c: CurveParams, xQ: bigint, known: Affine, xSum: bigint): bigint | null {
  const { p } = c;
  if (known.y === 0n || mod(xQ - known.x, p) === 0n) return null;
  const ySquared = rightHandSide(c, xQ);
  const dx = mod(xQ - known.x, p);
  const numerator = mod(ySquared + known.y * known.y - (xSum + xQ + known.x) * dx * dx, p);
  const y = mod(numerator * invert(2n * known.y, p), p);
  return mod(y * y, p) === ySquared ? y : null;
}

/** −P. */
export function negate(c: CurveParams, point: Affine): Affine {
  return { x: point.x, y: mod(-point.y, c.p) };
}
