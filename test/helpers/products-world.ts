/**
 * What the product-secret tests share: a LevelDB store in a temp dir, a root
 * key, the rotation engine over a real Mysql backend, the sealed values port,
 * and a registered instance of a private MariaDB. Reopening the store gives a
 * fresh engine, as a restarted process would have.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ManualClock } from "../../src/clock.js";
import { createRootKey, type RootKey } from "../../src/crypto/seal.js";
import { LockSet } from "../../src/keys/locks.js";
import { openLevelStore } from "../../src/store/level-store.js";
import type { KvStore } from "../../src/store/store.js";
import { buildInstanceRecord, InstanceRepository } from "../../src/secrets/products/instance.js";
import { createMysqlBackend } from "../../src/secrets/products/mysql.js";
import type { ProductBackend } from "../../src/secrets/products/product.js";
import { createProductRegistry } from "../../src/secrets/products/registry.js";
import { RotationEngine } from "../../src/secrets/products/rotation.js";
import type { SecretRef } from "../../src/secrets/products/values.js";
import type { MariaDb } from "./mariadb.js";
import { sealedProductValues } from "./product-values.js";

export const SCOPE = { uin: "100000000001", region: "ap-guangzhou" } as const;
export const INSTANCE_ID = "cdb-local1";

export const testBackend = (): ProductBackend => createMysqlBackend({ connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 });

export interface World {
  dir: string;
  rootKeyBytes: Uint8Array;
  rootKey: RootKey;
  clock: ManualClock;
  store: KvStore;
  engine: RotationEngine;
  values: ReturnType<typeof sealedProductValues>;
  /** Closes the store and opens it again with a new engine (optionally over another backend): a restart. */
  restart(backend?: ProductBackend): Promise<void>;
  close(): Promise<void>;
}

export async function openWorld(db: MariaDb, backend: ProductBackend = testBackend(), dir?: string, rootKeyBytes?: Uint8Array): Promise<World> {
  const world = {
    dir: dir ?? (await mkdtemp(join(tmpdir(), "kms-products-"))),
    rootKeyBytes: rootKeyBytes ?? randomBytes(32),
    clock: new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0)),
  } as World;
  world.rootKey = createRootKey(world.rootKeyBytes);
  const open = async (b: ProductBackend) => {
    world.store = await openLevelStore(join(world.dir, "db"), { sync: true });
    world.values = sealedProductValues(world.store, world.rootKey);
    world.engine = new RotationEngine({
      store: world.store,
      rootKey: world.rootKey,
      clock: world.clock,
      locks: new LockSet(),
      products: createProductRegistry([b]),
      values: world.values,
      retryDelayMs: 60_000,
    });
  };
  await open(backend);
  const instances = new InstanceRepository(world.store);
  if (!(await instances.find(SCOPE, INSTANCE_ID))) {
    const record = buildInstanceRecord(
      { instanceId: INSTANCE_ID, product: "Mysql", host: db.host, port: db.port, adminUser: db.adminUser, adminPassword: db.adminPassword },
      SCOPE,
      world.rootKey,
      createProductRegistry([backend]),
      world.clock.now(),
    );
    await world.store.batch([instances.put(record)]);
  }
  world.restart = async (b = backend) => {
    await world.engine.settled();
    await world.store.close();
    await open(b);
  };
  world.close = async () => {
    await world.engine.settled();
    await world.store.close();
    await rm(world.dir, { recursive: true, force: true });
  };
  return world;
}

export const ref = (secretName: string): SecretRef => ({ ...SCOPE, secretName });
