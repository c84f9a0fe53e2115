/**
 * The keyring as the root of trust wraps it: a small binary payload.
 *
 *   "KR" | format 0x01 | flags (1) | current (uint32 BE) | count (uint16 BE)
 *        | count × ( version (uint32 BE) | createTime ms (uint64 BE) | key (32) )
 *
 * flags bit 0: the store predates the keyring and its directory records
 * still have to be authenticated (see Directory.open). The flag lives here,
 * inside what the root of trust authenticates, so nobody can re-arm that
 * one-time adoption by deleting a record.
 */
import { randomBytes } from "../crypto/random.js";
import { assertKeyring, KEYRING_KEY_LENGTH, LEGACY_VERSION, MAX_KEYRING_VERSION, type Keyring, type KeyringEntry } from "../crypto/seal.js";

const MAGIC = Buffer.from("KR", "ascii");
const FORMAT = 0x01;
const HEADER = 2 + 1 + 1 + 4 + 2;
const ENTRY = 4 + 8 + KEYRING_KEY_LENGTH;
const FLAG_ADOPT_DIRECTORY = 0x01;

/** The keyring with what travels with it under the root's wrap. */
export interface StoredKeyring extends Keyring {
  /** The directory's records were written before records were authenticated: adopt them once. */
  adoptLegacyDirectory: boolean;
}

export class KeyringFormatError extends Error {
  override readonly name = "KeyringFormatError";
}

export function encodeKeyring(k: StoredKeyring): Buffer {
  assertKeyring(k);
  const out = Buffer.alloc(HEADER + ENTRY * k.entries.length);
  MAGIC.copy(out, 0);
  out[2] = FORMAT;
  out[3] = k.adoptLegacyDirectory ? FLAG_ADOPT_DIRECTORY : 0;
  out.writeUInt32BE(k.current, 4);
  out.writeUInt16BE(k.entries.length, 8);
  k.entries.forEach((e, i) => {
    const at = HEADER + ENTRY * i;
    out.writeUInt32BE(e.version, at);
    out.writeBigUInt64BE(BigInt(e.createTime), at + 4);
    Buffer.from(e.key).copy(out, at + 12);
  });
  return out;
}

export function decodeKeyring(bytes: Uint8Array): StoredKeyring {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < HEADER || !b.subarray(0, 2).equals(MAGIC) || b[2] !== FORMAT) throw new KeyringFormatError("the keyring payload has an unknown format");
  const flags = b[3] as number;
  if ((flags & ~FLAG_ADOPT_DIRECTORY) !== 0) throw new KeyringFormatError("the keyring payload has unknown flags");
  const count = b.readUInt16BE(8);
  if (b.length !== HEADER + ENTRY * count) throw new KeyringFormatError("the keyring payload has the wrong length");
  const entries: KeyringEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER + ENTRY * i;
    entries.push({ version: b.readUInt32BE(at), createTime: Number(b.readBigUInt64BE(at + 4)), key: Buffer.from(b.subarray(at + 12, at + ENTRY)) });
  }
  const k: StoredKeyring = { current: b.readUInt32BE(4), entries, adoptLegacyDirectory: (flags & FLAG_ADOPT_DIRECTORY) !== 0 };
  try {
    assertKeyring(k);
  } catch (err) {
    throw new KeyringFormatError((err as Error).message);
  }
  return k;
}

/** A first keyring: version 1, plus the legacy root key as version 0 when the store predates keyrings. */
export function newKeyring(nowMs: number, legacyRootKey?: Uint8Array): StoredKeyring {
  const entries: KeyringEntry[] = [];
  if (legacyRootKey) entries.push({ version: LEGACY_VERSION, key: Buffer.from(legacyRootKey), createTime: nowMs });
  entries.push({ version: 1, key: randomBytes(KEYRING_KEY_LENGTH), createTime: nowMs });
  return { current: 1, entries, adoptLegacyDirectory: legacyRootKey !== undefined };
}

/** The keyring with a new current version, one past the highest ever held. */
export function withNewVersion(k: StoredKeyring, nowMs: number): StoredKeyring {
  const next = Math.max(...k.entries.map((e) => e.version)) + 1;
  if (next > MAX_KEYRING_VERSION) throw new Error("keyring: no version numbers left");
  return { ...k, current: next, entries: [...k.entries, { version: next, key: randomBytes(KEYRING_KEY_LENGTH), createTime: nowMs }] };
}

/** The keyring without the versions below `version` (no record is sealed under them any more). */
export function withoutVersionsBelow(k: StoredKeyring, version: number): StoredKeyring {
  return { ...k, entries: k.entries.filter((e) => e.version >= version) };
}

/** Overwrites the key bytes of a keyring no longer needed. */
export function wipeKeyring(k: Keyring): void {
  for (const e of k.entries) e.key.fill(0);
}
