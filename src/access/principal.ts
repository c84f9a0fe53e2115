/** Accounts, principals, policies, bearer tokens and certificates as stored (access keys: access-key.ts). */

export type AccountStatus = "Enabled" | "Disabled";

/** An account (tenant): its root principal has the account's uin. */
export interface AccountRecord {
  /** Decimal uin. */
  uin: string;
  name: string;
  description: string;
  createTime: number;
  status: AccountStatus;
  /** Decimal uin of the organisation account it is a member of; absent when none. */
  organization?: string;
  /** Decimal app id the operator gave it (Tencent's MemberAppId); absent when none. */
  appId?: string;
}

/** An account's root or one of its sub-users. */
export interface PrincipalRecord {
  /** Decimal uin: the account's for the root, generated for sub-users (unique across accounts). */
  uin: string;
  /** Decimal uin of the account it belongs to. */
  account: string;
  name: string;
  description: string;
  createTime: number;
  root: boolean;
  /** Names of attached policies (of the same account), in attach order. */
  policies: string[];
  /** Set at its first RegisterCertificate: from then on only registered certificates authenticate it, never its CN. */
  certificatesOnly?: true;
  /**
   * When its name was last deleted before it was made (ms): a certificate
   * whose CN is its name must have been issued (notBefore) at or after this,
   * or it was the deleted principal's.
   */
  certificatesAfter?: number;
}

export interface PolicyRecord {
  /** Decimal uin of the account it belongs to. */
  account: string;
  name: string;
  description: string;
  /** The JSON document as given (validated when stored). */
  document: string;
  createTime: number;
  updateTime: number;
}

/** A bearer token: only the SHA-256 of the whole token is kept. */
export interface TokenRecord {
  tokenId: string;
  /** Decimal uin of the account its principal belongs to. */
  account: string;
  principalUin: string;
  /** Hex SHA-256 of the token string. */
  hash: string;
  description: string;
  createTime: number;
}

/** A client certificate bound to a principal by its fingerprint. */
export interface CertificateRecord {
  /** Lower-case hex SHA-256 of the DER certificate. */
  fingerprint: string;
  account: string;
  principalUin: string;
  /** Subject CN, informational. */
  subject: string;
  /** Validity, ms. */
  notBefore: number;
  notAfter: number;
  description: string;
  createTime: number;
}

/**
 * When a principal name was last deleted in an account: a certificate whose
 * CN names a later principal of that name must have been issued after it.
 */
export interface PrincipalDeletionRecord {
  account: string;
  name: string;
  deletedAt: number;
}

export const PRINCIPAL_NAME_RE = /^[A-Za-z0-9_+=,.@-]{1,64}$/;
export const ACCOUNT_NAME_RE = PRINCIPAL_NAME_RE;
export const POLICY_NAME_RE = /^[A-Za-z0-9_+=,.@-]{1,128}$/;
export const TOKEN_ID_RE = /^kmst[A-Za-z0-9]{16}$/;
export const FINGERPRINT_RE = /^[0-9a-f]{64}$/;
/** Account uins an operator may choose: 5 to 20 digits, no leading zero, within uint64. */
export const ACCOUNT_UIN_MAX = 18_446_744_073_709_551_615n;
export const ACCOUNT_UIN_MIN = 10_000n;
