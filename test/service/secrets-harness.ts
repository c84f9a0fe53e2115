/**
 * In-process tier of the secrets family: a real LevelDB in a temp dir, the
 * real key domain (KmsDeps built as src/app.ts builds it) and SecretsDeps
 * through the one adapter (openSecretsOverKeys), a journal that writes
 * store.batch(ops) and keeps every batch for inspection, and a ManualClock.
 * Actions are called as the transports call them: a request message built
 * with create(Schema, init), the action from the actions table.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";
import type { CallContext, Identity } from "../../src/call.js";
import { ManualClock } from "../../src/clock.js";
import { createWorkerPool } from "../../src/crypto/asymmetric/pool.js";
import { randomBytes, randomNonce } from "../../src/crypto/random.js";
import { createRootKey } from "../../src/crypto/seal.js";
import { KmsError } from "../../src/errors.js";
import { actions as kmsActions } from "../../src/keys/actions/index.js";
import type { KmsDeps } from "../../src/keys/deps.js";
import { LockSet } from "../../src/keys/locks.js";
import { MaterialCache } from "../../src/keys/material.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { secretsActions } from "../../src/secrets/actions/index.js";
import type { SecretsDeps, SecretsSettings } from "../../src/secrets/deps.js";
import { openSecretsOverKeys } from "../../src/secrets/key-cipher.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { BatchOp, KvStore } from "../../src/store/store.js";

export const ACCOUNT = 100000000001n;
export const REGION = "ap-guangzhou";

/** Methods by RPC name ("CreateSecret"), as the descriptor's method map is by local name ("createSecret"). */
type ByName<M> = { [K in keyof M as Capitalize<K & string>]: M[K] };
type SsmMethods = ByName<typeof SecretsManagerService.method>;
type KmsMethods = ByName<typeof KeyManagementService.method>;

export interface Harness {
  dir: string;
  store: KvStore;
  kms: KmsDeps;
  secrets: SecretsDeps;
  clock: ManualClock;
  /** Every batch written through the journal, in order. */
  batches: BatchOp[][];
  /** A call of the account root (or of `principal`), in `region`. */
  call(options?: { principal?: Identity; region?: string; uin?: bigint }): CallContext;
  /** Runs one SSM action as a transport would. */
  ssm<K extends keyof SsmMethods>(name: K, init: MessageInitShape<SsmMethods[K]["input"]>, call?: CallContext): Promise<MessageShape<SsmMethods[K]["output"]>>;
  /** Runs one KMS action. */
  kmsCall<K extends keyof KmsMethods>(name: K, init: MessageInitShape<KmsMethods[K]["input"]>, call?: CallContext): Promise<MessageShape<KmsMethods[K]["output"]>>;
  /** Every key and value in the store, as it is now. */
  dump(): Promise<Map<string, Buffer>>;
  close(): Promise<void>;
}

type AnyAction = (deps: unknown, req: unknown, call: CallContext) => Promise<unknown>;

export async function openHarness(options: { rootKey?: Uint8Array; settings?: Partial<SecretsSettings>; dir?: string } = {}): Promise<Harness> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "secrets-")));
  const store = await openLevelStore(join(dir, "db"), { sync: false });
  const clock = new ManualClock(Date.UTC(2026, 11, 1));
  const repo = new KeyRepository(store);
  await repo.open();
  const locks = new LockSet();
  const kms: KmsDeps = {
    repo,
    locks,
    rootKey: createRootKey(options.rootKey ?? randomBytes(32)),
    materials: new MaterialCache(),
    privateKeys: new MaterialCache(),
    asymmetric: createWorkerPool(1),
    clock,
    random: randomBytes,
    nonce: randomNonce,
    settings: { defaultKeyType: "FIPS", regions: [REGION, "ap-shanghai"], accountUin: ACCOUNT, cmkLimit: 1_000_000, manualRotationIntervalMs: 0 },
  };
  const secrets = await openSecretsOverKeys(store, kms, {
    locks,
    clock,
    settings: { secretLimit: 1_000_000, regions: [REGION, "ap-shanghai"], ...options.settings },
  });
  const batches: BatchOp[][] = [];
  const journal = async (ops: readonly BatchOp[]) => {
    batches.push([...ops]);
    await store.batch(ops);
  };
  const root: Identity = { uin: ACCOUNT, account: ACCOUNT, name: "root", root: true, operator: true, credential: "test" };
  let seq = 0;
  const call: Harness["call"] = (o = {}) => ({
    requestId: `req-${++seq}`,
    uin: o.uin ?? ACCOUNT,
    region: o.region ?? REGION,
    principal: o.principal ?? root,
    journal,
  });
  const invoke = async (service: typeof SecretsManagerService | typeof KeyManagementService, table: object, deps: unknown, name: string, init: object, c?: CallContext) => {
    const method = (service.methods as readonly DescMethod[]).find((m) => m.name === name);
    if (!method) throw new Error(`no method ${name}`);
    const action = (table as Record<string, AnyAction>)[method.localName] as AnyAction;
    const out = await action(deps, create(method.input, init as never), c ?? call());
    return create(method.output, out as never);
  };
  return {
    dir,
    store,
    kms,
    secrets,
    clock,
    batches,
    call,
    ssm: (name, init, c) => invoke(SecretsManagerService, secretsActions, secrets, name, init, c) as never,
    kmsCall: (name, init, c) => invoke(KeyManagementService, kmsActions, kms, name, init, c) as never,
    async dump() {
      const out = new Map<string, Buffer>();
      for await (const [k, v] of store.scan({ prefix: "" })) out.set(k, Buffer.from(v));
      return out;
    },
    async close() {
      await secrets.products.settled();
      await kms.asymmetric.close();
      await store.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The code a promise rejects with (a KmsError's), or "resolved". */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (err) {
    if (err instanceof KmsError) return err.code;
    throw err;
  }
}

/** The KmsError a promise rejects with. */
export async function errorOf(p: Promise<unknown>): Promise<KmsError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KmsError) return err;
    throw err;
  }
  throw new Error("expected a KmsError, the call succeeded");
}

/** Asserts a refused call wrote nothing: the store is byte-for-byte what it was. */
export async function expectRefusedUnchanged(h: Harness, run: () => Promise<unknown>, code: string): Promise<void> {
  const before = await h.dump();
  const got = await codeOf(run());
  if (got !== code) throw new Error(`expected ${code}, got ${got}`);
  const after = await h.dump();
  if (after.size !== before.size) throw new Error(`a refused call changed the store: ${before.size} → ${after.size} entries`);
  for (const [k, v] of before) if (!after.get(k)?.equals(v)) throw new Error(`a refused call changed ${k}`);
}
