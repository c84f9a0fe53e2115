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

export const PRINCIPAL_NAME_RE = /^[A-Za-z0-9_+=,.@-]{1,64}$/;
export const POLICY_NAME_RE = /^[A-Za-z0-9_+=,.@-]{1,128}$/;
export const TOKEN_ID_RE = /^kmst[A-Za-z0-9]{16}$/;
