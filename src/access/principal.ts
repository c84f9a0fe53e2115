/** Principals, policies and bearer tokens as stored (access keys: access-key.ts). */

/** The account root or one of its sub-users. */
export interface PrincipalRecord {
  /** Decimal uin: the account's for the root, generated for sub-users. */
  uin: string;
  name: string;
  description: string;
  createTime: number;
  root: boolean;
  /** Names of attached policies, in attach order. */
  policies: string[];
}

export interface PolicyRecord {
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
  principalUin: string;
  /** Hex SHA-256 of the token string. */
  hash: string;
  description: string;
  createTime: number;
}

/** Who made a call, as an edge established it from a verified credential. */
export interface Identity {
  /** The principal's uin. */
  uin: bigint;
  name: string;
  root: boolean;
  /** Public id of the credential used: SecretId, token id, or "cert:<fingerprint prefix>". */
  credential: string;
}

export const PRINCIPAL_NAME_RE = /^[A-Za-z0-9_+=,.@-]{1,64}$/;
export const POLICY_NAME_RE = /^[A-Za-z0-9_+=,.@-]{1,128}$/;
export const TOKEN_ID_RE = /^kmst[A-Za-z0-9]{16}$/;
/** Tokens supplied by operators (KMS_ROOT_TOKEN) may be any printable ASCII of reasonable length. */
export const TOKEN_RE = /^[\x21-\x7e]{32,256}$/;
