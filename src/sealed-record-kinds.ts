/**
 * The sealed record kinds of the families that exist today, registered in
 * one call at wiring time (app.ts). Each family's records are rewrapped under
 * that family's own lock: key versions and import tokens under their key's
 * lock (the one purges and imports take), directory records under the
 * directory's. The audit's keys are written once and never deleted.
 *
 * A new family that seals material adds its kinds next to these (or
 * registers them itself on `trust.records`).
 */
import { DIRECTORY_SEQ_KEY, type Directory } from "./access/directory.js";
import { auditKeySealedKind, checkpointKeySealedKind } from "./audit/index.js";
import { REPLICA_CHAINS_SPACE } from "./audit/chain.js";
import { CHAIN_REGISTRY_PREFIX } from "./audit/replicas.js";
import { REPLICA_BEATS_PREFIX } from "./replica/sync.js";
import { materialLabel } from "./crypto/seal.js";
import { importTokenLabel } from "./keys/actions/get-parameters-for-import.js";
import type { ImportTokenRecord, KeyVersion } from "./keys/key.js";
import { keyLock, type LockSet } from "./keys/locks.js";
import { keyspace, SCHEMA } from "./store/keyspace.js";
import { jsonSealedKind, type SealedRecordKind, type SealedRecordRegistry } from "./crypto/sealed-records.js";

const VERSIONS_PREFIX = keyspace.versionsPrefix("").slice(0, -1);
const IMPORT_TOKENS_PREFIX = keyspace.importToken("");

function keyIdOfRecord(value: Uint8Array): string {
  return String((JSON.parse(Buffer.from(value).toString("utf8")) as { keyId?: unknown }).keyId ?? "");
}

/** Runs `write` holding the locks of the keys these records belong to. */
function underKeyLocks(locks: LockSet): SealedRecordKind["serialize"] {
  return (records, write) => locks.run(records.map((r) => keyLock(keyIdOfRecord(r.value))), write);
}

export function keyVersionSealedKind(locks: LockSet): SealedRecordKind {
  return jsonSealedKind<KeyVersion>({
    name: "key-versions",
    prefix: VERSIONS_PREFIX,
    fields: [{ name: "sealedMaterial", label: (r) => materialLabel(r.keyId, r.version) }],
    serialize: underKeyLocks(locks),
  });
}

export function importTokenSealedKind(locks: LockSet): SealedRecordKind {
  return jsonSealedKind<ImportTokenRecord>({
    name: "import-tokens",
    prefix: IMPORT_TOKENS_PREFIX,
    fields: [{ name: "sealedPrivateKey", label: (r) => importTokenLabel(r.token) }],
    serialize: underKeyLocks(locks),
  });
}

/** Spaces of today's families that hold nothing sealed. */
export const PLAIN_SPACES: readonly string[] = [
  keyspace.keysPrefix,
  keyspace.aliasesPrefix,
  `${SCHEMA}/schedule/`,
  keyspace.auditPrefix,
  keyspace.meta("schema"),
  keyspace.meta("audit-head"),
  DIRECTORY_SEQ_KEY,
  // Replicas: their audit chains, the chain registry, their heartbeats, and leader election keys.
  REPLICA_CHAINS_SPACE,
  CHAIN_REGISTRY_PREFIX,
  REPLICA_BEATS_PREFIX,
  "coord/",
];

/** Registers every kind of today's families on `registry` (trust.records), and their plain spaces. */
export function registerBuiltinSealedRecords(registry: SealedRecordRegistry, families: { locks: LockSet; directory: Directory }): void {
  for (const prefix of PLAIN_SPACES) registry.declarePlain(prefix);
  registry.register(auditKeySealedKind());
  registry.register(checkpointKeySealedKind());
  for (const kind of families.directory.sealedRecordKinds()) registry.register(kind);
  registry.register(keyVersionSealedKind(families.locks));
  registry.register(importTokenSealedKind(families.locks));
}
