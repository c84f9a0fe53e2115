/** API access keys: SecretId/SecretKey pairs that sign API 3.0 requests. */
export type AccessKeyStatus = "Enabled" | "Disabled";

/** As stored: the secret key only sealed under the root key. */
export interface AccessKeyRecord {
  secretId: string;
  /** Root-key sealed SecretKey, base64. */
  sealedSecretKey: string;
  status: AccessKeyStatus;
  createTime: number;
  description: string;
  /** Decimal uin of the account the key acts for. */
  uin: string;
  /** Decimal uin of the principal it belongs to; absent in records written before principals existed (= the root). */
  principalUin?: string;
}

export const SECRET_ID_RE = /^AKID[A-Za-z0-9]{32}$/;
/** Secrets supplied by operators (KMS_ROOT_SECRET_KEY) may be any printable ASCII of reasonable length. */
export const SECRET_KEY_RE = /^[\x21-\x7e]{16,128}$/;
