// @ts-check
/**
 * Opens tables bound to device fingerprints (flag bit 2; the envelope is
 * documented in src/crypto/whitebox/fingerprint-binding.ts of tc-kms): the
 * device derives a key from its own fingerprint and unwraps the table body.
 */
import { createDecipheriv, hkdfSync } from "node:crypto";
import { FLAG_FINGERPRINT_BOUND, TableFileError } from "./format.mjs";

/** The fingerprint identity pattern Tencent documents for DeviceFingerprint.Identity. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{16}$/;
const KDF_INFO = "tc-kms white-box fingerprint v1";
const SLOT_BYTES = 48;
const ZERO_IV = new Uint8Array(12);

/**
 * AES-256-GCM open; undefined when the tag does not verify.
 * @param {Uint8Array} key @param {Uint8Array} iv @param {Uint8Array} sealed @param {Uint8Array} aad
 * @returns {Uint8Array | undefined}
 */
function open(key, iv, sealed, aad) {
  if (sealed.length < 16) return undefined;
  const d = createDecipheriv("aes-256-gcm", key, iv);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
  } catch {
    return undefined;
  }
}

/**
 * The table body inside a bound file, for the device whose fingerprint is
 * `identity`; a file that is not bound is returned unchanged.
 * @param {import("./format.mjs").TableFile} file
 * @param {string | undefined} identity
 * @returns {import("./format.mjs").TableFile}
 */
export function unbind(file, identity) {
  if ((file.flags & FLAG_FINGERPRINT_BOUND) === 0) return file;
  if (identity === undefined) throw new TableFileError("tables: bound to device fingerprints; give this device's fingerprint");
  if (!FINGERPRINT_PATTERN.test(identity)) throw new TableFileError("tables: the fingerprint does not match the documented pattern");
  const body = file.body;
  if (body.length < 18) throw new TableFileError("tables: binding envelope truncated");
  const salt = body.subarray(0, 16);
  const slots = (/** @type {number} */ (body[16]) << 8) | /** @type {number} */ (body[17]);
  const tablesAt = 18 + SLOT_BYTES * slots;
  if (slots < 1 || body.length < tablesAt + 12 + 16) throw new TableFileError("tables: binding envelope truncated");
  const kek = new Uint8Array(hkdfSync("sha256", Buffer.from(identity, "ascii"), salt, KDF_INFO, 32));
  let contentKey;
  for (let i = 0; i < slots && !contentKey; i++) {
    contentKey = open(kek, ZERO_IV, body.subarray(18 + SLOT_BYTES * i, 18 + SLOT_BYTES * (i + 1)), file.header);
  }
  if (!contentKey) throw new TableFileError("tables: not bound to this device's fingerprint");
  const inner = open(contentKey, body.subarray(tablesAt, tablesAt + 12), body.subarray(tablesAt + 12), file.header);
  if (!inner) throw new TableFileError("tables: binding envelope does not verify");
  return { ...file, flags: file.flags & ~FLAG_FINGERPRINT_BOUND, body: inner };
}
