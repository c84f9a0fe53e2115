/**
 * Store keys: <schema>/<space>/<id>[/<sub>]. The schema version prefixes every
 * key so a later layout can live beside this one during a migration.
 */
export const SCHEMA = "v1";

export const keyspace = {
  /** Schema marker and the root-key check record. */
  meta: (name: string) => `${SCHEMA}/meta/${name}`,
  /** KeyRecord JSON by key id. */
  key: (keyId: string) => `${SCHEMA}/keys/${keyId}`,
  keysPrefix: `${SCHEMA}/keys/`,
  /** Alias → key id (the uniqueness index). */
  alias: (alias: string) => `${SCHEMA}/aliases/${alias}`,
  aliasesPrefix: `${SCHEMA}/aliases/`,
  /** Sealed material and state of one key version. */
  version: (keyId: string, version: number) => `${SCHEMA}/versions/${keyId}/${String(version).padStart(10, "0")}`,
  versionsPrefix: (keyId: string) => `${SCHEMA}/versions/${keyId}/`,
  /** API access keys (SecretId → sealed SecretKey and status). */
  accessKey: (secretId: string) => `${SCHEMA}/access-keys/${secretId}`,
  accessKeysPrefix: `${SCHEMA}/access-keys/`,
  /** Principals (the account root and its sub-users) by uin. */
  principal: (uin: string) => `${SCHEMA}/principals/${uin}`,
  principalsPrefix: `${SCHEMA}/principals/`,
  /** Policy documents by name. */
  policy: (name: string) => `${SCHEMA}/policies/${name}`,
  policiesPrefix: `${SCHEMA}/policies/`,
  /** Bearer tokens by token id (the secret half is stored only as a hash). */
  token: (tokenId: string) => `${SCHEMA}/tokens/${tokenId}`,
  tokensPrefix: `${SCHEMA}/tokens/`,
  /** Audit events, one record per group commit keyed by its first event's seq; the chain head and sealed audit key live under meta. */
  auditEvent: (seq: number) => `${SCHEMA}/audit/${String(seq).padStart(16, "0")}`,
  auditPrefix: `${SCHEMA}/audit/`,
  /** Time-driven work, ordered by due date so the scheduler reads only what is due. */
  schedule: (kind: ScheduleKind, dateMs: number, subject: string) => `${SCHEMA}/schedule/${kind}/${String(dateMs).padStart(15, "0")}/${subject}`,
  schedulePrefix: (kind: ScheduleKind) => `${SCHEMA}/schedule/${kind}/`,
  /** Single-use BYOK import tokens. */
  importToken: (token: string) => `${SCHEMA}/import-tokens/${token}`,
} as const;

/**
 * Kinds of scheduled work: key purge, automatic rotation, expiry of imported
 * material, version purge, unused import token. The subject is a key id, or
 * "<keyId>/<version>", or "<keyId>/<token>".
 */
export type ScheduleKind = "key-deletion" | "rotation" | "material-expiry" | "version-deletion" | "import-token-expiry";
