/**
 * An online backup: every entry of the store read through ONE scan, which
 * LevelDB serves from one snapshot taken when the scan starts. Every change
 * is one atomic batch, so the backup holds each change whole or not at all,
 * and the audit head it records is the head of the events it holds. Writes
 * go on meanwhile; the snapshot does not see them.
 *
 * The file is written beside its final name and renamed once synced, so a
 * backup that failed halfway never looks like one.
 */
import { open, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RootKey } from "../crypto/seal.js";
import { keyspace } from "../store/keyspace.js";
import type { KvStore } from "../store/store.js";
import { trustKeyspace } from "../trust/keyspace.js";
import { BackupWriter, keyspaceOf, type Manifest } from "./format.js";

/** The audit head record (src/audit/chain.ts writes it). */
const AUDIT_HEAD_KEY = keyspace.meta("audit-head");

export interface BackupResult {
  /** The file's name inside the backup directory. */
  fileName: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  manifest: Manifest;
}

function fileNameOf(createTimeMs: number, backupId: Buffer): string {
  const stamp = new Date(createTimeMs).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `kms-backup-${stamp}-${backupId.toString("hex").slice(0, 12)}.kmsbak`;
}

function auditHeadOf(value: Uint8Array): Manifest["auditHead"] {
  const head = JSON.parse(Buffer.from(value).toString("utf8")) as { seq?: unknown; mac?: unknown };
  if (!Number.isSafeInteger(head.seq) || typeof head.mac !== "string") throw new Error("the audit head record is malformed");
  return { seq: head.seq as number, mac: head.mac };
}

/** Writes a sealed backup of the whole store into `dir` (created 0700 if missing); the file is 0600. */
export async function writeBackup(store: KvStore, rootKey: RootKey, dir: string, nowMs: number): Promise<BackupResult> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let size = 0;
  const counts: Record<string, number> = {};
  let entries = 0;
  let auditHead: Manifest["auditHead"] = null;
  const partial = join(dir, `.kms-backup-${process.pid}-${Date.now()}.partial`);
  const file = await open(partial, "wx", 0o600);
  try {
    // The keyring goes in the header; a rotation during the backup would make it disagree with what sealed the data key.
    const keyring = (await store.get(trustKeyspace.keyring)) ?? new Uint8Array(0);
    const writer = new BackupWriter(
      rootKey,
      nowMs,
      async (bytes) => {
        await file.write(bytes);
        size += bytes.length;
      },
      keyring,
    );
    await writer.start();
    // One scan over every key: one LevelDB iterator, one snapshot.
    for await (const [key, value] of store.scan({ prefix: "" })) {
      await writer.add(key, value);
      const space = keyspaceOf(key);
      counts[space] = (counts[space] ?? 0) + 1;
      entries++;
      if (key === AUDIT_HEAD_KEY) auditHead = auditHeadOf(value);
      if (key === trustKeyspace.keyring && !Buffer.from(value).equals(keyring)) throw new Error("the keyring was rotated while the backup ran; run it again");
    }
    const manifest: Manifest = { format: 1, backupId: writer.backupId.toString("hex"), createTimeMs: nowMs, counts, entries, auditHead };
    const sha256 = await writer.finish(manifest);
    await file.sync();
    await file.close();
    const fileName = fileNameOf(nowMs, writer.backupId);
    const path = join(dir, fileName);
    await rename(partial, path);
    await syncDir(dir);
    return { fileName, path, sizeBytes: size, sha256, manifest };
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
}

/** Makes a rename durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
