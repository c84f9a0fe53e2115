/**
 * ML-DSA-65 (FIPS 204) signatures, for PostQuantumCryptoSign / Verify.
 * Tencent names Dilithium at NIST level 3 but documents no formats; these are ours.
 *
 * Measured 2026-11-23 (bench/pq-rate.ts, one core of a shared 2-core host, Node 20.20,
 * @noble/post-quantum 0.7.1; run-to-run noise about ±15%):
 *   keygen 457 ops/s; sign 32 B 86 ops/s (hedged, rejection sampling);
 *   verify 32 B 412 ops/s; building a signer from the seed 470/s.
 *
 * Keys
 *   privateKey    the 32-byte seed ξ (FIPS 204 ML-DSA.KeyGen_internal(ξ); the "seed"
 *                 private-key form of draft-ietf-lamps-dilithium-certificates). The
 *                 4032-byte expanded secret key is re-derived from it, never stored.
 *   publicKeySpki DER SubjectPublicKeyInfo: AlgorithmIdentifier { id-ml-dsa-65
 *                 2.16.840.1.101.3.4.3.18, parameters absent }, subjectPublicKey BIT
 *                 STRING = the 1952-byte public key. 1974 bytes, always starting
 *                 30 82 07 b2 30 0b 06 09 60 86 48 01 65 03 04 03 12 03 82 07 a1 00.
 *
 * Signatures are pure ML-DSA (not HashML-DSA) over the message with the empty
 * context string: 3309 bytes, hedged (fresh 32-byte rnd per signature, FIPS 204
 * §3.4), so two signatures of one message differ and both verify.
 */
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { randomBytes } from "../random.js";
import { decodeSpki, encodeOidContent, encodeSpki } from "./pq-spki.js";
import type { AsymmetricSpec, GeneratedKeyPair } from "./types.js";

/** id-ml-dsa-65 (NIST CSOR). */
export const ML_DSA_65_OID = "2.16.840.1.101.3.4.3.18";
/** The private key: seed ξ. */
export const ML_DSA_65_SEED_LENGTH = 32;
/** The public key inside the SPKI. */
export const ML_DSA_65_PUBLIC_KEY_LENGTH = 1952;
/** Every ML-DSA-65 signature has this length. */
export const ML_DSA_65_SIGNATURE_LENGTH = 3309;

const OID_CONTENT = encodeOidContent(ML_DSA_65_OID);

/** Signs with one ML-DSA-65 private key. */
export interface MlDsaSigner {
  /** A 3309-byte hedged signature over `message` (empty context). */
  sign(message: Uint8Array): Uint8Array;
}

/** Verifies against one ML-DSA-65 public key. */
export interface MlDsaVerifier {
  /** True only for a valid signature; false (never a throw) for anything else. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A fresh key pair: the 32-byte seed and the DER SPKI (see the module comment). */
export function generateMlDsa65(): GeneratedKeyPair {
  const seed = randomBytes(ML_DSA_65_SEED_LENGTH);
  return { privateKey: seed, publicKeySpki: deriveMlDsa65PublicKeySpki(seed) };
}

/** The DER SPKI belonging to a 32-byte seed (deterministic: same seed, same key). */
export function deriveMlDsa65PublicKeySpki(privateKey: Uint8Array): Uint8Array {
  const { publicKey, secretKey } = expandSeed(privateKey);
  secretKey.fill(0);
  return encodeSpki(OID_CONTENT, publicKey);
}

/** The 1952-byte public key inside a DER SPKI, after checking structure, OID and length. Throws AsymmetricInputError. */
export function parseMlDsaPublicKey(spki: Uint8Array): Uint8Array {
  return decodeSpki(spki, OID_CONTENT, ML_DSA_65_PUBLIC_KEY_LENGTH, "ML-DSA-65");
}

/**
 * A signer for one 32-byte seed. The seed is expanded once here (KeyGen costs
 * about a fifth of a signature); the library still re-expands Â from ρ in
 * every sign call and offers no prepared form for ML-DSA.
 */
export function createMlDsaSigner(privateKey: Uint8Array): MlDsaSigner {
  const { secretKey } = expandSeed(privateKey);
  return {
    sign(message) {
      // No options: empty context, and extraEntropy defaults to 32 fresh CSPRNG bytes (hedged).
      return ml_dsa65.sign(message, secretKey);
    },
  };
}

/** A verifier for one public key; the SPKI is parsed once. Throws AsymmetricInputError for a bad SPKI. */
export function createMlDsaVerifier(publicKeySpki: Uint8Array): MlDsaVerifier {
  const publicKey = parseMlDsaPublicKey(publicKeySpki);
  return {
    verify(message, signature) {
      // Guard the runtime types too: callers may hand over whatever a request decoded to.
      if (!(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
      if (signature.length !== ML_DSA_65_SIGNATURE_LENGTH) return false;
      try {
        return ml_dsa65.verify(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  };
}

/** Seed → library key pair; a wrong-length seed is our bug, not the caller's input. */
function expandSeed(privateKey: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  if (privateKey.length !== ML_DSA_65_SEED_LENGTH) throw new RangeError("ML-DSA-65 private key must be the 32-byte seed");
  return ml_dsa65.keygen(privateKey);
}

/** The ML_DSA_65 key spec (registry.ts): pure ML-DSA over RAW messages only (no DIGEST length). */
export const mlDsa65: AsymmetricSpec = {
  name: "ML_DSA_65",
  keyType: 2,
  label: "ML-DSA-65",
  generate: generateMlDsa65,
  signature: {
    algorithms: [{ name: "ML_DSA_65" }],
    signer: createMlDsaSigner,
    verifier: createMlDsaVerifier,
  },
};
