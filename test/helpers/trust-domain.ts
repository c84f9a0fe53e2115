/**
 * The start-up the root of trust asks of app.ts, over a real LevelDB store:
 * data dir secured, root of trust opened, directory (adopting a legacy
 * store's records once), audit log with checkpoints, sealed record kinds
 * registered, rotation resumed. Tests use it in process and in child
 * processes they kill.
 */
import { join } from "node:path";
import { Directory } from "../../src/access/directory.js";
import { AuditLog } from "../../src/audit/audit-log.js";
import { systemClock, type Clock } from "../../src/clock.js";
import { loadConfig, type Config } from "../../src/config.js";
import { LockSet } from "../../src/keys/locks.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { KvStore } from "../../src/store/store.js";
import { registerBuiltinSealedRecords } from "../../src/sealed-record-kinds.js";
import { secureDataDir } from "../../src/trust/data-dir.js";
import { openRootOfTrust, type TrustOpening } from "../../src/trust/open.js";
import type { Trust } from "../../src/trust/trust.js";

export interface TrustedDomain {
  config: Config;
  store: KvStore;
  trust: Trust;
  directory: Directory;
  audit: AuditLog;
  repo: KeyRepository;
  locks: LockSet;
  close(): Promise<void>;
}

export interface DomainOptions {
  log?: Logger;
  clock?: Clock;
  rotationPage?: number;
  /** Leave the rotation paused (tests that start it themselves). */
  noResume?: boolean;
}

export async function openStoreAndTrust(env: Record<string, string>, opts: DomainOptions = {}): Promise<{ config: Config; store: KvStore; opening: TrustOpening }> {
  const config = loadConfig(env);
  const log = opts.log ?? silentLogger;
  await secureDataDir(config.dataDir, (m) => log.warn(m));
  const store = await openLevelStore(join(config.dataDir, "db"), { sync: true });
  try {
    const opening = await openRootOfTrust(config, store, log, { ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.rotationPage ? { rotationPage: opts.rotationPage } : {}) });
    return { config, store, opening };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Everything after the root of trust is open (directly, or once unsealed). */
export async function openDomainWith(config: Config, store: KvStore, trust: Trust, opts: DomainOptions = {}): Promise<TrustedDomain> {
  const log = opts.log ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const rootKey = trust.rootKey;
  const repo = new KeyRepository(store);
  await repo.open();
  const directory = new Directory(store, rootKey, config.accountUin);
  await directory.open(clock.now(), { warn: (m) => log.warn(m), legacy: { pending: trust.adoptLegacyDirectory, done: () => trust.legacyDirectoryAdopted() } });
  const audit = await AuditLog.open(store, rootKey, { retention: config.auditArchive, ...(config.auditCheckpoint ? { checkpoints: { config: config.auditCheckpoint, log, now: () => clock.now() } } : {}) });
  const locks = new LockSet();
  registerBuiltinSealedRecords(trust.records, { locks, directory });
  if (!opts.noResume) await trust.startRotations();
  return {
    config,
    store,
    trust,
    directory,
    audit,
    repo,
    locks,
    async close() {
      await trust.close();
      await audit.close();
      await store.close();
    },
  };
}

export async function openTrustedDomain(env: Record<string, string>, opts: DomainOptions = {}): Promise<TrustedDomain> {
  const { config, store, opening } = await openStoreAndTrust(env, opts);
  if (opening.state !== "unsealed") {
    await store.close();
    throw new Error("the store is sealed");
  }
  return openDomainWith(config, store, opening.trust, opts);
}
