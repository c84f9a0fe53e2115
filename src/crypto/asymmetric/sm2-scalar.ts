/**
 * Secret-scalar multiplication on the SM2 curve, done by OpenSSL through
 * node:crypto's ECDH on the named curve "SM2": key generation (d·G), signing
 * nonces (k·G), encryption (k·G, k·P) and decryption (d·C1).
 *
 * Why OpenSSL and not @noble/curves: OpenSSL's ladders are constant time and
 * faster here. Measured on one core of this machine: k·G by
 * ECDH.generateKeys 2,700/s vs noble's (blinded) multiply 1,400/s; a
 * variable-base ladder 1,000/s vs noble's 240/s.
 *
 * ECDH yields only x(k·Q). The y is pinned by a second ladder with the same
 * scalar on Q + G: x(k·(Q + G)) = x(k·Q + k·G), where k·G is known, so
 * recoverY (sm2-math.ts) solves for y(k·Q) exactly. That needs Q ≠ ±G,
 * otherwise k·Q = ±k·G directly.
 */
import { createECDH, type ECDH } from "node:crypto";
import {
  bigintToBytes,
  bytesToBigint,
  decodeUncompressed,
  encodeUncompressed,
  negate,
  recoverY,
  SM2_CURVE,
  SM2_G,
  Sm2Point,
  type Affine,
} from "./sm2-math.js";

/** A validated public point prepared as a multiplication target: its encoding and that of Q + G. */
export interface Sm2Target {
  readonly point: Affine;
  readonly encoded: Uint8Array;
  /** Encoding of Q + G; null when Q = ±G (then k·Q = ±k·G needs no ladder). */
  readonly plusG: Uint8Array | null;
}

/** A secret scalar held inside an OpenSSL ECDH context, with its public multiple k·G. */
export interface Sm2SecretScalar {
  /** k·G. */
  readonly base: Affine;
  /** k·Q for a prepared target. */
  multiply(target: Sm2Target): Affine;
}

/** A random scalar k in [1, n − 1] from OpenSSL's CSPRNG, with k·G. */
export interface Sm2Nonce {
  readonly k: bigint;
  readonly kG: Affine;
}

// Signing only needs k and k·G, so one context is reused (single-threaded, synchronous).
const nonceContext = createECDH("SM2");

/** Prepares a point that is already known to be on the curve. */
export function prepareTarget(point: Affine): Sm2Target {
  const encoded = encodeUncompressed(point);
  if (point.x === SM2_G.x) return { point, encoded, plusG: null };
  // Public data, so noble's (variable-time) affine addition is fine here.
  const sum = Sm2Point.fromAffine(point).add(Sm2Point.BASE).toAffine();
  return { point, encoded, plusG: encodeUncompressed(sum) };
}

/** A fresh random nonce k with k·G (OpenSSL EC key generation: uniform in [1, n − 1]). */
export function randomNonce(): Sm2Nonce {
  nonceContext.generateKeys();
  return { k: bytesToBigint(nonceContext.getPrivateKey()), kG: publicPointOf(nonceContext) };
}

/** A fresh random scalar with k·G from its own OpenSSL context (key generation: nothing lingers in the shared one). */
export function randomScalar(): Sm2Nonce {
  const ecdh = createECDH("SM2");
  ecdh.generateKeys();
  return { k: bytesToBigint(ecdh.getPrivateKey()), kG: publicPointOf(ecdh) };
}

/** A fresh random secret scalar, for one encryption. */
export function randomSecretScalar(): Sm2SecretScalar {
  const ecdh = createECDH("SM2");
  ecdh.generateKeys();
  return wrap(ecdh);
}

/** A given secret scalar k in [1, n − 1] (a private key; or a fixed nonce in known-answer tests). */
export function secretScalar(k: bigint): Sm2SecretScalar {
  if (k <= 0n || k >= SM2_CURVE.n) throw new RangeError("SM2 scalar out of range");
  const ecdh = createECDH("SM2");
  ecdh.setPrivateKey(bigintToBytes(k));
  return wrap(ecdh);
}

function wrap(ecdh: ECDH): Sm2SecretScalar {
  const base = publicPointOf(ecdh);
  return { base, multiply: (target) => multiplyTarget(ecdh, base, target) };
}

/** k·Q from two x-only ladders; see the module comment. */
function multiplyTarget(ecdh: ECDH, base: Affine, target: Sm2Target): Affine {
  if (target.plusG === null) return target.point.y === SM2_G.y ? base : negate(SM2_CURVE, base);
  const x = bytesToBigint(ecdh.computeSecret(target.encoded));
  const xSum = bytesToBigint(ecdh.computeSecret(target.plusG));
  const y = recoverY(SM2_CURVE, x, base, xSum);
  // Unreachable for a valid target: Q ≠ ±G and k ≠ 0 make x(k·Q) ≠ x(k·G).
  if (y === null) throw new Error("SM2: inconsistent scalar multiplication");
  return { x, y };
}

function publicPointOf(ecdh: ECDH): Affine {
  const point = decodeUncompressed(ecdh.getPublicKey());
  if (point === null) throw new Error("SM2: unexpected public key encoding from OpenSSL");
  return point;
}
