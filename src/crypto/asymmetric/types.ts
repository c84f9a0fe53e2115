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


/** Thrown for input the caller controls (bad signature encoding, wrong digest length, undecryptable ciphertext). Carries no secret detail. */
export class AsymmetricInputError extends Error {
  override readonly name = "AsymmetricInputError";
}
