/**
 * Start-up of the root of trust: the one function app.ts calls, after the
 * store is open and before anything reads a sealed record.
 *
 * What it finds in the store, and what it does:
 * - a keyring wrapped by the configured root: opens it (dev, pkcs11), or
 *   returns an Unsealer waiting for shares (shamir);
 * - a keyring under the development root while KMS_SEAL says pkcs11 or
 *   shamir: moves it (pkcs11 at once; shamir at InitializeSeal), with the
 *   development key still configured for that one start;
 * - a store older than the keyring (sealed directly under KMS_ROOT_KEY or
 *   root.key, its records v1): makes a keyring whose version 0 is that key,
 *   so every record reads as before, and starts a background rotation that
 *   rewraps them under version 1; the directory adopts its records once;
 * - an empty store: a new keyring under the configured root.
 * Any other combination stops the start with a TrustError and writes nothing.
 */
import { systemClock, type Clock } from "../clock.js";
import type { Config } from "../config.js";
import { randomBytes } from "../crypto/random.js";
import { createKeyringRootKey, type KeyringRootKey } from "../crypto/seal.js";
import type { Logger } from "../log.js";
import { RootKeyError, verifyRootKey } from "../root-key.js";
import { keyspace, SCHEMA } from "../store/keyspace.js";
import type { BatchOp, KvStore } from "../store/store.js";
import { devRoot, obtainDevRootKey } from "./dev-root.js";
import { newKeyring, wipeKeyring, type StoredKeyring } from "./keyring.js";
import { keyringOp, readKeyringRecord, unwrapKeyring, type KeyringRecord } from "./keyring-record.js";
import { trustKeyspace } from "./keyspace.js";
import { openPkcs11Root } from "./pkcs11-root.js";
import { RootUnwrapError, TrustError, type RootOfTrust } from "./root.js";
import { encodeProgress, newProgress } from "./rotation.js";
import { describeRoot, Trust, type TrustDeps } from "./trust.js";
import { Unsealer } from "./unsealer.js";

export type TrustOpening =
  /** Serving: give `rootKey` to every family, register sealed record kinds on `trust.records`, then call `trust.startRotations()`. */
  | { state: "unsealed"; trust: Trust; rootKey: KeyringRootKey }
  /** Shamir: serve only health checks and UnsealService until `unsealer.unsealed` resolves. */
  | { state: "sealed"; unsealer: Unsealer };

export interface OpenTrustOptions {
  clock?: Clock;
  /** Records per rotation page. */
  rotationPage?: number;
}

const LEGACY_CHECK = keyspace.meta("root-key-check");
const SCHEMA_KEY = keyspace.meta("schema");

export async function openRootOfTrust(config: Config, store: KvStore, log: Logger, options: OpenTrustOptions = {}): Promise<TrustOpening> {
  const deps: TrustDeps = { store, log, clock: options.clock ?? systemClock, ...(options.rotationPage ? { rotationPage: options.rotationPage } : {}) };
  const record = await readKeyringRecord(store);
  if (record) return openExisting(config, deps, record);
  if ((await store.get(LEGACY_CHECK)) !== undefined) return upgradeLegacy(config, deps);
  return initialiseFresh(config, deps);
}

function devWarning(log: Logger, source: string): void {
  log.warn(`kms: the root of trust is a development key (${source}): whoever reads it and the data directory reads every key. Use KMS_SEAL=pkcs11 or KMS_SEAL=shamir in production`);
}

async function devRootOf(config: Config, deps: TrustDeps, mayCreate: boolean): Promise<{ root: RootOfTrust; key: Buffer; source: string }> {
  const dev = await obtainDevRootKey(config.dataDir, config.rootKey, mayCreate, (m) => deps.log.warn(m)).catch((err: unknown) => {
    throw err instanceof RootKeyError ? new TrustError(err.message) : err;
  });
  return { root: devRoot(dev.key), key: dev.key, source: dev.source };
}

async function unwrapOrRefuse(root: RootOfTrust, record: KeyringRecord, what: string): Promise<StoredKeyring> {
  try {
    return await unwrapKeyring(root, record);
  } catch (err) {
    await root.close();
    if (err instanceof RootUnwrapError) throw new TrustError(`the root key does not match the one this data directory was sealed with: ${what} does not open this data directory's keyring (a different key, or an altered keyring record); nothing was changed`);
    throw err;
  }
}

function unsealed(deps: TrustDeps, root: RootOfTrust, keyring: StoredKeyring): TrustOpening {
  const trust = new Trust(deps, root, keyring);
  return { state: "unsealed", trust, rootKey: trust.rootKey };
}

async function openExisting(config: Config, deps: TrustDeps, record: KeyringRecord): Promise<TrustOpening> {
  const stored = record.root.mode;
  const wanted = config.seal.mode;
  if (stored === "dev") {
    const dev = await devRootOf(config, deps, false);
    const keyring = await unwrapOrRefuse(dev.root, record, dev.source);
    if (wanted === "dev") {
      devWarning(deps.log, dev.source);
      return unsealed(deps, dev.root, keyring);
    }
    await dev.root.close();
    if (wanted === "shamir") {
      deps.log.warn("kms: moving the keyring from the development root to Shamir shares: call InitializeSeal (npm run unseal -- init) to split the new key");
      return { state: "sealed", unsealer: new Unsealer(deps, { initialized: false, keyring, ops: [], migratingFrom: "dev" }) };
    }
    return moveToPkcs11(config, deps, keyring, [], true);
  }
  if (stored !== wanted) throw new TrustError(`this data directory's keyring is wrapped by ${describeRoot(record.root)}: set KMS_SEAL=${stored} (moving from ${stored} to ${wanted} is not supported)`);
  if (record.root.mode === "shamir") return { state: "sealed", unsealer: new Unsealer(deps, { initialized: true, params: record.root }) };
  if (record.root.mode !== "pkcs11" || config.seal.mode !== "pkcs11") throw new TrustError("unreachable seal mode");
  if (record.root.keyLabel !== config.seal.pkcs11.keyLabel)
    throw new TrustError(`this data directory's keyring is wrapped by the HSM key labelled "${record.root.keyLabel}", but KMS_PKCS11_KEY_LABEL is "${config.seal.pkcs11.keyLabel}"`);
  const root = await openPkcs11Root(config.seal.pkcs11, { keyId: record.root.keyId, mayCreate: false, log: (m) => deps.log.info(m) });
  const keyring = await unwrapOrRefuse(root, record, `the HSM key "${record.root.keyLabel}" (id ${record.root.keyId})`);
  deps.log.info(`kms: root of trust: ${describeRoot(root.params)}`);
  if (config.rootKey) deps.log.warn("kms: KMS_ROOT_KEY is set but the keyring is in the HSM: it opens nothing now; remove it from the environment");
  return unsealed(deps, root, keyring);
}

async function moveToPkcs11(config: Config, deps: TrustDeps, keyring: StoredKeyring, ops: readonly BatchOp[], fromDev: boolean): Promise<TrustOpening> {
  if (config.seal.mode !== "pkcs11") throw new TrustError("unreachable seal mode");
  const root = await openPkcs11Root(config.seal.pkcs11, { keyId: undefined, mayCreate: true, log: (m) => deps.log.info(m) });
  try {
    await deps.store.batch([await keyringOp(root, keyring), ...ops]);
  } catch (err) {
    await root.close();
    throw err;
  }
  if (!fromDev) deps.log.info(`kms: new keyring wrapped by the ${describeRoot(root.params)}`);
  else deps.log.warn(`kms: the keyring is now wrapped by the ${describeRoot(root.params)}; the development key no longer opens it${keyring.entries.some((e) => e.version === 0) ? " (it still unseals the records not yet rewrapped, until the running keyring rotation ends)" : ""}: remove KMS_ROOT_KEY and root.key once backups no longer need them`);
  return unsealed(deps, root, keyring);
}

/** Whether the store holds anything but the schema marker. */
async function hasData(store: KvStore): Promise<boolean> {
  for await (const key of store.scanKeys({ prefix: `${SCHEMA}/`, limit: 2 })) if (key !== SCHEMA_KEY) return true;
  return false;
}

async function upgradeLegacy(config: Config, deps: TrustDeps): Promise<TrustOpening> {
  const now = deps.clock.now();
  const dev = await devRootOf(config, deps, false);
  try {
    await verifyRootKey(deps.store, dev.key);
  } catch (err) {
    await dev.root.close();
    throw err instanceof RootKeyError ? new TrustError(err.message) : err;
  }
  const keyring = newKeyring(now, dev.key);
  // The legacy check goes (the keyring takes its role), and a rotation moves every v1 record to version 1.
  const ops: BatchOp[] = [{ type: "del", key: LEGACY_CHECK }, { type: "put", key: trustKeyspace.rotation, value: encodeProgress(newProgress(keyring.current, now)) }];
  deps.log.warn(`kms: this data directory predates the keyring: ${dev.source} becomes keyring version 0 (it keeps unsealing existing records) and a background rotation rewraps them under version 1`);
  if (config.seal.mode === "dev") {
    await deps.store.batch([await keyringOp(dev.root, keyring), ...ops]);
    devWarning(deps.log, dev.source);
    return unsealed(deps, dev.root, keyring);
  }
  await dev.root.close();
  if (config.seal.mode === "shamir") return { state: "sealed", unsealer: new Unsealer(deps, { initialized: false, keyring, ops, migratingFrom: "dev" }) };
  return moveToPkcs11(config, deps, keyring, ops, true);
}

async function initialiseFresh(config: Config, deps: TrustDeps): Promise<TrustOpening> {
  // Data without a keyring or a legacy check record: never guess a key for it.
  if (await hasData(deps.store)) throw new TrustError("the store holds data but no keyring and no root-key check record: refusing to guess its root of trust");
  const keyring = newKeyring(deps.clock.now());
  const ops: BatchOp[] = [{ type: "put", key: SCHEMA_KEY, value: Buffer.from("1") }];
  if (config.seal.mode === "shamir") {
    deps.log.warn("kms: new data directory sealed with Shamir shares: call InitializeSeal (npm run unseal -- init) to create the shares");
    return { state: "sealed", unsealer: new Unsealer(deps, { initialized: false, keyring, ops, migratingFrom: undefined }) };
  }
  if (config.seal.mode === "pkcs11") return moveToPkcs11(config, deps, keyring, ops, false);
  const dev = await devRootOf(config, deps, true);
  await deps.store.batch([await keyringOp(dev.root, keyring), ...ops]);
  devWarning(deps.log, dev.source);
  return unsealed(deps, dev.root, keyring);
}

/**
 * The keyring for a tool that only reads (npm run audit): never writes, never
 * creates a key, never migrates. A Shamir store cannot be opened this way.
 */
export async function openKeyringReadOnly(config: Config, store: KvStore): Promise<KeyringRootKey> {
  const record = await readKeyringRecord(store);
  if (!record) {
    if ((await store.get(LEGACY_CHECK)) === undefined) throw new TrustError(`the store in ${config.dataDir} has no keyring: not an initialised KMS data directory`);
    // A store older than the keyring: its single root key is version 0.
    const dev = await obtainDevRootKey(config.dataDir, config.rootKey, false, () => undefined).catch((err: unknown) => {
      throw err instanceof RootKeyError ? new TrustError(err.message) : err;
    });
    await verifyRootKey(store, dev.key).catch((err: unknown) => {
      throw err instanceof RootKeyError ? new TrustError(err.message) : err;
    });
    return legacyKeyring(dev.key);
  }
  let root: RootOfTrust;
  switch (record.root.mode) {
    case "dev": {
      const dev = await obtainDevRootKey(config.dataDir, config.rootKey, false, () => undefined).catch((err: unknown) => {
        throw err instanceof RootKeyError ? new TrustError(err.message) : err;
      });
      root = devRoot(dev.key);
      break;
    }
    case "pkcs11":
      if (config.seal.mode !== "pkcs11") throw new TrustError("this store's keyring is in an HSM: set KMS_SEAL=pkcs11 and the KMS_PKCS11_* settings");
      root = await openPkcs11Root({ ...config.seal.pkcs11, keyLabel: record.root.keyLabel }, { keyId: record.root.keyId, mayCreate: false, log: () => undefined });
      break;
    case "shamir":
      throw new TrustError("this store is sealed with Shamir shares, which this tool does not take: use AdminService/VerifyAuditLog on the unsealed service");
  }
  const keyring = await unwrapOrRefuse(root, record, record.root.mode === "dev" ? "the development key" : "the HSM key");
  await root.close();
  const rootKey = createKeyringRootKey(keyring);
  wipeKeyring(keyring);
  return rootKey;
}

function legacyKeyring(key: Buffer): KeyringRootKey {
  // A keyring needs a sealing version; this one is random, never stored, and a read-only tool never seals.
  return createKeyringRootKey({ current: 1, entries: [{ version: 0, key, createTime: 0 }, { version: 1, key: randomBytes(32), createTime: 0 }] });
}
