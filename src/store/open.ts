/** The store the configuration names: embedded LevelDB under the data dir, or a shared etcd cluster. */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config.js";
import { localCoordination, type Coordination } from "./coordination.js";
import { etcdCoordination, openEtcdStore, type EtcdTls } from "./etcd-store.js";
import { openLevelStore } from "./level-store.js";
import { StoreOpenError, type KvStore } from "./store.js";

export type StoreSettings = Pick<Config, "store" | "dataDir" | "syncWrites">;

async function readPem(name: string, file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    throw new StoreOpenError(`cannot read ${name} (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function etcdTls(tls: { caFile: string | undefined; certFile: string | undefined; keyFile: string | undefined } | undefined): Promise<EtcdTls | undefined> {
  if (!tls) return undefined;
  const [ca, cert, key] = await Promise.all([readPem("KMS_ETCD_CA", tls.caFile), readPem("KMS_ETCD_CERT", tls.certFile), readPem("KMS_ETCD_KEY", tls.keyFile)]);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

export async function openStore(config: StoreSettings): Promise<KvStore> {
  if (config.store.kind === "level") {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    return openLevelStore(join(config.dataDir, "db"), { sync: config.syncWrites });
  }
  const { endpoints, prefix, maxTxnOps, maxRequestBytes } = config.store;
  const tls = await etcdTls(config.store.tls);
  return openEtcdStore({ endpoints, prefix, maxTxnOps, maxRequestBytes, ...(tls ? { tls } : {}) });
}

/** Leader election among the processes sharing `store` (etcd), or the one process's own (LevelDB: it always leads). */
export function coordinationOf(store: KvStore): Coordination {
  return etcdCoordination(store) ?? localCoordination();
}
