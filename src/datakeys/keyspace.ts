/**
 * Store keys of the hosted data keys, under their own space
 * "v1/datakeys/". Every key carries "<account>/<region>/": names are unique
 * per (account, region), and a lookup by id in another account or region
 * misses. Names, ids and regions never contain "/" (names and ids by their
 * validation, regions by the configuration), so keys cannot collide.
 *
 *   v1/datakeys/records/<account>/<region>/<dataKeyId>                  DataKeyRecord
 *   v1/datakeys/names/<account>/<region>/<name>                         data key id (the uniqueness index)
 *   v1/datakeys/deletions/<dateMs, 15 digits>/<account>/<region>/<id>   purge schedule (empty value)
 */
import { SCHEMA } from "../store/keyspace.js";
import type { DataKeyScope } from "./data-key.js";

const SPACE = `${SCHEMA}/datakeys`;

const scopePath = (s: DataKeyScope) => `${s.account}/${s.region}`;

export const dataKeysKeyspace = {
  record: (s: DataKeyScope, dataKeyId: string) => `${SPACE}/records/${scopePath(s)}/${dataKeyId}`,
  allRecordsPrefix: `${SPACE}/records/`,
  name: (s: DataKeyScope, name: string) => `${SPACE}/names/${scopePath(s)}/${name}`,
  deletion: (dateMs: number, s: DataKeyScope, dataKeyId: string) => `${SPACE}/deletions/${String(dateMs).padStart(15, "0")}/${scopePath(s)}/${dataKeyId}`,
  deletionsPrefix: `${SPACE}/deletions/`,
} as const;

/** The date, scope and id a deletion entry names; undefined for a malformed key. */
export function parseDeletionKey(storeKey: string): { dateMs: number; scope: DataKeyScope; dataKeyId: string } | undefined {
  const rest = storeKey.slice(dataKeysKeyspace.deletionsPrefix.length).split("/");
  if (rest.length !== 4) return undefined;
  const [date, account, region, dataKeyId] = rest as [string, string, string, string];
  const dateMs = Number(date);
  if (!Number.isSafeInteger(dateMs)) return undefined;
  return { dateMs, scope: { account, region }, dataKeyId };
}

/** The scope and id a record key names; undefined for any other key. */
export function parseRecordKey(storeKey: string): { scope: DataKeyScope; dataKeyId: string } | undefined {
  if (!storeKey.startsWith(dataKeysKeyspace.allRecordsPrefix)) return undefined;
  const rest = storeKey.slice(dataKeysKeyspace.allRecordsPrefix.length).split("/");
  if (rest.length !== 3) return undefined;
  const [account, region, dataKeyId] = rest as [string, string, string];
  return { scope: { account, region }, dataKeyId };
}

/** The scope key of the listing index: "<account>/<region>". */
export function scopeKey(s: DataKeyScope): string {
  return scopePath(s);
}
