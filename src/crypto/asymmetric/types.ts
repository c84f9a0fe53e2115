/**
 * Asymmetric primitives, as the domain will see them. Each algorithm module
 * (rsa.ts, ecdsa.ts, sm2.ts, ml-kem.ts, ml-dsa.ts) implements these small
 * interfaces over its own private-key encoding; the domain only stores the
 * private key sealed and the public key as DER SubjectPublicKeyInfo.
 */

/** RAW: the message itself (the algorithm hashes it). DIGEST: the caller's hash of it (exactly the hash length). */
export type MessageType = "RAW" | "DIGEST";

/** A freshly generated key pair. */
export interface GeneratedKeyPair {
  /** The algorithm's private-key encoding (PKCS#8 DER where a standard one exists); sealed at rest by the caller. */
  privateKey: Uint8Array;
  /** DER SubjectPublicKeyInfo (for ML-KEM/ML-DSA: the module documents its encoding). */
  publicKeySpki: Uint8Array;
}

/** Signature algorithm names as Tencent spells them (ECC_P384_R1 and ML_DSA_65 are ours). */
export type SignAlgorithmName = "SM2DSA" | "ECC_P256_R1" | "ECC_P384_R1" | "RSA_PSS_SHA_256" | "RSA_PKCS1_SHA_256" | "ML_DSA_65";

/** Encryption algorithm names as Tencent spells them. */
export type EncryptAlgorithmName = "RSAES_PKCS1_V1_5" | "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" | "SM2" | "SM2_C1C3C2_ASN1";

/** Thrown for input the caller controls (bad signature encoding, wrong digest length, undecryptable ciphertext). Carries no secret detail. */
export class AsymmetricInputError extends Error {
  override readonly name = "AsymmetricInputError";
}
