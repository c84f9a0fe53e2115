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
  /** Deletion schedule: ordered by date so the sweeper reads only what is due. */
  deletion: (dateMs: number, keyId: string) => `${SCHEMA}/deletions/${String(dateMs).padStart(15, "0")}/${keyId}`,
  deletionsPrefix: `${SCHEMA}/deletions/`,
} as const;

/** The date (ms) encoded in a deletion-schedule key. */
export function deletionDateOf(storeKey: string): number {
  return Number(storeKey.slice(keyspace.deletionsPrefix.length).split("/")[0]);
}
