/**
 * The engine's small interfaces. The domain sees only these, never node:crypto
 * or sm-crypto-v2 (Tink's shape: a primitive is built from key material by a
 * registry entry and offers two methods).
 */

/** Authenticated encryption with associated data, under one key. */
export interface Aead {
  /** Returns ciphertext || tag. The IV must be fresh and random for every call. */
  seal(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Returns the plaintext, or throws AeadOpenError when the tag does not verify. */
  open(iv: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** A symmetric algorithm as the registry knows it. */
export interface SymmetricAlgorithm {
  /** Stored in key versions and used to look the algorithm up. */
  readonly name: SymmetricAlgorithmName;
  /** The byte that names it inside ciphertext blobs. */
  readonly blobId: number;
  /** Tencent's KeyMetadata.Type: 2 = FIPS 140-2, 4 = Chinese national standards. */
  readonly keyType: 2 | 4;
  readonly keyLength: number;
  readonly ivLength: number;
  readonly tagLength: number;
  aead(material: Uint8Array): Aead;
}

export type SymmetricAlgorithmName = "AES_256_GCM" | "SM4_GCM";

/** The tag did not verify: wrong key, wrong AAD or tampered data. Carries no detail on purpose. */
export class AeadOpenError extends Error {
  override readonly name = "AeadOpenError";
  constructor() {
    super("authentication failed");
  }
}
