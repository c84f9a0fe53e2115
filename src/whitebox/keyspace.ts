/**
 * Store keys of the white-box family, under its own space "v1/whitebox/".
 * Everything is scoped by "<account>/<region>/": aliases are unique per
 * account and region, and a key looked up from another account or region is
 * simply not there (ResourceNotFound). Key ids are UUIDs, aliases exclude "/",
 * accounts are digits and regions are the operator's configured names, so
 * keys cannot collide.
 *
 *   v1/whitebox/keys/<account>/<region>/<keyId>                  WhiteBoxKeyRecord (JSON)
 *   v1/whitebox/aliases/<account>/<region>/<alias>               key id
 *   v1/whitebox/material/<account>/<region>/<keyId>/key          the key, sealed
 *   v1/whitebox/material/<account>/<region>/<keyId>/encrypt-tables   the EncryptKey file, sealed
 *   v1/whitebox/material/<account>/<region>/<keyId>/decrypt-tables   the DecryptKey file (unbound), sealed
 *   v1/whitebox/fingerprints/<account>/<region>/<keyId>          device fingerprints (JSON), sealed; absent when none
 *   v1/whitebox/creates/<account>/<region>                       creations so far (decimal): replicas serialise creates by it
 */
import { SCHEMA } from "../store/keyspace.js";
import type { MaterialPart, WhiteBoxScope } from "./key.js";

const SPACE = `${SCHEMA}/whitebox`;

const scopePath = (s: WhiteBoxScope) => `${s.account}/${s.region}`;

export const whiteBoxKeyspace = {
  record: (s: WhiteBoxScope, keyId: string) => `${SPACE}/keys/${scopePath(s)}/${keyId}`,
  recordsPrefix: (s: WhiteBoxScope) => `${SPACE}/keys/${scopePath(s)}/`,
  alias: (s: WhiteBoxScope, alias: string) => `${SPACE}/aliases/${scopePath(s)}/${alias}`,
  material: (s: WhiteBoxScope, keyId: string, part: MaterialPart) => `${SPACE}/material/${scopePath(s)}/${keyId}/${part}`,
  fingerprints: (s: WhiteBoxScope, keyId: string) => `${SPACE}/fingerprints/${scopePath(s)}/${keyId}`,
  creates: (s: WhiteBoxScope) => `${SPACE}/creates/${scopePath(s)}`,
  createsPrefix: `${SPACE}/creates/`,
} as const;

/**
 * The root-key seal label of a sealed part: it names the part's place, so a
 * sealed value copied onto another key, account, region or part does not
 * unseal.
 */
export function sealLabel(s: WhiteBoxScope, keyId: string, part: MaterialPart | "fingerprints"): string {
  return `kms/v1/whitebox/${scopePath(s)}/${keyId}/${part}`;
}
