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
import { isCurrent, jsonSealedKind, type SealedRecordKind, type SealedRecordRegistry } from "./crypto/sealed-records.js";
import type { DataKeyRecord } from "./datakeys/data-key.js";
import { dataKeyLock } from "./datakeys/records.js";
import { label as dataKeySealLabel } from "./datakeys/sealing.js";
import { secretLockName } from "./secrets/locks.js";
import { adminPasswordLabel, type InstanceRecord } from "./secrets/products/instance.js";
import { flowPasswordLabel, type FlowRecord } from "./secrets/products/repository.js";
import { instanceLock } from "./secrets/products/rotation.js";
import { keyLock as whiteBoxKeyLock } from "./whitebox/deps.js";
import { sealLabel as whiteBoxSealLabel } from "./whitebox/keyspace.js";

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
    fields: [{ name: "sealedMaterial", label: (r) => materialLabel(r.keyId, r.version, r.account === undefined || r.region === undefined ? undefined : { account: r.account, region: r.region }) }],
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

/** The scope and key id a white-box store key names: v1/whitebox/<space>/<account>/<region>/<keyId>[/<part>]. */
function whiteBoxPlace(storeKey: string): { scope: { account: string; region: string }; keyId: string; part: string } {
  const [, , space, account, region, keyId, part] = storeKey.split("/");
  return { scope: { account: account ?? "", region: region ?? "" }, keyId: keyId ?? "", part: space === "fingerprints" ? "fingerprints" : (part ?? "") };
}

/** White-box keys' material and device lists: raw sealed values whose label names their place, rewrapped under the key's own lock. */
export function whiteBoxSealedKinds(locks: Pick<LockSet, "run">): SealedRecordKind[] {
  const kind = (name: string, prefix: string): SealedRecordKind => ({
    name,
    prefix,
    rewrap(storeKey, value, rootKey) {
      if (isCurrent(value, rootKey)) return undefined;
      const { scope, keyId, part } = whiteBoxPlace(storeKey);
      const label = whiteBoxSealLabel(scope, keyId, part as Parameters<typeof whiteBoxSealLabel>[2]);
      const plain = rootKey.unseal(value, label);
      try {
        return rootKey.seal(plain, label);
      } finally {
        plain.fill(0);
      }
    },
    serialize: (records, write) => locks.run(records.map((r) => { const p = whiteBoxPlace(r.storeKey); return whiteBoxKeyLock(p.scope, p.keyId); }), write),
  });
  return [kind("whitebox-material", `${SCHEMA}/whitebox/material/`), kind("whitebox-fingerprints", `${SCHEMA}/whitebox/fingerprints/`)];
}

/** Product secrets: instances' admin passwords and running flows' new passwords, under the engine's own locks. */
export function productSealedKinds(locks: LockSet): SealedRecordKind[] {
  const instances = jsonSealedKind<InstanceRecord>({
    name: "product-instances",
    prefix: `${SCHEMA}/secrets-products/instances/`,
    fields: [{ name: "adminPasswordSealed", label: (r) => adminPasswordLabel(r.uin, r.region, r.instanceId, r.adminUser) }],
    serialize: (records, write) => locks.run(records.map((r) => { const i = JSON.parse(Buffer.from(r.value).toString("utf8")) as InstanceRecord; return instanceLock({ uin: i.uin, region: i.region }, i.instanceId); }), write),
  });
  const flows = jsonSealedKind<FlowRecord>({
    name: "product-flows",
    prefix: `${SCHEMA}/secrets-products/flows/`,
    fields: [{ name: "passwordSealed", label: (r) => flowPasswordLabel(r) }],
    serialize: (records, write) => locks.run(records.map((r) => { const fl = JSON.parse(Buffer.from(r.value).toString("utf8")) as FlowRecord; return secretLockName(fl.uin, fl.region, fl.secretName); }), write),
  });
  return [instances, flows];
}

/** Hosted data keys: each record's CMK ciphertext, sealed again under the keyring, rewrapped under the data key's lock. */
export function dataKeySealedKind(locks: Pick<LockSet, "run">): SealedRecordKind {
  return jsonSealedKind<DataKeyRecord>({
    name: "data-keys",
    prefix: `${SCHEMA}/datakeys/records/`,
    fields: [{ name: "sealedBlob", label: (r) => dataKeySealLabel(r, r.dataKeyId) }],
    serialize: (records, write) => locks.run(records.map((r) => { const d = JSON.parse(Buffer.from(r.value).toString("utf8")) as DataKeyRecord; return dataKeyLock(d, d.dataKeyId); }), write),
  });
}

/** Spaces of today's families that hold nothing sealed. */
export const PLAIN_SPACES: readonly string[] = [
  keyspace.keysPrefix,
  keyspace.aliasesPrefix,
  `${SCHEMA}/schedule/`,
  // Secrets' values are sealed under their CMK through the key family, not under the keyring.
  `${SCHEMA}/secrets/`,
  `${SCHEMA}/whitebox/keys/`,
  `${SCHEMA}/datakeys/names/`,
  `${SCHEMA}/datakeys/deletions/`,
  `${SCHEMA}/whitebox/aliases/`,
  `${SCHEMA}/whitebox/creates/`,
  `${SCHEMA}/secrets-products/bindings/`,
  `${SCHEMA}/secrets-products/active-flows/`,
  `${SCHEMA}/secrets-products/history/`,
  `${SCHEMA}/secrets-products/schedule/`,
  keyspace.auditPrefix,
  keyspace.meta("schema"),
  keyspace.meta("audit-head"),
  keyspace.meta("legacy-key-scope"),
  DIRECTORY_SEQ_KEY,
  // Replicas: their audit chains, the chain registry, their heartbeats, and leader election keys.
  REPLICA_CHAINS_SPACE,
  CHAIN_REGISTRY_PREFIX,
  REPLICA_BEATS_PREFIX,
  "coord/",
];

/** Registers every kind of today's families on `registry` (trust.records), and their plain spaces. */
export function registerBuiltinSealedRecords(registry: SealedRecordRegistry, families: { locks: LockSet; directory: Directory; whiteBoxLocks?: Pick<LockSet, "run"> }): void {
  for (const prefix of PLAIN_SPACES) registry.declarePlain(prefix);
  registry.register(auditKeySealedKind());
  registry.register(checkpointKeySealedKind());
  for (const kind of families.directory.sealedRecordKinds()) registry.register(kind);
  registry.register(keyVersionSealedKind(families.locks));
  registry.register(importTokenSealedKind(families.locks));
  for (const kind of productSealedKinds(families.locks)) registry.register(kind);
  registry.register(dataKeySealedKind(families.locks));
  if (families.whiteBoxLocks) for (const kind of whiteBoxSealedKinds(families.whiteBoxLocks)) registry.register(kind);
}
