/**
 * The sealed backup file over a real LevelDB store: a backup restores whole
 * and verified, and every kind of damage or tampering (and a wrong root key)
 * is refused with nothing written where the restore was asked to go.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { createRootKey, materialLabel } from "../../src/crypto/seal.js";
import { BackupFormatError, CHUNK_SIZE } from "../../src/backup/format.js";
import { restoreBackup } from "../../src/backup/restore.js";
import { writeBackup, type BackupResult } from "../../src/backup/snapshot.js";
import { verifyRootKey } from "../../src/root-key.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";

let dir: string;
let rootKey: Buffer;
let backup: BackupResult;
let original: Map<string, string>;

/** A store shaped like the server's: root-key check, key versions with sealed material, audit events, and a big value spanning chunks. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kms-backup-format-"));
  rootKey = randomBytes(32);
  const store = await openLevelStore(join(dir, "src", "db"), { sync: false });
  const root = await verifyRootKey(store, rootKey);
  for (let i = 0; i < 300; i++) {
    const keyId = `key-${String(i).padStart(4, "0")}`;
    await store.batch([
      { type: "put", key: keyspace.key(keyId), value: Buffer.from(JSON.stringify({ keyId })) },
      { type: "put", key: keyspace.version(keyId, 1), value: Buffer.from(JSON.stringify({ keyId, version: 1, sealedMaterial: Buffer.from(root.seal(randomBytes(32), materialLabel(keyId, 1))).toString("base64") })) },
    ]);
  }
  await store.batch([{ type: "put", key: keyspace.meta("big"), value: randomBytes(3 * CHUNK_SIZE + 17) }]);
  const audit = await AuditLog.open(store, root);
  for (let i = 0; i < 50; i++)
    await audit.append({ time: 1, principalUin: "1", principalName: "root", credential: "c", action: "kms:Test", keyIds: [], result: "Success", source: "127.0.0.1", transport: "grpc", requestId: `r${i}`, latencyMs: 1 });
  await audit.close();
  original = new Map();
  for await (const [k, v] of store.scan({ prefix: "" })) original.set(k, Buffer.from(v).toString("base64"));
  backup = await writeBackup(store, createRootKey(rootKey), join(dir, "backups"), Date.UTC(2026, 11, 1));
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function contentsOf(dataDir: string): Promise<Map<string, string>> {
  const store = await openLevelStore(join(dataDir, "db"), { sync: false });
  const out = new Map<string, string>();
  for await (const [k, v] of store.scan({ prefix: "" })) out.set(k, Buffer.from(v).toString("base64"));
  await store.close();
  return out;
}

/** Writes `bytes` as a backup file, with a correct checksum unless `keepChecksum` (then the original trailer stays). */
async function variant(name: string, bytes: Buffer, fixChecksum = true): Promise<string> {
  const out = Buffer.from(bytes);
  if (fixChecksum) createHash("sha256").update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32);
  const path = join(dir, `${name}.kmsbak`);
  await writeFile(path, out);
  return path;
}

/** The file cut into header, chunks (with their length prefixes) and checksum. */
function pieces(bytes: Buffer): { header: Buffer; chunks: Buffer[]; checksum: Buffer } {
  // Format 2: the fixed part, the wrapped key, then the keyring record and its length.
  const keyringAt = 42 + bytes.readUInt16BE(40);
  const headerLength = keyringAt + 4 + bytes.readUInt32BE(keyringAt);
  const chunks: Buffer[] = [];
  for (let at = headerLength; at < bytes.length - 32; ) {
    const len = bytes.readUInt32BE(at);
    chunks.push(bytes.subarray(at, at + 4 + len));
    at += 4 + len;
  }
  return { header: bytes.subarray(0, headerLength), chunks, checksum: bytes.subarray(bytes.length - 32) };
}

async function refused(from: string, key = rootKey): Promise<string> {
  const to = join(dir, `target-${randomBytes(4).toString("hex")}`);
  const err = await restoreBackup({ from, to, rootKey: key }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BackupFormatError);
  await expect(stat(to)).rejects.toMatchObject({ code: "ENOENT" });
  // No temporary directory is left beside it either.
  expect((await readdir(dir)).filter((n) => n.includes("restoring"))).toEqual([]);
  return (err as Error).message;
}

describe("a backup", () => {
  it("is a sealed file: 0600, named by time and id, no stored value readable in it", async () => {
    expect(backup.fileName).toMatch(/^kms-backup-20261201T000000Z-[0-9a-f]{12}\.kmsbak$/);
    expect((await stat(backup.path)).mode & 0o777).toBe(0o600);
    expect(backup.manifest).toMatchObject({ entries: original.size, counts: { keys: 300, versions: 300, meta: 5, audit: expect.any(Number) }, auditHead: { seq: 50 } });
    const bytes = await readFile(backup.path);
    expect(createHash("sha256").update(bytes.subarray(0, bytes.length - 32)).digest("hex")).toBe(backup.sha256);
    for (const needle of ["key-0001", "kms:Test", "root-key-check", keyspace.keysPrefix]) expect(bytes.includes(Buffer.from(needle))).toBe(false);
    expect((await readdir(join(dir, "backups"))).filter((n) => n.endsWith(".partial"))).toEqual([]);
  });

  it("restores every entry exactly, verified, into a new directory (and one that exists empty)", async () => {
    const to = join(dir, "restored");
    const report = await restoreBackup({ from: backup.path, to, rootKey, writeRootKeyFile: true });
    expect(report).toMatchObject({ versionsChecked: 300, auditEventsChecked: 50, manifest: { entries: original.size } });
    expect(await contentsOf(to)).toEqual(original);
    expect((await readFile(join(to, "root.key"), "utf8")).trim()).toBe(rootKey.toString("base64"));
    expect((await stat(join(to, "root.key"))).mode & 0o777).toBe(0o600);
    const empty = join(dir, "empty-target");
    await mkdir(empty);
    await restoreBackup({ from: backup.path, to: empty, rootKey });
    expect((await contentsOf(empty)).size).toBe(original.size);
    await expect(stat(join(empty, "root.key"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("is refused under a wrong root key, before anything is created", async () => {
    expect(await refused(backup.path, randomBytes(32))).toMatch(/wrong root key/);
  });

  it("is refused into a directory that is not empty, which stays as it was", async () => {
    const to = join(dir, "occupied");
    await mkdir(to);
    await writeFile(join(to, "keep"), "x");
    await expect(restoreBackup({ from: backup.path, to, rootKey })).rejects.toThrow(/not empty/);
    expect(await readdir(to)).toEqual(["keep"]);
  });

  it("is refused when damaged, tampered, truncated, reordered or spliced", async () => {
    const bytes = await readFile(backup.path);
    const { header, chunks, checksum } = pieces(bytes);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    const flip = (at: number) => {
      const b = Buffer.from(bytes);
      b[at] = (b[at] as number) ^ 0x01;
      return b;
    };
    // Damage without a fixed checksum: found by the checksum.
    expect(await refused(await variant("flipped", flip(Math.floor(bytes.length / 2)), false))).toMatch(/checksum/);
    expect(await refused(await variant("short", bytes.subarray(0, bytes.length - 1000), false))).toMatch(/checksum/);
    // Tampering with a recomputed checksum: found by the keys and tags.
    expect(await refused(await variant("body", flip(header.length + 100)))).toMatch(/integrity/);
    expect(await refused(await variant("backup-id", flip(20)))).toMatch(/wrong root key, or the header was changed/);
    expect(await refused(await variant("wrapped-key", flip(50)))).toMatch(/wrong root key, or the header was changed/);
    expect(await refused(await variant("created", flip(33)))).toMatch(/integrity/);
    expect(await refused(await variant("chunk-size", flip(14)))).toBeTruthy();
    const last = chunks.length - 1;
    const manifestless = Buffer.concat([header, ...chunks.slice(0, last), checksum]);
    expect(await refused(await variant("no-manifest", manifestless))).toMatch(/no manifest/);
    const dropped = Buffer.concat([header, ...chunks.slice(0, 1), ...chunks.slice(2), checksum]);
    expect(await refused(await variant("dropped", dropped))).toMatch(/integrity/);
    const swapped = Buffer.concat([header, chunks[1]!, chunks[0]!, ...chunks.slice(2), checksum]);
    expect(await refused(await variant("swapped", swapped))).toMatch(/integrity/);
    const extra = Buffer.concat([header, ...chunks, chunks[0]!, checksum]);
    expect(await refused(await variant("after-manifest", extra))).toMatch(/after its manifest/);
    // A chunk of another backup of the same store (same root key) does not fit this one.
    const other = await writeBackup(await openAgain(), createRootKey(rootKey), join(dir, "backups-2"), Date.UTC(2026, 11, 2));
    const otherPieces = pieces(await readFile(other.path));
    const spliced = Buffer.concat([header, otherPieces.chunks[0]!, ...chunks.slice(1), checksum]);
    expect(await refused(await variant("spliced", spliced))).toMatch(/integrity/);
    const foreignHeader = Buffer.concat([otherPieces.header, ...chunks, checksum]);
    expect(await refused(await variant("foreign-header", foreignHeader))).toMatch(/integrity/);
    expect(await refused(await variant("not-a-backup", Buffer.concat([Buffer.from("hello world, not a backup at all"), checksum])))).toMatch(/not a KMS backup/);
  });
});

describe("a restore's checks of what it restores", () => {
  it("refuses a store whose key material does not unseal under the root key, or that has no root-key check", async () => {
    const sub = await mkdtemp(join(dir, "bad-material-"));
    const store = await openLevelStore(join(sub, "db"), { sync: false });
    await verifyRootKey(store, rootKey);
    const stranger = createRootKey(randomBytes(32));
    await store.batch([{ type: "put", key: keyspace.version("k1", 1), value: Buffer.from(JSON.stringify({ keyId: "k1", version: 1, sealedMaterial: Buffer.from(stranger.seal(randomBytes(32), materialLabel("k1", 1))).toString("base64") })) }]);
    const bad = await writeBackup(store, createRootKey(rootKey), join(sub, "backups"), 1);
    expect(await refused(bad.path)).toMatch(/key k1 version 1 does not unseal/);
    await store.batch([{ type: "del", key: keyspace.version("k1", 1) }, { type: "del", key: keyspace.meta("root-key-check") }]);
    const unchecked = await writeBackup(store, createRootKey(rootKey), join(sub, "backups"), 2);
    expect(await refused(unchecked.path)).toMatch(/no root-key check record/);
    await store.close();
  });
});

let reopened: Awaited<ReturnType<typeof openLevelStore>> | undefined;
async function openAgain() {
  reopened ??= await openLevelStore(join(dir, "src", "db"), { sync: false });
  return reopened;
}
afterAll(async () => {
  await reopened?.close();
});
