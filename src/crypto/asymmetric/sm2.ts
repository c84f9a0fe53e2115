/**
 * SM2 (GB/T 32918 / GM/T 0003) signatures (Tencent's SM2DSA) and public-key
 * encryption (Tencent's SM2 = C1C3C2, SM2_C1C3C2_ASN1), on the recommended
 * curve with SM3, interoperable with OpenSSL 3.
 *
 * Measured 2026-11-23 on one core of this 2-core machine (bench/sm2-rate.ts,
 * Node 20.20.2, OpenSSL 3.0.19, @noble/curves 2.4.0, sm-crypto-v2 1.15.1;
 * run-to-run noise about ±10%), ops/s:
 *                          ours    sm-crypto-v2                openssl speed -seconds 3 sm2
 *   sign (RAW, 64 B)       2,610   2,160 (1,300 w/o pub key)   2,530
 *   verify, busy key       2,810   1,400 (precomputed point)   2,820
 *   verify, fresh key        770     230
 *   encrypt 32 B             410     230 (1,490 precomputed)     —
 *   decrypt 32 B             480     255                         —
 *   keygen 2,500; createSm2Signer 2,240; fresh decrypter + decrypt 400.
 * Ours reuse one signer/verifier/encrypter/decrypter; "busy key" is a verifier
 * past its 16th use, "fresh key" a new verifier per verification (sm2Verify).
 * Encryption and decryption cost two OpenSSL ladders each (see sm2-scalar.ts);
 * sm-crypto-v2's faster precomputed encryption does its secret-nonce
 * multiplication in JavaScript, which this module avoids on purpose. (Tencent's
 * KMS API has no server-side asymmetric encryption: clients encrypt with the
 * key from GetPublicKey; only decryption runs here.)
 *
 * Keys
 *   privateKey    PKCS#8 DER exactly as OpenSSL 3 writes it for SM2 (138 bytes):
 *                 AlgorithmIdentifier { id-ecPublicKey, sm2 1.2.156.10197.1.301 },
 *                 ECPrivateKey { 1, d (32 bytes), [1] public point }.
 *   publicKeySpki DER SubjectPublicKeyInfo, same AlgorithmIdentifier, uncompressed
 *                 point (91 bytes). Compressed points are rejected.
 *
 * Signatures: DER SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009), at most 72 bytes.
 * RAW signs e = SM3(Z_A || M); DIGEST takes e (32 bytes) from the caller.
 * Z_A binds the user ID, by default "1234567812345678" — what Tencent uses and
 * OpenSSL's `-pkeyopt distid:1234567812345678` sets. (node:crypto signs SM2
 * with an empty ID and cannot change it, which is why it is not used here.)
 *
 * Ciphertexts, for an n-byte plaintext (n ≥ 1):
 *   C1C3C2        04 || x1 || y1 (65) || C3 = SM3(x2 || M || y2) (32) || C2 (n)
 *   C1C3C2_ASN1   DER SEQUENCE { x1 INTEGER, y1 INTEGER, C3 OCTET STRING, C2 OCTET STRING }
 *                 (GM/T 0009; what `openssl pkeyutl -encrypt` writes for SM2 keys)
 * Every decryption failure is the same AsymmetricInputError("decryption failed").
 *
 * Where the arithmetic runs: secret scalars (keys, nonces) in OpenSSL through
 * node:crypto ECDH (sm2-scalar.ts, constant time); public verification in
 * sm2-vartime.ts (variable time, public data only); formulas in sm2-math.ts.
 */
import { timingSafeEqual } from "node:crypto";
import {
  decodeSm2CiphertextAsn1,
  decodeSm2Pkcs8,
  decodeSm2Signature,
  decodeSm2Spki,
  encodeSm2CiphertextAsn1,
  encodeSm2Pkcs8,
  encodeSm2Signature,
  encodeSm2Spki,
} from "./sm2-der.js";
import {
  bigintToBytes,
  bytesToBigint,
  computeZa,
  decodeUncompressed,
  encodeUncompressed,
  isAllZero,
  isOnCurve,
  kdf,
  signingFactor,
  signWithNonce,
  SM2_CURVE,
  SM2_DEFAULT_USER_ID,
  SM2_FIELD_BYTES,
  sm3,
  userIdBytes,
  xorBytes,
  type Affine,
} from "./sm2-math.js";
import { prepareTarget, randomNonce, randomScalar, randomSecretScalar, secretScalar, type Sm2SecretScalar } from "./sm2-scalar.js";
import { createPublicMultiplier } from "./sm2-vartime.js";
import { pemToSpki } from "./pem.js";
import { AsymmetricInputError, type AsymmetricSpec, type GeneratedKeyPair, type MessageType } from "./types.js";

export { SM2_DEFAULT_USER_ID } from "./sm2-math.js";

/** DIGEST input length: an SM3 hash. */
export const SM2_DIGEST_LENGTH = 32;

/** Ciphertext layouts: raw C1C3C2 (Tencent's "SM2") or GM/T 0009 DER (Tencent's "SM2_C1C3C2_ASN1"). */
export type Sm2CiphertextFormat = "C1C3C2" | "C1C3C2_ASN1";

/** A parsed, validated SM2 public key. */
export interface Sm2PublicKey {
  readonly point: Affine;
  /** 04 || x || y. */
  readonly uncompressed: Uint8Array;
}

/** A parsed, validated SM2 private key (d in [1, n − 2]) with its public key. */
export interface Sm2PrivateKey {
  readonly d: bigint;
  readonly publicKey: Sm2PublicKey;
}

/** Signs with one SM2 private key under one user ID. */
export interface Sm2Signer {
  /** Returns a DER signature; throws AsymmetricInputError for a DIGEST that is not 32 bytes. */
  sign(data: Uint8Array, messageType: MessageType): Uint8Array;
}

/** Verifies with one SM2 public key under one user ID. */
export interface Sm2Verifier {
  /** False for any bad, malformed or non-DER signature (never throws for one); throws AsymmetricInputError for a DIGEST that is not 32 bytes. */
  verify(data: Uint8Array, signatureDer: Uint8Array, messageType: MessageType): boolean;
}

/** Encrypts to one SM2 public key. */
export interface Sm2Encrypter {
  /** Throws AsymmetricInputError for an empty plaintext. */
  encrypt(plaintext: Uint8Array, format: Sm2CiphertextFormat): Uint8Array;
}

/** Decrypts with one SM2 private key. */
export interface Sm2Decrypter {
  /** Throws AsymmetricInputError("decryption failed") for any bad ciphertext, whatever the reason. */
  decrypt(ciphertext: Uint8Array, format: Sm2CiphertextFormat): Uint8Array;
}

const N = SM2_CURVE.n;
const C1_LENGTH = 1 + 2 * SM2_FIELD_BYTES;
const C3_LENGTH = 32;

/** A fresh SM2 key pair (d uniform in [1, n − 2], from OpenSSL's CSPRNG). */
export function generateSm2KeyPair(): GeneratedKeyPair {
  for (;;) {
    const { k, kG } = randomScalar();
    // d = n − 1 is excluded by the standard: 1 + d must be invertible mod n.
    if (k === N - 1n) continue;
    const point = encodeUncompressed(kG);
    return { privateKey: encodeSm2Pkcs8(bigintToBytes(k), point), publicKeySpki: encodeSm2Spki(point) };
  }
}

/** Parses SM2 PKCS#8 DER; AsymmetricInputError if malformed, d is out of range, or an embedded public key does not match d. */
export function sm2PrivateKeyFromPkcs8(pkcs8: Uint8Array): Sm2PrivateKey {
  const { d, publicKey } = loadPrivateKey(pkcs8);
  return { d, publicKey };
}

/** Parses SM2 SPKI DER; AsymmetricInputError unless it is exactly the expected structure with a point on the curve. */
export function sm2PublicKeyFromSpki(spki: Uint8Array): Sm2PublicKey {
  const encoded = decodeSm2Spki(spki);
  const point = encoded === null ? null : decodeUncompressed(encoded);
  // An uncompressed point on the curve is never infinity, and cofactor 1 puts it in the group.
  if (encoded === null || point === null || !isOnCurve(SM2_CURVE, point)) throw new AsymmetricInputError("invalid SM2 public key");
  return { point, uncompressed: Uint8Array.from(encoded) };
}

/** The DER SPKI matching an SM2 PKCS#8 private key. */
export function deriveSm2PublicKeySpki(pkcs8: Uint8Array): Uint8Array {
  return encodeSm2Spki(loadPrivateKey(pkcs8).publicKey.uncompressed);
}

/** A signer that has parsed the key and computed Z_A once. */
export function createSm2Signer(pkcs8: Uint8Array, userId: string = SM2_DEFAULT_USER_ID): Sm2Signer {
  // Keep only what signing needs; the OpenSSL context used to derive d·G can go.
  const { d, publicKey } = loadPrivateKey(pkcs8);
  const za = computeZa(SM2_CURVE, userIdBytes(userId), publicKey.point);
  const factor = signingFactor(N, d);
  return {
    sign(data, messageType) {
      const e = messageDigest(za, data, messageType);
      for (;;) {
        const { k, kG } = randomNonce();
        const signature = signWithNonce(N, e, k, kG.x, factor);
        if (signature !== null) return encodeSm2Signature(signature.r, signature.s);
      }
    },
  };
}

/** A verifier that has parsed the key and computed Z_A once; it speeds up after repeated use (sm2-vartime.ts). */
export function createSm2Verifier(spki: Uint8Array, userId: string = SM2_DEFAULT_USER_ID): Sm2Verifier {
  const key = sm2PublicKeyFromSpki(spki);
  const za = computeZa(SM2_CURVE, userIdBytes(userId), key.point);
  const multiplier = createPublicMultiplier(key.point);
  return {
    verify(data, signatureDer, messageType) {
      const e = messageDigest(za, data, messageType);
      const signature = decodeSm2Signature(signatureDer);
      if (signature === null) return false;
      const { r, s } = signature;
      if (r < 1n || r >= N || s < 1n || s >= N) return false;
      const t = (r + s) % N;
      if (t === 0n) return false;
      const point = multiplier.mulAdd(s, t);
      return point !== null && (e + point.x) % N === r;
    },
  };
}

/** One-shot RAW/DIGEST signature; prefer createSm2Signer for repeated use. */
export function sm2Sign(pkcs8: Uint8Array, data: Uint8Array, messageType: MessageType, userId: string = SM2_DEFAULT_USER_ID): Uint8Array {
  return createSm2Signer(pkcs8, userId).sign(data, messageType);
}

/** One-shot verification; prefer createSm2Verifier for repeated use. */
export function sm2Verify(
  spki: Uint8Array,
  data: Uint8Array,
  signatureDer: Uint8Array,
  messageType: MessageType,
  userId: string = SM2_DEFAULT_USER_ID,
): boolean {
  return createSm2Verifier(spki, userId).verify(data, signatureDer, messageType);
}

/** An encrypter that has parsed and prepared the public key once. */
export function createSm2Encrypter(spki: Uint8Array): Sm2Encrypter {
  const target = prepareTarget(sm2PublicKeyFromSpki(spki).point);
  return {
    encrypt(plaintext, format) {
      if (plaintext.length === 0) throw new AsymmetricInputError("SM2 plaintext is empty");
      for (;;) {
        const k = randomSecretScalar();
        const shared = k.multiply(target);
        const x2 = bigintToBytes(shared.x);
        const y2 = bigintToBytes(shared.y);
        const t = kdf(concat(x2, y2), plaintext.length);
        // GB/T 32918.4 §6.1 A5: an all-zero t would leave M in the clear; draw a new k.
        if (isAllZero(t)) continue;
        const c3 = sm3(x2, plaintext, y2);
        return encodeCiphertext(k.base, c3, xorBytes(plaintext, t), format);
      }
    },
  };
}

/** A decrypter that has parsed the key once (its scalar stays inside an OpenSSL context). */
export function createSm2Decrypter(pkcs8: Uint8Array): Sm2Decrypter {
  const { scalar } = loadPrivateKey(pkcs8);
  return {
    decrypt(ciphertext, format) {
      const parts = decodeCiphertext(ciphertext, format);
      // B1: C1 must be a curve point (cofactor 1, so S = [h]C1 is never infinity).
      if (parts === null || !isOnCurve(SM2_CURVE, parts.c1)) throw decryptionFailed();
      const shared = scalar.multiply(prepareTarget(parts.c1));
      const x2 = bigintToBytes(shared.x);
      const y2 = bigintToBytes(shared.y);
      const t = kdf(concat(x2, y2), parts.c2.length);
      const message = xorBytes(parts.c2, t);
      const u = sm3(x2, message, y2);
      // Both checks always run and fail alike: no hint which one did.
      const hashMatches = timingSafeEqual(u, parts.c3);
      if (isAllZero(t) || !hashMatches) throw decryptionFailed();
      return message;
    },
  };
}

/** Internal: the parsed key plus its OpenSSL-held scalar. */
function loadPrivateKey(pkcs8: Uint8Array): Sm2PrivateKey & { scalar: Sm2SecretScalar } {
  const invalid = () => new AsymmetricInputError("invalid SM2 private key");
  const parsed = decodeSm2Pkcs8(pkcs8);
  if (parsed === null) throw invalid();
  const d = bytesToBigint(parsed.d);
  if (d < 1n || d > N - 2n) throw invalid();
  const scalar = secretScalar(d);
  const uncompressed = encodeUncompressed(scalar.base);
  if (parsed.point !== null && !bytesEqual(parsed.point, uncompressed)) throw invalid();
  return { d, publicKey: { point: scalar.base, uncompressed }, scalar };
}

/** e as an integer: SM3(Z_A || M) for RAW, the caller's 32 bytes for DIGEST. */
function messageDigest(za: Uint8Array, data: Uint8Array, messageType: MessageType): bigint {
  if (messageType === "RAW") return bytesToBigint(sm3(za, data));
  if (data.length !== SM2_DIGEST_LENGTH) throw new AsymmetricInputError(`SM2 DIGEST must be ${SM2_DIGEST_LENGTH} bytes`);
  return bytesToBigint(data);
}

interface CiphertextParts {
  c1: Affine;
  c3: Uint8Array;
  c2: Uint8Array;
}

function encodeCiphertext(c1: Affine, c3: Uint8Array, c2: Uint8Array, format: Sm2CiphertextFormat): Uint8Array {
  if (format === "C1C3C2_ASN1") return encodeSm2CiphertextAsn1({ x: c1.x, y: c1.y, hash: c3, ciphertext: c2 });
  return concat(encodeUncompressed(c1), c3, c2);
}

/** The parts of either format, or null if malformed (including an empty C2). Curve membership is checked by the caller. */
function decodeCiphertext(ciphertext: Uint8Array, format: Sm2CiphertextFormat): CiphertextParts | null {
  if (format === "C1C3C2_ASN1") {
    const parts = decodeSm2CiphertextAsn1(ciphertext);
    if (parts === null || parts.ciphertext.length === 0) return null;
    return { c1: { x: parts.x, y: parts.y }, c3: parts.hash, c2: parts.ciphertext };
  }
  if (ciphertext.length <= C1_LENGTH + C3_LENGTH) return null;
  const c1 = decodeUncompressed(ciphertext.subarray(0, C1_LENGTH));
  if (c1 === null) return null;
  return { c1, c3: ciphertext.subarray(C1_LENGTH, C1_LENGTH + C3_LENGTH), c2: ciphertext.subarray(C1_LENGTH + C3_LENGTH) };
}

function decryptionFailed(): AsymmetricInputError {
  return new AsymmetricInputError("decryption failed");
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Plain comparison: public keys only. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The ciphertext layout each API name stands for: "SM2" is raw C1C3C2. */
const SM2_FORMATS: Readonly<Record<string, Sm2CiphertextFormat>> = { SM2: "C1C3C2", SM2_C1C3C2_ASN1: "C1C3C2_ASN1" };

function sm2FormatOf(algorithm: string): Sm2CiphertextFormat {
  const format = SM2_FORMATS[algorithm];
  if (!format) throw new Error(`sm2: no ciphertext format ${algorithm}`);
  return format;
}

/** The SM2 key spec (registry.ts): SM2DSA signatures and SM2 encryption in both layouts. */
export const sm2: AsymmetricSpec = {
  name: "SM2",
  keyType: 4,
  label: "SM2",
  generate: generateSm2KeyPair,
  signature: {
    algorithms: [{ name: "SM2DSA", digestLength: SM2_DIGEST_LENGTH }],
    signer: (pkcs8) => createSm2Signer(pkcs8),
    verifier: (spki) => createSm2Verifier(spki),
  },
  encryption: {
    algorithms: [
      { name: "SM2", listed: true, reply: true },
      { name: "SM2_C1C3C2_ASN1", listed: false, reply: true },
    ],
    encrypter(spki) {
      const encrypter = createSm2Encrypter(spki);
      return { encrypt: (plaintext, algorithm) => encrypter.encrypt(plaintext, sm2FormatOf(algorithm)) };
    },
    decrypter(pkcs8) {
      const decrypter = createSm2Decrypter(pkcs8);
      return { decrypt: (ciphertext, algorithm) => decrypter.decrypt(ciphertext, sm2FormatOf(algorithm)) };
    },
  },
  publicKeyFromPem(pem) {
    const spki = pemToSpki(pem);
    sm2PublicKeyFromSpki(spki);
    return spki;
  },
};
