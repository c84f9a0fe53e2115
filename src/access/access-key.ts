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
  /** Decimal uin of the account the key acts for (its principal's account). */
  uin: string;
  /** Decimal uin of the principal it belongs to; absent in records written before principals existed (= the root). */
  principalUin?: string;
}
