/**
 * Secret records. String unions use Tencent's exact spellings, so no
 * transport needs to remap them. A record never holds a value: each version's
 * value lives in its own SealedValue record, encrypted under the secret's CMK.
 */

export type SecretStatus = "Enabled" | "Disabled" | "PendingDelete" | "Creating" | "Failed";
export type VersionState = "Enabled" | "Disabled";

/** SSM's SecretType: 0 user-defined, 1 cloud product, 2 SSH key pair, 3 cloud API key pair, 4 Redis. */
export type SecretType = 0 | 1 | 2 | 3 | 4;
export const SECRET_TYPE_CUSTOM = 0;
export const SECRET_TYPE_PRODUCT = 1;
export const SECRET_TYPE_SSH = 2;

/** The CMK is Secrets Manager's default one for the account and region, or one the caller named. */
export type KmsKeyType = "DEFAULT" | "CUSTOMER";

export interface SecretTag {
  key: string;
  value: string;
}

/** One version's metadata. Times are milliseconds since the epoch. */
export interface SecretVersionInfo {
  versionId: string;
  state: VersionState;
  createTime: number;
  /** Last UpdateSecret of its value. */
  updateTime?: number;
  /** Validity window: served only when validFrom <= now < validTo (an absent bound is open). */
  validFrom?: number;
  validTo?: number;
}

export type SshAlgorithm = "ed25519" | "rsa-3072";

/** What a type 2 secret holds besides its (sealed) private key. */
export interface SshKeyPairInfo {
  /** "skey-" and 8 letters and digits, unique in the account and region. */
  keyId: string;
  keyName: string;
  projectId: number;
  algorithm: SshAlgorithm;
  /** OpenSSH one-line public key ("ssh-ed25519 AAAA... name"): public, so kept in clear. */
  publicKey: string;
}

/** The cloud product a type 1 secret belongs to (set by the cloud-product actions). */
export interface ProductBinding {
  /** "Mysql", ... as DescribeSupportedProducts lists them. */
  name: string;
  instanceId: string;
  /** Set by DeleteSecret with DeleteMode 1 and a recovery window: the purge drops the database accounts too. */
  dropAccounts?: boolean;
}

/** A secret, unique by (account, region, name). */
export interface SecretRecord {
  name: string;
  /** Decimal uin of the owning account. */
  account: string;
  region: string;
  description: string;
  kmsKeyId: string;
  kmsKeyType: KmsKeyType;
  /** Decimal uin of the principal that created it. */
  creatorUin: string;
  status: SecretStatus;
  secretType: SecretType;
  createTime: number;
  /** Purge time while PendingDelete. */
  deleteTime?: number;
  additionalConfig: string;
  tags: SecretTag[];
  /** Oldest first; at most MAX_VERSIONS. */
  versions: SecretVersionInfo[];
  /** Type 2 only. */
  ssh?: SshKeyPairInfo;
  /** Type 1 only. */
  product?: ProductBinding;
}

/** How a value was given, and so how it is answered. */
export type ValueKind = "string" | "binary";

/** One version's value, encrypted under the secret's CMK (the blob is the key domain's ciphertext). */
export interface SealedValue {
  kind: ValueKind;
  /** Base64 of the key domain's ciphertext blob. */
  blob: string;
}

/** A value in clear, only ever in memory. */
export interface SecretValue {
  kind: ValueKind;
  bytes: Uint8Array;
}

/** Where a secret lives: every lookup is by (account, region, name). */
export interface SecretScope {
  account: string;
  region: string;
}
