/**
 * Offline restore of a sealed backup into a new data directory, verified
 * before it is handed over:
 *
 * 1. the checksum over the whole file (accidental damage), before any key;
 * 2. the data key unwraps under the given root key (else nothing is created);
 * 3. every chunk opens, in order, up to the manifest (tampering, truncation);
 * 4. the entries per keyspace and in all are the manifest's;
 * 5. the restored store's root-key check record verifies;
 * 6. every key version's sealed material unseals under the root key, so every
 *    key can decrypt what it encrypted before;
 * 7. the audit chain verifies from its first event, and its head is the
 *    manifest's.
 *
 * The store is built in a temporary directory beside the target and renamed
 * into place only after all of that: a refused restore leaves no target.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { loadAuditKey, verifyChain } from "../audit/index.js";
import { createRootKey, materialLabel, type RootKey } from "../crypto/seal.js";
import { loadConfig } from "../config.js";
import { openKeyringReadOnly } from "../trust/open.js";
import { trustKeyspace } from "../trust/keyspace.js";
import { TrustError } from "../trust/root.js";
import { verifyRootKey } from "../root-key.js";
import { keyspace } from "../store/keyspace.js";
import { openLevelStore } from "../store/level-store.js";
import type { BatchOp, KvStore } from "../store/store.js";
import { BackupFormatError, BackupReader, CHECKSUM_LENGTH, checksumMatches, keyspaceOf, MAX_HEADER, parseHeader, unwrapDataKey, type Header, type Manifest } from "./format.js";

export interface RestoreOptions {
  /** The backup file. */
  from: string;
  /** The new data directory: must not exist, or be empty. The store goes in <to>/db. */
  to: string;
  /** The root key the backup was made under (32 bytes). */
  rootKey: Buffer;
  /** Also write the root key to <to>/root.key (0600), as the server's own key file. */
  writeRootKeyFile?: boolean;
}

export interface RestoreReport {
  manifest: Manifest;
  /** Key versions whose material was unsealed. */
  versionsChecked: number;
  /** Audit events whose MAC chain was verified. */
  auditEventsChecked: number;
}

/** Entries per store batch while restoring (each batch synced: a restore is offline, and not worth a second path). */
const BATCH_ENTRIES = 1000;

async function readExactly(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await file.read(buf, 0, length, position);
  if (bytesRead !== length) throw new BackupFormatError("the backup is truncated");
  return buf;
}

/** Step 1: SHA-256 of all but the last 32 bytes against those bytes. */
async function verifyChecksum(file: FileHandle, size: number): Promise<void> {
  if (size < CHECKSUM_LENGTH + 1) throw new BackupFormatError("the backup is truncated");
  const hash = createHash("sha256");
  const body = size - CHECKSUM_LENGTH;
  const buf = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < body; ) {
    const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, body - at), at);
    if (bytesRead === 0) throw new BackupFormatError("the backup is truncated");
    hash.update(buf.subarray(0, bytesRead));
    at += bytesRead;
  }
  if (!checksumMatches(hash.digest(), await readExactly(file, body, CHECKSUM_LENGTH))) throw new BackupFormatError("the backup's checksum does not match: the file is damaged or was changed");
}

async function assertFreshTarget(to: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(to)).isDirectory()) throw new BackupFormatError(`${to} exists and is not a directory`);
    entries = await readdir(to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (entries.length > 0) throw new BackupFormatError(`${to} is not empty: restore only into a new data directory`);
}

/** The material of one stored key version (src/keys/versions.ts writes { keyId, version, sealedMaterial } and, since accounts, its key's account and region, bound into the label). */
function unsealVersion(rootKey: RootKey, storeKey: string, value: Buffer): void {
  let v: { keyId?: unknown; version?: unknown; sealedMaterial?: unknown; account?: unknown; region?: unknown };
  try {
    v = JSON.parse(value.toString("utf8")) as typeof v;
  } catch {
    throw new BackupFormatError(`${storeKey} is not a key version record`);
  }
  if (typeof v.keyId !== "string" || typeof v.version !== "number" || typeof v.sealedMaterial !== "string") throw new BackupFormatError(`${storeKey} is not a key version record`);
  try {
    const scope = typeof v.account === "string" && typeof v.region === "string" ? { account: v.account, region: v.region } : undefined;
    rootKey.unseal(Buffer.from(v.sealedMaterial, "base64"), materialLabel(v.keyId, v.version, scope));
  } catch {
    throw new BackupFormatError(`the material of key ${v.keyId} version ${v.version} does not unseal under this root key`);
  }
}

/** Steps 3, 4 and 6: every chunk into the store, counted, every version's material unsealed. */
async function load(file: FileHandle, size: number, reader: BackupReader, headerLength: number, store: KvStore, rootKey: RootKey): Promise<{ manifest: Manifest; counts: Record<string, number>; entries: number; versions: number }> {
  const counts: Record<string, number> = {};
  let entries = 0;
  let versions = 0;
  let manifest: Manifest | undefined;
  let ops: BatchOp[] = [];
  const end = size - CHECKSUM_LENGTH;
  let at = headerLength;
  while (at < end) {
    const length = (await readExactly(file, at, 4)).readUInt32BE(0);
    if (at + 4 + length > end) throw new BackupFormatError("the backup is truncated inside a chunk");
    const opened = reader.open(await readExactly(file, at + 4, length));
    at += 4 + length;
    if ("manifest" in opened) {
      manifest = opened.manifest;
      continue;
    }
    for (const [key, value] of opened.entries) {
      const space = keyspaceOf(key);
      counts[space] = (counts[space] ?? 0) + 1;
      entries++;
      if (space === "versions") {
        unsealVersion(rootKey, key, value);
        versions++;
      }
      ops.push({ type: "put", key, value });
      if (ops.length >= BATCH_ENTRIES) {
        await store.batch(ops);
        ops = [];
      }
    }
  }
  if (!manifest) throw new BackupFormatError("the backup has no manifest: it is truncated");
  await store.batch(ops);
  return { manifest, counts, entries, versions };
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/**
 * The keyring that sealed the backup: opened from the record the header
 * carries with the development root key given (an HSM-rooted keyring needs
 * KMS_SEAL=pkcs11 and its settings in the environment; a Shamir-sealed one
 * cannot be opened offline). A backup of a store older than the keyring was
 * sealed by the root key itself.
 */
async function keyringOf(header: Header, rootKey: Buffer): Promise<RootKey> {
  if (header.keyringRecord.length === 0) return createRootKey(rootKey);
  const scratch = await mkdtemp(join(tmpdir(), "kms-restore-keyring-"));
  const store = await openLevelStore(join(scratch, "db"), { sync: false });
  try {
    await store.batch([{ type: "put", key: trustKeyspace.keyring, value: header.keyringRecord }]);
    const env = { ...process.env, KMS_DATA_DIR: scratch, KMS_ROOT_KEY: rootKey.toString("base64") };
    return await openKeyringReadOnly(loadConfig(env), store);
  } catch (err) {
    // Its cause stays out of the message: either the root is not this backup's, or the header was changed.
    if (err instanceof TrustError) throw new BackupFormatError("the backup's data key does not unwrap: wrong root key, or the header was changed");
    throw err;
  } finally {
    await store.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreReport> {
  const file = await open(opts.from, "r");
  try {
    const size = (await file.stat()).size;
    await verifyChecksum(file, size);
    const head = await readExactly(file, 0, Math.min(MAX_HEADER, size - CHECKSUM_LENGTH));
    const header = parseHeader(head);
    const rootKey = await keyringOf(header, opts.rootKey);
    const dataKey = unwrapDataKey(header, rootKey);
    await assertFreshTarget(opts.to);

    const parent = dirname(opts.to);
    await mkdir(parent, { recursive: true });
    const work = join(parent, `.${basename(opts.to)}.restoring-${randomBytes(6).toString("hex")}`);
    await mkdir(work, { mode: 0o700 });
    try {
      const store = await openLevelStore(join(work, "db"), { sync: true });
      let report: RestoreReport;
      try {
        const loaded = await load(file, size, new BackupReader(header, dataKey), header.bytes.length, store, rootKey);
        const { manifest } = loaded;
        if (manifest.backupId !== header.backupId.toString("hex")) throw new BackupFormatError("the manifest belongs to another backup");
        if (loaded.entries !== manifest.entries || !sameCounts(loaded.counts, manifest.counts)) throw new BackupFormatError("the entries restored differ from the manifest's counts");
        if (header.keyringRecord.length === 0) {
          // A store older than the keyring: its check record proves the root key.
          if ((await store.get(keyspace.meta("root-key-check"))) === undefined) throw new BackupFormatError("the backup holds no root-key check record");
          await verifyRootKey(store, opts.rootKey);
        } else if (!Buffer.from((await store.get(trustKeyspace.keyring)) ?? []).equals(header.keyringRecord)) {
          throw new BackupFormatError("the keyring in the backup differs from the one its header carries");
        }
        let auditEventsChecked = 0;
        if (manifest.auditHead) {
          const chain = await verifyChain(store, await loadAuditKey(store, rootKey), { anchor: manifest.auditHead });
          if (!chain.ok) throw new BackupFormatError(`the audit chain does not verify: ${chain.failure?.reason} at event ${chain.failure?.seq}`);
          if (chain.headSeq !== manifest.auditHead.seq) throw new BackupFormatError("the audit head differs from the manifest's");
          auditEventsChecked = chain.checked;
        }
        report = { manifest, versionsChecked: loaded.versions, auditEventsChecked };
      } finally {
        await store.close();
      }
      if (opts.writeRootKeyFile) await writeFile(join(work, "root.key"), `${opts.rootKey.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
      // rename(2) replaces an empty directory, and fails on one that is not (someone wrote there meanwhile).
      await rename(work, opts.to);
      return report;
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  } finally {
    await file.close();
  }
}
