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
  /** Alias → key id (the uniqueness index): aliases are unique per account and region. */
  alias: (account: string, region: string, alias: string) => `${SCHEMA}/aliases/${account}/${region}/${alias}`,
  aliasesPrefix: `${SCHEMA}/aliases/`,
  /** Sealed material and state of one key version. */
  version: (keyId: string, version: number) => `${SCHEMA}/versions/${keyId}/${String(version).padStart(10, "0")}`,
  versionsPrefix: (keyId: string) => `${SCHEMA}/versions/${keyId}/`,
  /**
   * The directory, by account (<account> is the account's decimal uin):
   * principals by uin, policies by name, access keys by SecretId, bearer
   * tokens by token id (the secret half only as a hash), registered client
   * certificates by fingerprint, and the names of deleted principals (when
   * each was last deleted). Records of stores older than accounts sat at
   * v1/<space>/<id> and are moved into the default account at first start
   * (legacyDirectory below).
   */
  accessKey: (account: string, secretId: string) => `${SCHEMA}/access-keys/${account}/${secretId}`,
  accessKeysPrefix: `${SCHEMA}/access-keys/`,
  principal: (account: string, uin: string) => `${SCHEMA}/principals/${account}/${uin}`,
  principalsPrefix: `${SCHEMA}/principals/`,
  policy: (account: string, name: string) => `${SCHEMA}/policies/${account}/${name}`,
  policiesPrefix: `${SCHEMA}/policies/`,
  token: (account: string, tokenId: string) => `${SCHEMA}/tokens/${account}/${tokenId}`,
  tokensPrefix: `${SCHEMA}/tokens/`,
  certificate: (account: string, fingerprint: string) => `${SCHEMA}/certificates/${account}/${fingerprint}`,
  certificatesPrefix: `${SCHEMA}/certificates/`,
  principalDeletion: (account: string, name: string) => `${SCHEMA}/principal-deletions/${account}/${name}`,
  principalDeletionsPrefix: `${SCHEMA}/principal-deletions/`,
  /** Accounts (tenants) by uin: name, status, organisation. */
  account: (uin: string) => `${SCHEMA}/accounts/${uin}`,
  accountsPrefix: `${SCHEMA}/accounts/`,
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
 * Where stores older than accounts kept the directory and the alias index
 * (one account, one region). Read only by the migrations that move them
 * (src/access/directory.ts, src/keys/repository.ts) and by tests that make
 * such stores.
 */
export const legacyKeyspace = {
  accessKey: (secretId: string) => `${SCHEMA}/access-keys/${secretId}`,
  principal: (uin: string) => `${SCHEMA}/principals/${uin}`,
  policy: (name: string) => `${SCHEMA}/policies/${name}`,
  token: (tokenId: string) => `${SCHEMA}/tokens/${tokenId}`,
  alias: (alias: string) => `${SCHEMA}/aliases/${alias}`,
} as const;

/**
 * Kinds of scheduled work: key purge, automatic rotation, expiry of imported
 * material, version purge, unused import token. The subject is a key id, or
 * "<keyId>/<version>", or "<keyId>/<token>".
 */
export type ScheduleKind = "key-deletion" | "rotation" | "material-expiry" | "version-deletion" | "import-token-expiry";
