/**
 * ML-KEM-768 (FIPS 203) hybrid public-key encryption, for
 * PostQuantumCryptoEncrypt / PostQuantumCryptoDecrypt. Tencent names Kyber at
 * NIST level 3 but documents no formats; these are ours.
 *
 * Measured 2026-11-23 (bench/pq-rate.ts, one core of a shared 2-core host, Node 20.20,
 * @noble/post-quantum 0.7.1; run-to-run noise about ±15%):
 *   keygen 1,650 ops/s; encrypt 32 B 2,160 ops/s, 4 KiB 2,260 ops/s;
 *   decrypt 32 B 1,500 ops/s, 4 KiB 1,540 ops/s (cached decrypter; building one
 *   from the seed costs about 1,000/s, hence the caching). AES-GCM is noise here.
 *
 * Keys
 *   privateKey    the 64-byte seed d || z (FIPS 203 ML-KEM.KeyGen_internal(d, z);
 *                 the "seed" private-key form of draft-ietf-lamps-kyber-certificates).
 *                 The 2400-byte decapsulation key is re-derived from it, never stored.
 *   publicKeySpki DER SubjectPublicKeyInfo: AlgorithmIdentifier { id-alg-ml-kem-768
 *                 2.16.840.1.101.3.4.4.2, parameters absent }, subjectPublicKey BIT
 *                 STRING = the 1184-byte encapsulation key. 1206 bytes, always starting
 *                 30 82 04 b2 30 0b 06 09 60 86 48 01 65 03 04 04 02 03 82 04 a1 00.
 *
 * Ciphertext blob (version 1)
 *   offset  length  field
 *   0       1       version = 0x01
 *   1       1088    ML-KEM-768 ciphertext
 *   1089    12      AES-256-GCM IV (random)
 *   1101    n       AES-256-GCM ciphertext of the n-byte plaintext
 *   1101+n  16      GCM tag
 *   Overhead 1117 bytes; the shortest blob (empty plaintext) is 1117 bytes.
 *
 *   AES key = HKDF-SHA256(ikm = ML-KEM shared secret, salt = empty,
 *                         info = "kms/v1/ml-kem-768/aes-256-gcm", L = 32)
 *   GCM AAD = caller aad || blob[0 .. 1089)   (version byte and KEM ciphertext)
 *   The bound suffix has a fixed length, so the concatenation is unambiguous.
 *
 * A fresh KEM secret per message means a fresh AES key per message, so the IV
 * never repeats under one key. Decapsulation uses implicit rejection: a
 * tampered KEM ciphertext yields an unrelated secret and the GCM tag fails,
 * which is why every failure is the same AsymmetricInputError.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { aes256Gcm } from "../aes-256-gcm.js";
import { randomBytes } from "../random.js";
import { decodeSpki, encodeOidContent, encodeSpki } from "./pq-spki.js";
import { AsymmetricInputError, type AsymmetricSpec, type GeneratedKeyPair } from "./types.js";

/** id-alg-ml-kem-768 (NIST CSOR). */
export const ML_KEM_768_OID = "2.16.840.1.101.3.4.4.2";
/** The private key: seed d || z. */
export const ML_KEM_768_SEED_LENGTH = 64;
/** The encapsulation key inside the SPKI. */
export const ML_KEM_768_PUBLIC_KEY_LENGTH = 1184;
/** The KEM ciphertext inside the blob. */
export const ML_KEM_768_CIPHERTEXT_LENGTH = 1088;
/** The blob's version byte. */
export const ML_KEM_HYBRID_VERSION = 0x01;
/** Bytes a blob adds to the plaintext (version, KEM ciphertext, IV, tag). */
export const ML_KEM_HYBRID_OVERHEAD = 1 + ML_KEM_768_CIPHERTEXT_LENGTH + 12 + 16;

const OID_CONTENT = encodeOidContent(ML_KEM_768_OID);
const IV_LENGTH = 12;
const BOUND_END = 1 + ML_KEM_768_CIPHERTEXT_LENGTH; // version || KEM ciphertext
const HEADER_LENGTH = BOUND_END + IV_LENGTH;
const HKDF_INFO = new TextEncoder().encode("kms/v1/ml-kem-768/aes-256-gcm");
const Q = 3329;

/** Encrypts to one ML-KEM-768 public key. */
export interface MlKemEncrypter {
  /** Returns a version-1 blob; `aad` must be given again to decrypt. */
  encrypt(plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** Decrypts blobs made for one ML-KEM-768 key pair. */
export interface MlKemDecrypter {
  /** Returns the plaintext, or throws AsymmetricInputError("decryption failed"). */
  decrypt(blob: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** A fresh key pair: the 64-byte seed and the DER SPKI (see the module comment). */
export function generateMlKem768(): GeneratedKeyPair {
  const seed = randomBytes(ML_KEM_768_SEED_LENGTH);
  return { privateKey: seed, publicKeySpki: deriveMlKem768PublicKeySpki(seed) };
}

/** The DER SPKI belonging to a 64-byte seed (deterministic: same seed, same key). */
export function deriveMlKem768PublicKeySpki(privateKey: Uint8Array): Uint8Array {
  const { publicKey, secretKey } = expandSeed(privateKey);
  secretKey.fill(0);
  return encodeSpki(OID_CONTENT, publicKey);
}

/**
 * The 1184-byte encapsulation key inside a DER SPKI, after checking the
 * structure, the OID and the FIPS 203 §7.2 modulus check. Throws AsymmetricInputError.
 */
export function parseMlKemPublicKey(spki: Uint8Array): Uint8Array {
  const key = decodeSpki(spki, OID_CONTENT, ML_KEM_768_PUBLIC_KEY_LENGTH, "ML-KEM-768");
  if (!hasReducedCoefficients(key)) throw new AsymmetricInputError("invalid ML-KEM-768 public key");
  return key;
}

/** An encrypter for one public key; the expanded public matrix is cached across calls. */
export function createMlKemEncrypter(publicKeySpki: Uint8Array): MlKemEncrypter {
  // prepare() caches Â, t̂ and H(ek), which otherwise dominate each encapsulation.
  const prepared = ml_kem768.prepare(parseMlKemPublicKey(publicKeySpki));
  return {
    encrypt(plaintext, aad) {
      const { cipherText, sharedSecret } = prepared.encapsulate();
      const header = new Uint8Array(HEADER_LENGTH);
      header[0] = ML_KEM_HYBRID_VERSION;
      header.set(cipherText, 1);
      const iv = randomBytes(IV_LENGTH);
      header.set(iv, BOUND_END);
      const key = deriveAesKey(sharedSecret);
      try {
        const sealed = aes256Gcm.aead(key).seal(iv, plaintext, gcmAad(aad, header.subarray(0, BOUND_END)));
        return concat(header, sealed);
      } finally {
        key.fill(0);
      }
    },
  };
}

/** A decrypter for one 64-byte seed; the seed is expanded once, not per call. */
export function createMlKemDecrypter(privateKey: Uint8Array): MlKemDecrypter {
  const { publicKey, secretKey } = expandSeed(privateKey);
  // The re-encryption inside decapsulation reuses the cached public matrix.
  const prepared = ml_kem768.prepare(publicKey);
  return {
    decrypt(blob, aad) {
      if (blob.length < ML_KEM_HYBRID_OVERHEAD || blob[0] !== ML_KEM_HYBRID_VERSION) throw decryptionFailed();
      let sharedSecret: Uint8Array;
      try {
        sharedSecret = prepared.decapsulate(blob.subarray(1, BOUND_END), secretKey);
      } catch {
        throw decryptionFailed();
      }
      const key = deriveAesKey(sharedSecret);
      try {
        const aead = aes256Gcm.aead(key);
        return aead.open(blob.subarray(BOUND_END, HEADER_LENGTH), blob.subarray(HEADER_LENGTH), gcmAad(aad, blob.subarray(0, BOUND_END)));
      } catch {
        throw decryptionFailed();
      } finally {
        key.fill(0);
      }
    },
  };
}

/** Seed → library key pair; a wrong-length seed is our bug, not the caller's input. */
function expandSeed(privateKey: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  if (privateKey.length !== ML_KEM_768_SEED_LENGTH) throw new RangeError("ML-KEM-768 private key must be the 64-byte seed");
  return ml_kem768.keygen(privateKey);
}

/** HKDF-SHA256 to the AES key; wipes the shared secret it consumes. */
function deriveAesKey(sharedSecret: Uint8Array): Uint8Array {
  const key = hkdf(sha256, sharedSecret, new Uint8Array(0), HKDF_INFO, 32);
  sharedSecret.fill(0);
  return key;
}

/** FIPS 203 §7.2: every 12-bit coefficient of t̂ (the first 1152 bytes) must be below q. */
function hasReducedCoefficients(ek: Uint8Array): boolean {
  for (let i = 0; i < 1152; i += 3) {
    const b0 = ek[i] ?? 0;
    const b1 = ek[i + 1] ?? 0;
    const b2 = ek[i + 2] ?? 0;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

function gcmAad(callerAad: Uint8Array, bound: Uint8Array): Uint8Array {
  return concat(callerAad, bound);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** One error for every failure, so callers learn nothing about which check failed. */
function decryptionFailed(): AsymmetricInputError {
  return new AsymmetricInputError("decryption failed");
}

/** The ML_KEM_768 key spec (registry.ts): the hybrid blob above, its AAD given by the caller. */
export const mlKem768: AsymmetricSpec = {
  name: "ML_KEM_768",
  keyType: 2,
  label: "ML-KEM-768",
  generate: generateMlKem768,
  encryption: {
    algorithms: [{ name: "ML_KEM_768", listed: true, reply: false }],
    encrypter(spki) {
      const encrypter = createMlKemEncrypter(spki);
      return { encrypt: (plaintext, _algorithm, aad) => encrypter.encrypt(plaintext, aad) };
    },
    decrypter(seed) {
      const decrypter = createMlKemDecrypter(seed);
      return { decrypt: (blob, _algorithm, aad) => decrypter.decrypt(blob, aad) };
    },
  },
};
