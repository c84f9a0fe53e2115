/**
 * Binding a table file to device fingerprints (DeviceFingerprint.Identity,
 * `^[0-9a-f]{8}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{16}$`).
 *
 * The bound file has flag bit 2 set and this envelope as its body:
 *
 *   offset   size  field
 *   0        16    salt, random per binding
 *   16       2     slot count n (1..200)
 *   18       48·n  slot i: AES-256-GCM(KEKᵢ, IV = 12 zero bytes, AAD = header)
 *                  of the 32-byte content key: 32 bytes ‖ 16-byte tag
 *   18+48n   12    IV
 *   30+48n   m+16  AES-256-GCM(content key, IV, AAD = header) of the
 *                  unbound body (the layout named in the header)
 *
 *   KEKᵢ = HKDF-SHA256(ikm = identityᵢ as ASCII, salt,
 *                      info = "tc-kms white-box fingerprint v1", 32 bytes)
 *
 * "header" is the bound file's 32 header bytes, so algorithm, direction,
 * flags, table id and length are authenticated with the tables. A KEK is
 * used once (fresh salt per binding, one slot per distinct identity), which
 * is why a fixed slot IV is safe. The content key is fresh per binding.
 *
 * What it stops: tables copied off a device, or taken from a backup, a log,
 * an app bundle or the wire, are useless where no bound fingerprint is
 * known; a device removed from the list gets no new table file it can
 * open. What it does not stop: anyone who can read or spoof a bound
 * fingerprint (it is the only secret, and a device's own software computes
 * it), anyone who reads the unwrapped tables from the memory of a bound
 * device (they are ordinary white-box tables from then on), files already
 * delivered before a fingerprint was removed (only a new key revokes them),
 * and every attack on the white-box tables themselves.
 */
import { createCipheriv, hkdfSync } from "node:crypto";
import { decodeTableFile, encodeHeader, encodeTableFile, FLAG_FINGERPRINT_BOUND, HEADER_LENGTH, TableFormatError } from "./format.js";
import type { RandomStream } from "./random-stream.js";
import { createCsprngStream } from "./random-stream.js";

export const FINGERPRINT_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{16}$/;
export const MAX_BOUND_FINGERPRINTS = 200;
const KDF_INFO = "tc-kms white-box fingerprint v1";
const SLOT_BYTES = 48;

function seal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** True for an identity of the documented DeviceFingerprint pattern. */
export function isDeviceFingerprint(identity: string): boolean {
  return FINGERPRINT_PATTERN.test(identity);
}

/**
 * The table file wrapped for the given devices: only a client that knows one
 * of `identities` opens it. Duplicates are bound once. Refuses an empty list
 * (an unbound file is the file itself), more than 200 identities, an identity
 * off the pattern, and a file that is already bound.
 */
export function bindToFingerprints(file: Uint8Array, identities: readonly string[], random: RandomStream = createCsprngStream()): Uint8Array {
  const distinct = [...new Set(identities)];
  if (distinct.length === 0 || distinct.length > MAX_BOUND_FINGERPRINTS)
    throw new RangeError(`bindToFingerprints: between 1 and ${MAX_BOUND_FINGERPRINTS} fingerprints`);
  if (!distinct.every(isDeviceFingerprint)) throw new RangeError("bindToFingerprints: a fingerprint does not match the documented pattern");
  const parsed = decodeTableFile(file);
  if (parsed.flags & FLAG_FINGERPRINT_BOUND) throw new TableFormatError("bindToFingerprints: the file is already bound");

  const bodyLength = 18 + SLOT_BYTES * distinct.length + 12 + parsed.body.length + 16;
  const header = encodeHeader({ ...parsed, flags: parsed.flags | FLAG_FINGERPRINT_BOUND }, bodyLength);
  const salt = random.bytes(16);
  const contentKey = random.bytes(32);
  const iv = random.bytes(12);
  const zeroIv = new Uint8Array(12);
  const body = new Uint8Array(bodyLength);
  body.set(salt, 0);
  body[16] = distinct.length >>> 8;
  body[17] = distinct.length & 0xff;
  distinct.forEach((identity, i) => {
    const kek = new Uint8Array(hkdfSync("sha256", Buffer.from(identity, "ascii"), salt, KDF_INFO, 32));
    body.set(seal(kek, zeroIv, contentKey, header), 18 + SLOT_BYTES * i);
  });
  const tablesAt = 18 + SLOT_BYTES * distinct.length;
  body.set(iv, tablesAt);
  body.set(seal(contentKey, iv, parsed.body, header), tablesAt + 12);
  const out = encodeTableFile({ ...parsed, flags: parsed.flags | FLAG_FINGERPRINT_BOUND }, body);
  if (!Buffer.from(out.subarray(0, HEADER_LENGTH)).equals(header)) throw new Error("bindToFingerprints: header mismatch");
  return out;
}
