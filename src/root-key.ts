/**
 * The root key: from KMS_ROOT_KEY, or from <data>/root.key (created on first
 * start, mode 0600). A check record sealed under it is stored with the data,
 * so a wrong root key stops the start before anything is written.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "./crypto/random.js";
import { createRootKey, UnsealError, type RootKey } from "./crypto/seal.js";
import { keyspace } from "./store/keyspace.js";
import type { KvStore } from "./store/store.js";

const CHECK_LABEL = "kms/v1/root-key-check";
const CHECK_PLAINTEXT = Buffer.from("kms root key check v1", "utf8");

export class RootKeyError extends Error {
  override readonly name = "RootKeyError";
}

/** Reads the configured key, or the data dir's key file, or (fresh store only) creates that file, warning through `warn`. */
export async function obtainRootKey(
  dataDir: string,
  configured: Buffer | undefined,
  mayCreate: boolean,
  warn: (msg: string) => void,
): Promise<Buffer> {
  if (configured) return configured;
  const file = join(dataDir, "root.key");
  let text: string | undefined;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== undefined) {
    const key = Buffer.from(text, "base64");
    if (key.length !== 32) throw new RootKeyError(`${file} does not hold the base64 of 32 bytes`);
    return key;
  }
  // Never invent a key for data that is already sealed: that start must fail, not fork the data.
  if (!mayCreate) throw new RootKeyError(`the store is sealed under a root key, but neither KMS_ROOT_KEY nor ${file} provides one`);
  const key = Buffer.from(randomBytes(32));
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  await chmod(file, 0o600);
  warn(`generated a root key in ${file}; production must supply its own through KMS_ROOT_KEY (base64 of 32 bytes) from a secret store`);
  return key;
}

/** Verifies the key against the store's check record, writing the record on a fresh store. */
export async function verifyRootKey(store: KvStore, key: Buffer): Promise<RootKey> {
  const rootKey = createRootKey(key);
  const check = await store.get(keyspace.meta("root-key-check"));
  if (check === undefined) {
    let hasKeys = false;
    for await (const _ of store.scanKeys({ prefix: keyspace.keysPrefix, limit: 1 })) hasKeys = true;
    if (hasKeys) throw new RootKeyError("the store holds keys but no root-key check record; refusing to guess");
    await store.batch([
      { type: "put", key: keyspace.meta("schema"), value: Buffer.from("1") },
      { type: "put", key: keyspace.meta("root-key-check"), value: rootKey.seal(CHECK_PLAINTEXT, CHECK_LABEL) },
    ]);
    return rootKey;
  }
  try {
    const plain = rootKey.unseal(check, CHECK_LABEL);
    if (!Buffer.from(plain).equals(CHECK_PLAINTEXT)) throw new UnsealError("check mismatch");
  } catch (err) {
    if (err instanceof UnsealError)
      throw new RootKeyError("the root key does not match the one this data directory was sealed with; nothing was changed");
    throw err;
  }
  return rootKey;
}
