/**
 * ECDSA over NIST P-256 with SHA-256 (Tencent's ECC_P256_R1) and P-384 with
 * SHA-384 (ECC_P384_R1, ours).
 *
 * Measured 2026-11-23 (bench/asym-rate.ts, one core, Node 20.20.2, OpenSSL 3.0.19, @noble/curves 2.4.0), ops/s:
 *             sign RAW (OpenSSL)  sign DIGEST (noble)  verify RAW (OpenSSL)  verify DIGEST (noble)
 *   P-256     30856               1282                 12921                 370
 *   P-384     1075                757                  1305                  170
 *   for comparison, openssl speed -seconds 2: ecdsap256 sign 41913, verify 14506;
 *   ecdsap384 sign 1078, verify 1296
 *
 * Keys
 *   privateKey    PKCS#8 DER (id-ecPublicKey, named curve).
 *   publicKeySpki DER SubjectPublicKeyInfo (id-ecPublicKey, named curve, uncompressed point).
 *
 * Signatures are DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }, RFC 3279),
 * at most 72 (P-256) / 104 (P-384) bytes. Verification accepts strict DER only
 * and either s half (OpenSSL does not normalise s).
 *
 * RAW: the message is hashed with the curve's hash and signed by OpenSSL
 * (node:crypto sign). DIGEST: the caller's 32- (P-256) or 48-byte (P-384) hash
 * is signed as is. node:crypto offers no prehashed ECDSA (sign(null, …) hashes
 * with SHA-256 for EC keys, checked empirically), so DIGEST uses @noble/curves
 * with prehash off and hedged RFC 6979 nonces (deterministic nonce mixed with
 * 32 fresh random bytes). The result verifies exactly as a RAW signature of any
 * message with that hash. noble is pure JavaScript: its big-integer arithmetic
 * is not guaranteed constant time, a weaker side-channel posture than OpenSSL's.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { p256, p384 } from "@noble/curves/nist.js";
import { AsymmetricInputError, type AsymmetricSpec, type GeneratedKeyPair, type MessageType } from "./types.js";

/** The curves this module supports, by their NIST names. */
export type EcCurve = "P-256" | "P-384";

/** Tencent's algorithm name for each curve (ECC_P384_R1 is ours). */
export const EC_SIGN_ALGORITHM: Readonly<Record<EcCurve, "ECC_P256_R1" | "ECC_P384_R1">> = {
  "P-256": "ECC_P256_R1",
  "P-384": "ECC_P384_R1",
};

interface CurveParams {
  /** The hash RAW applies; DIGEST takes its output. */
  hash: "sha256" | "sha384";
  /** Digest length = scalar length for both curves. */
  bytes: number;
  noble: typeof p256;
}

const CURVES: Readonly<Record<EcCurve, CurveParams>> = {
  "P-256": { hash: "sha256", bytes: 32, noble: p256 },
  "P-384": { hash: "sha384", bytes: 48, noble: p384 },
};

/** Signs with one EC private key. */
export interface EcdsaSigner {
  /** Returns a DER signature; throws AsymmetricInputError for a DIGEST of the wrong length. */
  sign(data: Uint8Array, messageType: MessageType): Uint8Array;
}

/** Verifies with one EC public key. */
export interface EcdsaVerifier {
  /** False for any bad or non-DER signature (never throws for one); throws AsymmetricInputError for a DIGEST of the wrong length. */
  verify(data: Uint8Array, signatureDer: Uint8Array, messageType: MessageType): boolean;
}

/** The DIGEST length for a curve: 32 (P-256, SHA-256) or 48 (P-384, SHA-384). */
export function ecDigestLength(curve: EcCurve): number {
  return CURVES[curve].bytes;
}

/** A fresh key pair on `curve`, generated off the event loop. */
export function generateEcKeyPair(curve: EcCurve): Promise<GeneratedKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      "ec",
      {
        namedCurve: curve,
        publicKeyEncoding: { type: "spki", format: "der" },
        privateKeyEncoding: { type: "pkcs8", format: "der" },
      },
      (err, publicKey, privateKey) => {
        if (err) reject(err);
        else resolve({ privateKey, publicKeySpki: publicKey });
      },
    );
  });
}

/** A signer over a PKCS#8 DER private key on `curve`. */
export function createEcdsaSigner(pkcs8: Uint8Array, curve: EcCurve): EcdsaSigner {
  const params = CURVES[curve];
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  requireCurve(key, curve);
  // The scalar, for noble's prehashed signing only; the JWK gives it fixed-length.
  const scalar = jwkBytes(key.export({ format: "jwk" }).d, params.bytes);
  return {
    sign(data, messageType) {
      if (messageType === "RAW") return nodeSign(params.hash, data, { key, dsaEncoding: "der" });
      requireDigest(data, curve);
      return params.noble.sign(data, scalar, { prehash: false, format: "der", extraEntropy: true });
    },
  };
}

/** A verifier over a DER SPKI public key on `curve`. */
export function createEcdsaVerifier(spki: Uint8Array, curve: EcCurve): EcdsaVerifier {
  const params = CURVES[curve];
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  requireCurve(key, curve);
  const jwk = key.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.of(0x04), jwkBytes(jwk.x, params.bytes), jwkBytes(jwk.y, params.bytes)]);
  return {
    verify(data, signatureDer, messageType) {
      if (messageType === "DIGEST") requireDigest(data, curve);
      // One strict gate for both paths, so OpenSSL and noble accept the same encodings.
      if (!isStrictDerSignature(signatureDer, params.bytes)) return false;
      try {
        if (messageType === "RAW") return nodeVerify(params.hash, data, { key, dsaEncoding: "der" }, signatureDer);
        return params.noble.verify(signatureDer, data, point, { prehash: false, format: "der", lowS: false });
      } catch {
        return false;
      }
    },
  };
}

/**
 * True when `sig` is exactly DER SEQUENCE { INTEGER r, INTEGER s } with both
 * integers positive, minimally encoded and at most `scalarBytes` long in
 * magnitude, and nothing after. Range checks (r, s < n) are left to the verifier.
 */
export function isStrictDerSignature(sig: Uint8Array, scalarBytes: number): boolean {
  // Short-form lengths suffice: the longest body is 2 * (2 + 49) = 102 < 128.
  if (sig.length < 8 || sig[0] !== 0x30 || sig[1] !== sig.length - 2 || sig.length - 2 >= 0x80) return false;
  const afterR = derPositiveIntegerEnd(sig, 2, scalarBytes);
  if (afterR < 0) return false;
  return derPositiveIntegerEnd(sig, afterR, scalarBytes) === sig.length;
}

/** The offset after a minimal positive DER INTEGER at `offset`, or -1. */
function derPositiveIntegerEnd(sig: Uint8Array, offset: number, scalarBytes: number): number {
  const length = sig[offset + 1];
  if (sig[offset] !== 0x02 || length === undefined || length < 1 || length > scalarBytes + 1) return -1;
  const end = offset + 2 + length;
  const first = sig[offset + 2];
  const second = sig[offset + 3];
  if (end > sig.length || first === undefined || first >= 0x80) return -1; // absent or negative
  if (first === 0x00 && (length === 1 || second === undefined || second < 0x80)) return -1; // zero or non-minimal
  if (length === scalarBytes + 1 && first !== 0x00) return -1; // magnitude too long
  return end;
}

function requireDigest(digest: Uint8Array, curve: EcCurve): void {
  const bytes = CURVES[curve].bytes;
  if (digest.length !== bytes) throw new AsymmetricInputError(`DIGEST must be ${bytes} bytes (${CURVES[curve].hash.toUpperCase()}) for ${curve}`);
}

// Our own stored keys: a mismatch is a programming or storage fault, not caller input.
function requireCurve(key: KeyObject, curve: EcCurve): void {
  const named = key.asymmetricKeyDetails?.namedCurve;
  const expected = curve === "P-256" ? "prime256v1" : "secp384r1";
  if (key.asymmetricKeyType !== "ec" || named !== expected) throw new Error(`not an EC ${curve} key`);
}

function jwkBytes(value: string | undefined, length: number): Buffer {
  const bytes = Buffer.from(value ?? "", "base64url");
  if (bytes.length !== length) throw new Error("unexpected EC JWK component length");
  return bytes;
}

/** One curve's key spec: ECDSA with the curve's hash, under Tencent's algorithm name. */
function ecSpec(name: "EC_P256" | "EC_P384", curve: EcCurve): AsymmetricSpec {
  return {
    name,
    keyType: 2,
    label: `EC ${curve}`,
    generate: () => generateEcKeyPair(curve),
    signature: {
      algorithms: [{ name: EC_SIGN_ALGORITHM[curve], digestLength: ecDigestLength(curve) }],
      signer: (pkcs8) => createEcdsaSigner(pkcs8, curve),
      verifier: (spki) => createEcdsaVerifier(spki, curve),
    },
  };
}

/** The EC_P256 (ECC_P256_R1) and EC_P384 (ECC_P384_R1) key specs (registry.ts). */
export const ecP256 = ecSpec("EC_P256", "P-256");
export const ecP384 = ecSpec("EC_P384", "P-384");
