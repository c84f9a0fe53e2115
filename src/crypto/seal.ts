/**
 * Key material at rest: AES-256-GCM under a version of the keyring.
 *
 *   v1 (legacy) = 0x01 | IV (12) | ciphertext | tag (16)                 AAD = label
 *   v2          = 0x02 | keyring version (uint32 BE) | IV (12) | ct | tag (16)
 *                                                                      AAD = 0x02 | version | label
 *
 * The label names what the material belongs to (key id and version, access
 * key, audit key...), so a sealed record copied elsewhere fails to unseal.
 * v2 names the keyring version that sealed it, so the keyring can rotate
 * while old records stay readable; the header is in the AAD, so editing the
 * version is caught like any other tamper. v1 records were sealed directly
 * under the old single root key: a keyring reads them as its version 0.
 *
 * A keyring is a set of 256-bit sealing keys, one of them current (it seals
 * everything new). The keyring itself is stored wrapped by the root of trust
 * (src/trust/); this module only seals and unseals with it.
 */
import { aes256Gcm } from "./aes-256-gcm.js";
import { AeadOpenError, type Aead } from "./primitives.js";
import { randomBytes } from "./random.js";

const SEAL_V1 = 0x01;
const SEAL_V2 = 0x02;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const V2_HEADER = 5;
/** The legacy root key's place in a keyring. */
export const LEGACY_VERSION = 0;
/** Largest keyring version a v2 header can name. */
export const MAX_KEYRING_VERSION = 0xffff_ffff;
export const KEYRING_KEY_LENGTH = 32;

/** A sealed record did not unseal: wrong root key or corrupted storage. */
export class UnsealError extends Error {
  override readonly name = "UnsealError";
}

export interface RootKey {
  seal(plaintext: Uint8Array, label: string): Uint8Array;
  unseal(sealed: Uint8Array, label: string): Uint8Array;
}

/** The legacy single root key: seals and unseals v1 records only. Kept for tools and tests that build deps by hand. */
export function createRootKey(key: Uint8Array): RootKey {
  const aead = aes256Gcm.aead(key);
  return {
    seal(plaintext, label) {
      const iv = randomBytes(IV_LENGTH);
      return Buffer.concat([Buffer.of(SEAL_V1), iv, aead.seal(iv, plaintext, Buffer.from(label, "utf8"))]);
    },
    unseal(sealed, label) {
      if (sealed.length < 1 + IV_LENGTH + TAG_LENGTH || sealed[0] !== SEAL_V1) throw new UnsealError(`sealed record "${label}" is malformed`);
      return openOrThrow(aead, sealed.subarray(1, 1 + IV_LENGTH), sealed.subarray(1 + IV_LENGTH), Buffer.from(label, "utf8"), label);
    },
  };
}

/** One version of the keyring. */
export interface KeyringEntry {
  version: number;
  /** 32 bytes. */
  key: Uint8Array;
  /** ms since epoch. */
  createTime: number;
}

/** The keyring in memory: every version still readable, and the one that seals. */
export interface Keyring {
  current: number;
  entries: readonly KeyringEntry[];
}

/**
 * A RootKey over a keyring: seals under the current version (v2), unseals
 * v2 under the version it names and v1 under version 0. `install` swaps in
 * a rotated keyring; everyone holding this object seals under the new
 * current version from then on.
 */
export interface KeyringRootKey extends RootKey {
  readonly current: number;
  /** The versions it can unseal, ascending. */
  versions(): number[];
  /** Replaces the keyring (after it is stored). The caller keeps no copy of the old key bytes. */
  install(keyring: Keyring): void;
}

function openOrThrow(aead: Aead, iv: Uint8Array, sealedBody: Uint8Array, aad: Uint8Array, label: string): Uint8Array {
  try {
    return aead.open(iv, sealedBody, aad);
  } catch (err) {
    if (err instanceof AeadOpenError) throw new UnsealError(`sealed record "${label}" failed its integrity check`);
    throw err;
  }
}

/** The keyring version a sealed record names: 0 for v1, the header's for v2. Throws UnsealError when the blob is malformed. */
export function sealedVersion(sealed: Uint8Array): number {
  if (sealed.length >= 1 + IV_LENGTH + TAG_LENGTH && sealed[0] === SEAL_V1) return LEGACY_VERSION;
  if (sealed.length >= V2_HEADER + IV_LENGTH + TAG_LENGTH && sealed[0] === SEAL_V2) return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length).readUInt32BE(1);
  throw new UnsealError("sealed record is malformed");
}

export function assertKeyring(keyring: Keyring): void {
  const seen = new Set<number>();
  for (const e of keyring.entries) {
    if (!Number.isInteger(e.version) || e.version < 0 || e.version > MAX_KEYRING_VERSION) throw new Error(`keyring: version ${e.version} is out of range`);
    if (e.key.length !== KEYRING_KEY_LENGTH) throw new Error(`keyring: version ${e.version} is not a 256-bit key`);
    if (seen.has(e.version)) throw new Error(`keyring: version ${e.version} appears twice`);
    seen.add(e.version);
  }
  // Version 0 is the legacy root key: it unseals old records but never seals new ones.
  if (keyring.current < 1 || !seen.has(keyring.current)) throw new Error(`keyring: current version ${keyring.current} is not a sealing version`);
}

export function createKeyringRootKey(initial: Keyring): KeyringRootKey {
  let aeads = new Map<number, Aead>();
  let current = 0;
  let header = Buffer.alloc(V2_HEADER);
  const install = (keyring: Keyring) => {
    assertKeyring(keyring);
    aeads = new Map(keyring.entries.map((e) => [e.version, aes256Gcm.aead(e.key)]));
    current = keyring.current;
    header = Buffer.alloc(V2_HEADER);
    header[0] = SEAL_V2;
    header.writeUInt32BE(current, 1);
  };
  install(initial);
  return {
    get current() {
      return current;
    },
    versions: () => [...aeads.keys()].sort((a, b) => a - b),
    install,
    seal(plaintext, label) {
      const aead = aeads.get(current) as Aead;
      const iv = randomBytes(IV_LENGTH);
      const aad = Buffer.concat([header, Buffer.from(label, "utf8")]);
      return Buffer.concat([header, iv, aead.seal(iv, plaintext, aad)]);
    },
    unseal(sealed, label) {
      let version: number;
      try {
        version = sealedVersion(sealed);
      } catch {
        throw new UnsealError(`sealed record "${label}" is malformed`);
      }
      const aead = aeads.get(version);
      if (!aead) throw new UnsealError(`sealed record "${label}" names keyring version ${version}, which this keyring does not hold`);
      if (version === LEGACY_VERSION && sealed[0] === SEAL_V1)
        return openOrThrow(aead, sealed.subarray(1, 1 + IV_LENGTH), sealed.subarray(1 + IV_LENGTH), Buffer.from(label, "utf8"), label);
      const head = sealed.subarray(0, V2_HEADER);
      return openOrThrow(aead, sealed.subarray(V2_HEADER, V2_HEADER + IV_LENGTH), sealed.subarray(V2_HEADER + IV_LENGTH), Buffer.concat([head, Buffer.from(label, "utf8")]), label);
    },
  };
}

/**
 * Label binding a key version's material to its place: the key and version,
 * and (for material sealed since keys had accounts) the key's account and
 * region, so a key record moved to another account or region by someone who
 * can write the store no longer unseals.
 */
export function materialLabel(keyId: string, version: number, scope?: { account: string; region: string }): string {
  return scope ? `kms/v1/material/${keyId}/${version}@${scope.account}/${scope.region}` : `kms/v1/material/${keyId}/${version}`;
}
