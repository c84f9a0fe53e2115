/** Domain records. String unions use Tencent's exact spellings, so no transport needs to remap them. */
import type { SymmetricAlgorithmName } from "../crypto/primitives.js";

export type KeyState = "Enabled" | "Disabled" | "PendingDelete" | "PendingImport" | "Archived";
export type KeyUsage = "ENCRYPT_DECRYPT";
export type KeyOrigin = "TENCENT_KMS" | "EXTERNAL";

export interface KeyTag {
  key: string;
  value: string;
}

/** A CMK. Its material lives in KeyVersion records, one per version. */
export interface KeyRecord {
  keyId: string;
  alias: string;
  description: string;
  /** Milliseconds since the epoch. */
  createTime: number;
  keyState: KeyState;
  keyUsage: KeyUsage;
  /** Tencent's KeyMetadata.Type: 2 FIPS, 4 GM. */
  keyType: 2 | 4;
  /** Algorithm of the key's versions. */
  algorithm: SymmetricAlgorithmName;
  origin: KeyOrigin;
  /** Decimal uin of the creating account. */
  creatorUin: string;
  owner: "user";
  tags: KeyTag[];
  /** Newest version; absent while an EXTERNAL key has no material. Never 0. */
  latestVersion?: number;
  /** Purge time (ms) while PendingDelete. */
  deletionDate?: number;
  rotation: { enabled: boolean; rotateDays: number; nextRotateTime?: number; lastRotateTime?: number };
  /** For EXTERNAL keys: when imported material expires (ms); absent = never. */
  validTo?: number;
}

export type VersionState = "Enabled" | "Disabled";

/** One version of a key's material, sealed under the root key. */
export interface KeyVersion {
  keyId: string;
  version: number;
  state: VersionState;
  algorithm: SymmetricAlgorithmName;
  createTime: number;
  /** Root-key sealed material (crypto/seal.ts), base64. */
  sealedMaterial: string;
}
