/**
 * Hosted data key records. String unions use Tencent's exact spellings.
 * Types only: this module imports no behaviour.
 */

export type DataKeyState = "Enabled" | "Disabled" | "PendingDelete";
/** TENCENT_KMS: made by GenerateDataKey here; EXTERNAL: brought by ImportDataKey. */
export type DataKeyOrigin = "TENCENT_KMS" | "EXTERNAL";

/** Where a data key lives: every record carries its account and region, and lookups never cross them. */
export interface DataKeyScope {
  /** The account's uin, decimal. */
  account: string;
  region: string;
}

export interface DataKeyTag {
  key: string;
  value: string;
}

/** A hosted data key. Its plaintext is never stored: only its ciphertext under the CMK, sealed again under the root key. */
export interface DataKeyRecord extends DataKeyScope {
  dataKeyId: string;
  /** Unique in (account, region). */
  name: string;
  description: string;
  /** The CMK the ciphertext is sealed under (the id the blob names). */
  keyId: string;
  numberOfBytes: number;
  /** Milliseconds since the epoch. */
  createTime: number;
  state: DataKeyState;
  origin: DataKeyOrigin;
  /** Decimal uin of the principal that created it. */
  creatorUin: string;
  owner: "user";
  tags: DataKeyTag[];
  /** Purge time (ms) while PendingDelete. */
  deletionDate?: number;
  /**
   * The data key's ciphertext blob under its CMK (as GenerateDataKey answered
   * it, or as ImportDataKey was given or sealed it), sealed under the root key
   * with the record's place as label (sealing.ts), base64.
   */
  sealedBlob: string;
  /** The EncryptionContext the blob is bound to ("" when none): not secret, needed to open it. */
  encryptionContext: string;
}
