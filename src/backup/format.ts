/**
 * The sealed backup file, version 2. A file is self-contained given the root
 * of trust: a fresh data key encrypts the contents, the keyring seals the data
 * key, and the keyring itself travels in the header as the store keeps it
 * (wrapped by the root of trust), so only whoever holds that root opens it.
 *
 *   header   "TCKMSBAK" (8) | version 2 (1) | algorithm 1 = AES-256-GCM (1)
 *            | reserved 0 (2) | chunk size (4) | backup id (16)
 *            | created, Unix ms (8) | wrapped key length (2)
 *            | wrapped data key = RootKey.seal(dataKey, "kms/v1/backup/<id hex>")
 *            | keyring record length (4) | the keyring record (0 bytes for a store older than the keyring)
 *   chunks   length of sealed (4) | sealed = AES-256-GCM(dataKey,
 *              nonce = 0 (4) | index (8), AAD = header | index (8) | kind (1))
 *            kind 0: data (the entry stream), kind 1: the manifest, always last
 *   trailer  SHA-256 of everything before it (32)
 *
 * The entry stream is `key length (4) | key (UTF-8) | value length (4) | value`
 * repeated, cut into chunks of at most `chunk size` bytes wherever it falls
 * (an entry may span chunks). The manifest is JSON: the backup id, the time,
 * entries per keyspace, all entries, and the audit chain's head.
 *
 * Why each part: the header is every chunk's AAD, so no field of it can be
 * changed; the index in the nonce and AAD stops reordering and splicing; the
 * manifest chunk, the only one of its kind and the last, stops truncation; a
 * fresh data key per file keeps the counter nonces unique; the checksum finds
 * accidental damage before any key is touched (tampering is what the tags find).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual, type Hash } from "node:crypto";
import type { RootKey } from "../crypto/seal.js";

export const MAGIC = Buffer.from("TCKMSBAK", "ascii");
export const FORMAT_VERSION = 2;
const ALGORITHM_AES_256_GCM = 1;
/** Plaintext bytes per chunk. */
export const CHUNK_SIZE = 64 * 1024;
const ID_LENGTH = 16;
const TAG_LENGTH = 16;
const FIXED_HEADER = 8 + 1 + 1 + 2 + 4 + ID_LENGTH + 8 + 2;
/** A chunk larger than this is not one this format writes. */
const MAX_SEALED_CHUNK = 16 * 1024 * 1024;
export const CHECKSUM_LENGTH = 32;

export const enum ChunkKind {
  Data = 0,
  Manifest = 1,
}

/** What a backup holds, sealed as its last chunk. */
export interface Manifest {
  format: 1;
  backupId: string;
  createTimeMs: number;
  /** Entries per keyspace ("keys", "versions", "audit", "meta", ...). */
  counts: Record<string, number>;
  entries: number;
  /** The audit chain's head in the snapshot; null before the first event. */
  auditHead: { seq: number; mac: string } | null;
}

/** The backup is not one this service can read, or has been damaged or changed. */
export class BackupFormatError extends Error {
  override readonly name = "BackupFormatError";
}

export interface Header {
  bytes: Buffer;
  chunkSize: number;
  backupId: Buffer;
  createTimeMs: number;
  wrappedKey: Buffer;
  /** The keyring record as the store held it (wrapped by the root of trust); empty for a store older than the keyring. */
  keyringRecord: Buffer;
}

function wrapLabel(backupId: Buffer): string {
  return `kms/v1/backup/${backupId.toString("hex")}`;
}

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function aad(header: Buffer, index: number, kind: ChunkKind): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index), 0);
  tail[8] = kind;
  return Buffer.concat([header, tail]);
}

/** The keyspace of a store key: "v1/keys/abc" → "keys"; anything else → "other". */
export function keyspaceOf(storeKey: string): string {
  const m = /^v\d+\/([^/]+)\//.exec(storeKey);
  return m ? (m[1] as string) : "other";
}

/** Encodes one store entry for the entry stream. */
export function encodeEntry(key: string, value: Uint8Array): Buffer {
  const k = Buffer.from(key, "utf8");
  const out = Buffer.allocUnsafe(8 + k.length + value.length);
  out.writeUInt32BE(k.length, 0);
  k.copy(out, 4);
  out.writeUInt32BE(value.length, 4 + k.length);
  out.set(value, 8 + k.length);
  return out;
}

/**
 * Writes a backup: the header at once, then chunks as entries come, then the
 * manifest and the checksum. `write` receives the file's bytes in order.
 */
export class BackupWriter {
  readonly backupId = randomBytes(ID_LENGTH);
  private readonly dataKey = randomBytes(32);
  private readonly header: Buffer;
  private readonly hash: Hash = createHash("sha256");
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  private done = false;

  constructor(
    rootKey: RootKey,
    readonly createTimeMs: number,
    private readonly write: (bytes: Buffer) => Promise<void>,
    keyringRecord: Uint8Array = new Uint8Array(0),
  ) {
    const wrapped = Buffer.from(rootKey.seal(this.dataKey, wrapLabel(this.backupId)));
    const h = Buffer.alloc(FIXED_HEADER + wrapped.length + 4 + keyringRecord.length);
    let at = MAGIC.copy(h, 0);
    h[at++] = FORMAT_VERSION;
    h[at++] = ALGORITHM_AES_256_GCM;
    at = h.writeUInt16BE(0, at);
    at = h.writeUInt32BE(CHUNK_SIZE, at);
    at += this.backupId.copy(h, at);
    at = h.writeBigUInt64BE(BigInt(createTimeMs), at);
    at = h.writeUInt16BE(wrapped.length, at);
    at += wrapped.copy(h, at);
    at = h.writeUInt32BE(keyringRecord.length, at);
    h.set(keyringRecord, at);
    this.header = h;
  }

  /** The header goes out first. */
  async start(): Promise<void> {
    await this.emit(this.header);
  }

  async add(key: string, value: Uint8Array): Promise<void> {
    const entry = encodeEntry(key, value);
    this.pending.push(entry);
    this.pendingBytes += entry.length;
    while (this.pendingBytes >= CHUNK_SIZE) await this.flushChunk(CHUNK_SIZE);
  }

  /** Seals the rest of the entries, the manifest and the checksum; returns the checksum (hex). */
  async finish(manifest: Manifest): Promise<string> {
    if (this.done) throw new Error("backup already finished");
    this.done = true;
    while (this.pendingBytes > 0) await this.flushChunk(Math.min(CHUNK_SIZE, this.pendingBytes));
    await this.emitChunk(Buffer.from(JSON.stringify(manifest), "utf8"), ChunkKind.Manifest);
    const checksum = this.hash.digest();
    await this.write(checksum);
    this.dataKey.fill(0);
    return checksum.toString("hex");
  }

  private async flushChunk(size: number): Promise<void> {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    const chunk = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    await this.emitChunk(chunk, ChunkKind.Data);
  }

  private async emitChunk(plaintext: Buffer, kind: ChunkKind): Promise<void> {
    const index = this.index++;
    const cipher = createCipheriv("aes-256-gcm", this.dataKey, nonce(index));
    cipher.setAAD(aad(this.header, index, kind));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(sealed.length);
    await this.emit(Buffer.concat([length, sealed]));
  }

  private async emit(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    await this.write(bytes);
  }
}

/** Parses the header at the start of `bytes` (at least the fixed part and the wrapped key). */
export function parseHeader(bytes: Buffer): Header {
  if (bytes.length < FIXED_HEADER || !bytes.subarray(0, 8).equals(MAGIC)) throw new BackupFormatError("not a KMS backup file");
  if (bytes[8] !== FORMAT_VERSION) throw new BackupFormatError(`backup format version ${bytes[8]} is not supported (this service reads ${FORMAT_VERSION})`);
  if (bytes[9] !== ALGORITHM_AES_256_GCM || bytes.readUInt16BE(10) !== 0) throw new BackupFormatError("unknown backup algorithm");
  const chunkSize = bytes.readUInt32BE(12);
  if (chunkSize === 0 || chunkSize > MAX_SEALED_CHUNK) throw new BackupFormatError("bad chunk size in the backup header");
  const backupId = Buffer.from(bytes.subarray(16, 16 + ID_LENGTH));
  const createTimeMs = Number(bytes.readBigUInt64BE(32));
  const wrappedLength = bytes.readUInt16BE(40);
  if (bytes.length < FIXED_HEADER + wrappedLength) throw new BackupFormatError("the backup header is truncated");
  const wrappedKey = Buffer.from(bytes.subarray(FIXED_HEADER, FIXED_HEADER + wrappedLength));
  const at = FIXED_HEADER + wrappedLength;
  if (bytes.length < at + 4) throw new BackupFormatError("the backup header is truncated");
  const keyringLength = bytes.readUInt32BE(at);
  if (keyringLength > MAX_KEYRING_RECORD || bytes.length < at + 4 + keyringLength) throw new BackupFormatError("the backup header is truncated");
  const keyringRecord = Buffer.from(bytes.subarray(at + 4, at + 4 + keyringLength));
  return { bytes: Buffer.from(bytes.subarray(0, at + 4 + keyringLength)), chunkSize, backupId, createTimeMs, wrappedKey, keyringRecord };
}

/** Largest keyring record a header carries (a keyring of a few hundred versions). */
const MAX_KEYRING_RECORD = 1024 * 1024;
/** Largest header: the fixed part, the longest wrapped key a u16 can name, and the keyring record. */
export const MAX_HEADER = FIXED_HEADER + 0xffff + 4 + MAX_KEYRING_RECORD;

/** The data key, or throws when the root key is not the one the backup was made under (or the header was changed). */
export function unwrapDataKey(header: Header, rootKey: RootKey): Buffer {
  try {
    return Buffer.from(rootKey.unseal(header.wrappedKey, wrapLabel(header.backupId)));
  } catch {
    throw new BackupFormatError("the backup's data key does not unwrap: wrong root key, or the header was changed");
  }
}

/** Compares a computed checksum with the stored one. */
export function checksumMatches(computed: Buffer, stored: Buffer): boolean {
  return stored.length === CHECKSUM_LENGTH && timingSafeEqual(computed, stored);
}

/**
 * Opens the chunks that follow the header, one at a time, and splits the
 * entry stream back into entries. Every failure is a BackupFormatError.
 */
export class BackupReader {
  private index = 0;
  private stream: Buffer = Buffer.alloc(0);
  private manifestSeen = false;

  constructor(
    private readonly header: Header,
    private readonly dataKey: Buffer,
  ) {}

  /** Opens one sealed chunk (without its length prefix); data chunks yield their entries, the manifest its value. */
  open(sealed: Buffer): { entries: [string, Buffer][] } | { manifest: Manifest } {
    if (this.manifestSeen) throw new BackupFormatError("the backup continues after its manifest");
    if (sealed.length < TAG_LENGTH || sealed.length > MAX_SEALED_CHUNK) throw new BackupFormatError(`chunk ${this.index} has a bad length`);
    const index = this.index++;
    const plaintext = this.tryOpen(sealed, index, ChunkKind.Data);
    if (plaintext) return { entries: this.split(plaintext) };
    const manifest = this.tryOpen(sealed, index, ChunkKind.Manifest);
    if (!manifest) throw new BackupFormatError(`chunk ${index} fails its integrity check`);
    if (this.stream.length > 0) throw new BackupFormatError("the entry stream ends inside an entry");
    this.manifestSeen = true;
    return { manifest: parseManifest(manifest) };
  }

  get complete(): boolean {
    return this.manifestSeen;
  }

  private tryOpen(sealed: Buffer, index: number, kind: ChunkKind): Buffer | undefined {
    const decipher = createDecipheriv("aes-256-gcm", this.dataKey, nonce(index));
    decipher.setAAD(aad(this.header.bytes, index, kind));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  private split(plaintext: Buffer): [string, Buffer][] {
    let buf = this.stream.length === 0 ? plaintext : Buffer.concat([this.stream, plaintext]);
    const out: [string, Buffer][] = [];
    for (;;) {
      if (buf.length < 4) break;
      const keyLength = buf.readUInt32BE(0);
      if (buf.length < 8 + keyLength) break;
      const valueLength = buf.readUInt32BE(4 + keyLength);
      if (buf.length < 8 + keyLength + valueLength) break;
      const key = buf.subarray(4, 4 + keyLength).toString("utf8");
      out.push([key, Buffer.from(buf.subarray(8 + keyLength, 8 + keyLength + valueLength))]);
      buf = buf.subarray(8 + keyLength + valueLength);
    }
    this.stream = Buffer.from(buf);
    return out;
  }
}

function parseManifest(bytes: Buffer): Manifest {
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(bytes.toString("utf8")) as Partial<Manifest>;
  } catch {
    throw new BackupFormatError("the manifest is not JSON");
  }
  const head = m.auditHead;
  const headOk = head === null || (typeof head === "object" && head !== undefined && Number.isSafeInteger(head.seq) && typeof head.mac === "string");
  if (m.format !== 1 || typeof m.backupId !== "string" || !Number.isSafeInteger(m.createTimeMs) || !Number.isSafeInteger(m.entries) || typeof m.counts !== "object" || m.counts === null || !headOk)
    throw new BackupFormatError("the manifest is malformed");
  return m as Manifest;
}
