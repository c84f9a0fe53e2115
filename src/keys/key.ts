/**
 * Domain records. String unions use Tencent's exact spellings, so no
 * transport needs to remap them. Types only: this module imports no behaviour.
 */
import type { AsymmetricSpecName } from "../crypto/asymmetric/types.js";
import type { SymmetricAlgorithmName } from "../crypto/primitives.js";

export type KeyState = "Enabled" | "Disabled" | "PendingDelete" | "PendingImport" | "Archived";
export type KeyUsage =
  | "ENCRYPT_DECRYPT"
  | "ASYMMETRIC_DECRYPT_RSA_2048"
  | "ASYMMETRIC_DECRYPT_SM2"
  | "ASYMMETRIC_SIGN_VERIFY_SM2"
  | "ASYMMETRIC_SIGN_VERIFY_RSA_2048"
  | "ASYMMETRIC_SIGN_VERIFY_ECC"
  | "ASYMMETRIC_SIGN_VERIFY_ECDSA384"
  | "ASYMMETRIC_DECRYPT_ML_KEM_768"
  | "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65";

/** What a key's material is: a symmetric algorithm or an asymmetric key spec. */
export type KeySpecName = SymmetricAlgorithmName | AsymmetricSpecName;
export type KeyOrigin = "TENCENT_KMS" | "EXTERNAL";

/** A product resource using a key (BindCloudResource). */
export interface CloudBinding {
  productId: string;
  resourceId: string;
}

export interface KeyTag {
  key: string;
  value: string;
}

/** What a key's metadata tells of the account owning it (the directory knows; app.ts wires it). */
export interface AccountLabel {
  name: string;
  appId: bigint;
}

/** Where a key lives: the account that owns it and the region it was created in. */
export interface KeyScope {
  /** Decimal uin. */
  account: string;
  region: string;
}

/**
 * A CMK. Its material lives in KeyVersion records, one per version. A call
 * sees a key only in its own scope (resolver.ts): one of another account or
 * region answers exactly as a missing one.
 */
export interface KeyRecord extends KeyScope {
  keyId: string;
  alias: string;
  description: string;
  /** Milliseconds since the epoch. */
  createTime: number;
  keyState: KeyState;
  keyUsage: KeyUsage;
  /** Tencent's KeyMetadata.Type: 2 FIPS, 4 GM. */
  keyType: 2 | 4;
  /** Algorithm (symmetric) or key spec (asymmetric) of the key's versions. */
  algorithm: KeySpecName;
  origin: KeyOrigin;
  /** Decimal uin of the creating account. */
  creatorUin: string;
  owner: "user";
  tags: KeyTag[];
  /**
   * Every version, oldest first, numbered from 1. Empty while an EXTERNAL key
   * has no material. Encrypt uses the newest Enabled one (versions.ts).
   */
  versions: KeyVersionInfo[];
  /** How many version numbers were ever issued; purged numbers are never reused. */
  versionsIssued: number;
  /** Purge time (ms) while PendingDelete. */
  deletionDate?: number;
  rotation: KeyRotation;
  /** For EXTERNAL keys: when imported material expires (ms); absent = never. */
  validTo?: number;
  /** For EXTERNAL keys: fingerprint of the material once imported, so a re-import must bring the same material. */
  materialFingerprint?: string;
  /** Product resources using the key (BindCloudResource); absent = none. */
  bindings?: CloudBinding[];
}

export interface KeyRotation {
  enabled: boolean;
  /** Period in days while enabled. */
  rotateDays: number;
  /** Next automatic rotation (ms) while enabled. */
  nextRotateTime?: number;
  /** Last rotation, automatic or on demand (ms). */
  lastRotateTime?: number;
  /** Last on-demand RotateKey (ms), for the once-per-interval limit. */
  lastManualRotateTime?: number;
}

export type VersionState = "Enabled" | "Disabled" | "PendingDelete";

/** A version's state, kept in the key record (the material lives in its KeyVersion record). */
export interface KeyVersionInfo {
  version: number;
  state: VersionState;
  createTime: number;
  /** Purge time (ms) while PendingDelete. */
  deletionDate?: number;
}

/** One version's material, sealed under the root key. Written once, never changed; deleted when purged. */
export interface KeyVersion {
  keyId: string;
  version: number;
  /**
   * The key's scope when the material was sealed, bound into its seal label
   * (crypto/seal.ts materialLabel). Absent for material sealed before keys had
   * accounts: its label names the key and version only.
   */
  account?: string;
  region?: string;
  algorithm: KeySpecName;
  createTime: number;
  /** Root-key sealed material (crypto/seal.ts), base64: the symmetric key, or the asymmetric private key. */
  sealedMaterial: string;
  /** Asymmetric keys: DER SubjectPublicKeyInfo, base64 (public, so not sealed). */
  publicKey?: string;
}

export type WrappingAlgorithm = "RSAES_PKCS1_V1_5" | "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256";

/** A single-use BYOK import token and its RSA-2048 wrapping key. */
export interface ImportTokenRecord {
  token: string;
  keyId: string;
  wrappingAlgorithm: WrappingAlgorithm;
  /** Root-key sealed PKCS#8 of the wrapping key, base64. */
  sealedPrivateKey: string;
  /** Expiry (ms). */
  validTo: number;
}
