/**
 * Store keys of the secrets family, under its own space "v1/secrets/". Names
 * callers choose are unique per (account, region), so every name-keyed store
 * key carries "<account>/<region>/". Names, version ids, regions and SSH key
 * ids never contain "/" (their validation forbids it), so keys cannot collide.
 *
 *   v1/secrets/records/<account>/<region>/<name>                 SecretRecord (metadata, no values)
 *   v1/secrets/values/<account>/<region>/<name>/<versionId>      SealedValue (the version's encrypted value)
 *   v1/secrets/ssh-keys/<account>/<region>/<sshKeyId>            secret name (the SSHKeyId index)
 *   v1/secrets/default-keys/<account>/<region>                   id of Secrets Manager's default CMK
 *   v1/secrets/deletions/<dateMs, 15 digits>/<account>/<region>/<name>   purge schedule (empty value)
 */
import { SCHEMA } from "../store/keyspace.js";
import type { SecretScope } from "./secret.js";

const SPACE = `${SCHEMA}/secrets`;

const scopePath = (s: SecretScope) => `${s.account}/${s.region}`;

export const secretsKeyspace = {
  record: (s: SecretScope, name: string) => `${SPACE}/records/${scopePath(s)}/${name}`,
  recordsPrefix: (s: SecretScope) => `${SPACE}/records/${scopePath(s)}/`,
  allRecordsPrefix: `${SPACE}/records/`,
  value: (s: SecretScope, name: string, versionId: string) => `${SPACE}/values/${scopePath(s)}/${name}/${versionId}`,
  valuesPrefix: (s: SecretScope, name: string) => `${SPACE}/values/${scopePath(s)}/${name}/`,
  sshKey: (s: SecretScope, sshKeyId: string) => `${SPACE}/ssh-keys/${scopePath(s)}/${sshKeyId}`,
  defaultKey: (s: SecretScope) => `${SPACE}/default-keys/${scopePath(s)}`,
  deletion: (dateMs: number, s: SecretScope, name: string) => `${SPACE}/deletions/${String(dateMs).padStart(15, "0")}/${scopePath(s)}/${name}`,
  deletionsPrefix: `${SPACE}/deletions/`,
} as const;

/** The scope and name a records key names (for counting at open). */
export function parseRecordKey(storeKey: string): { scope: SecretScope; name: string } | undefined {
  const rest = storeKey.slice(secretsKeyspace.allRecordsPrefix.length).split("/");
  if (rest.length !== 3) return undefined;
  const [account, region, name] = rest as [string, string, string];
  return { scope: { account, region }, name };
}

/** The date, scope and name a deletion entry names. */
export function parseDeletionKey(storeKey: string): { dateMs: number; scope: SecretScope; name: string } | undefined {
  const rest = storeKey.slice(secretsKeyspace.deletionsPrefix.length).split("/");
  if (rest.length !== 4) return undefined;
  const [date, account, region, name] = rest as [string, string, string, string];
  const dateMs = Number(date);
  if (!Number.isSafeInteger(dateMs)) return undefined;
  return { dateMs, scope: { account, region }, name };
}
