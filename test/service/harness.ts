/**
 * The key family in process: its real actions over a real LevelDB in a temp
 * dir, a real root key, the real asymmetric worker pool, a ManualClock, and a
 * journal that writes the batch (as the pipeline's does, without the audit
 * event). No transport, no gate: these tests pin the domain's tables.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, createPublicKey, publicEncrypt, randomBytes as nodeRandomBytes } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { KeyManagementService, KeyUsage } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../src/call.js";
import { ManualClock } from "../../src/clock.js";
import { createWorkerPool, type AsymmetricEngine } from "../../src/crypto/asymmetric/pool.js";
import type { AsymmetricOp } from "../../src/crypto/asymmetric/types.js";
import { randomBytes, randomNonce } from "../../src/crypto/random.js";
import { createRootKey } from "../../src/crypto/seal.js";
import { KmsError } from "../../src/errors.js";
import { actions } from "../../src/keys/actions/index.js";
import type { KmsDeps } from "../../src/keys/deps.js";
import type { KeyRecord, KeyState } from "../../src/keys/key.js";
import { LockSet } from "../../src/keys/locks.js";
import { MaterialCache } from "../../src/keys/material.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { versionActions } from "../../src/keys/version-actions/index.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { KvStore } from "../../src/store/store.js";

type KmsMethods = typeof KeyManagementService.method;
type VersionMethods = typeof KeyVersionService.method;

export interface Service {
  deps: KmsDeps;
  call: CallContext;
  clock: ManualClock;
  store: KvStore;
  /** Every operation the engine was asked to run, in order. */
  engineOps: AsymmetricOp[];
  kms<K extends keyof KmsMethods>(name: K, init: MessageInitShape<KmsMethods[K]["input"]>): Promise<MessageInitShape<KmsMethods[K]["output"]>>;
  versions<K extends keyof VersionMethods>(name: K, init: MessageInitShape<VersionMethods[K]["input"]>): Promise<MessageInitShape<VersionMethods[K]["output"]>>;
  /** The stored record (straight from the store's repository). */
  record(keyId: string): Promise<KeyRecord>;
  close(): Promise<void>;
}

/** The engine the service uses, recording what it is asked: private-key work must go through it. */
function recording(engine: AsymmetricEngine, ops: AsymmetricOp[]): AsymmetricEngine {
  return {
    run(op) {
      ops.push(op);
      return engine.run(op);
    },
    close: () => engine.close(),
  };
}

export async function openService(): Promise<Service> {
  const dir = await mkdtemp(join(tmpdir(), "kms-service-"));
  const store = await openLevelStore(join(dir, "db"), { sync: false });
  const repo = new KeyRepository(store);
  await repo.open();
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const engineOps: AsymmetricOp[] = [];
  const pool = createWorkerPool(2);
  const deps: KmsDeps = {
    repo,
    locks: new LockSet(),
    rootKey: createRootKey(randomBytes(32)),
    materials: new MaterialCache(),
    privateKeys: new MaterialCache(),
    asymmetric: recording(pool, engineOps),
    clock,
    random: randomBytes,
    nonce: randomNonce,
    settings: { defaultKeyType: "FIPS", regions: ["ap-guangzhou"], accountUin: 100000000001n, cmkLimit: 1000, manualRotationIntervalMs: 24 * 3_600_000 },
  };
  const call: CallContext = {
    requestId: "service-test",
    uin: 100000000001n,
    region: "ap-guangzhou",
    principal: { uin: 100000000001n, account: 100000000001n, name: "root", root: true, operator: true, credential: "test" },
    // As the pipeline's journal does: the guards go to the store with the batch.
    journal: (ops, _subjects, guards) => store.batch(ops, guards && guards.length > 0 ? { guards } : {}),
  };
  return {
    deps,
    call,
    clock,
    store,
    engineOps,
    kms(name, init) {
      const action = actions[name] as (d: KmsDeps, r: unknown, c: CallContext) => Promise<never>;
      return action(deps, create(KeyManagementService.method[name].input, init as never), call);
    },
    versions(name, init) {
      const action = versionActions[name] as (d: KmsDeps, r: unknown, c: CallContext) => Promise<never>;
      return action(deps, create(KeyVersionService.method[name].input, init as never), call);
    },
    async record(keyId) {
      const key = await repo.getKey(keyId);
      if (!key) throw new Error(`no record for ${keyId}`);
      return key;
    },
    async close() {
      await pool.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** "ok", or the exact API code a call was refused with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof KmsError) return err.code;
    throw err;
  }
}

let aliases = 0;
export const alias = (prefix: string) => `${prefix}-${++aliases}`;

/** The kinds of key the tables are checked on. */
export type Flavor = "generated" | "external" | "asymmetric";

/** The states each flavor can reach. */
export const STATES: Readonly<Record<Flavor, readonly KeyState[]>> = {
  generated: ["Enabled", "Disabled", "PendingDelete", "Archived"],
  external: ["PendingImport", "Enabled", "Disabled", "PendingDelete", "Archived"],
  asymmetric: ["Enabled", "Disabled", "PendingDelete", "Archived"],
};

/** Wraps 32 bytes of material for an EXTERNAL key the way a caller does (RSAES_OAEP_SHA_256). */
export async function importMaterial(s: Service, keyId: string, material: Uint8Array = nodeRandomBytes(32)): Promise<Uint8Array> {
  const params = await s.kms("getParametersForImport", { keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
  const publicKey = createPublicKey({ key: Buffer.from(params.publicKey as Uint8Array), format: "der", type: "spki" });
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material);
  await s.kms("importKeyMaterial", { keyId, importToken: params.importToken as string, encryptedKeyMaterial: wrapped });
  return material;
}

/**
 * A new key of `flavor` in `state`, reached through the actions themselves.
 * `before` runs while the key is still in its first state (Enabled, or
 * PendingImport), e.g. to make a blob or turn rotation on.
 */
export async function keyIn(s: Service, flavor: Flavor, state: KeyState, before?: (keyId: string) => Promise<void>): Promise<string> {
  const init =
    flavor === "external"
      ? { alias: alias("ext"), type: 2 }
      : flavor === "asymmetric"
        ? { alias: alias("ecc"), keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC }
        : { alias: alias("sym") };
  const keyId = (await s.kms("createKey", init)).keyId as string;
  if (flavor === "external" && state !== "PendingImport") await importMaterial(s, keyId);
  await before?.(keyId);
  if (state === "Disabled" || state === "PendingDelete") await s.kms("disableKey", { keyId });
  if (state === "PendingDelete") await s.kms("scheduleKeyDeletion", { keyId, pendingWindowInDays: 7 });
  if (state === "Archived") await s.kms("archiveKey", { keyId });
  const reached = (await s.record(keyId)).keyState;
  if (reached !== state) throw new Error(`harness: wanted ${state}, reached ${reached}`);
  return keyId;
}
