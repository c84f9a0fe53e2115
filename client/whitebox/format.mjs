// @ts-check
/**
 * Reads a white-box table file (format version 1; the format is documented
 * in src/crypto/whitebox/format.ts of tc-kms). This client depends on
 * nothing but node built-ins, so it can ship to a device on its own.
 */
import { createHash } from "node:crypto";

const MAGIC = [0x54, 0x43, 0x57, 0x42]; // "TCWB"
export const HEADER_LENGTH = 32;
const CHECKSUM_LENGTH = 32;
export const FLAG_EXTERNAL_INPUT = 0x01;
export const FLAG_EXTERNAL_OUTPUT = 0x02;
export const FLAG_FINGERPRINT_BOUND = 0x04;
const KNOWN_FLAGS = 0x07;

/** @typedef {"AES_256" | "SM4"} Algorithm */
/** @typedef {"encrypt" | "decrypt"} Direction */
/**
 * @typedef {object} TableFile
 * @property {Algorithm} algorithm
 * @property {Direction} direction
 * @property {number} flags
 * @property {Uint8Array} tableId
 * @property {Uint8Array} header  the 32 header bytes as stored
 * @property {Uint8Array} body
 */

/** @type {Record<number, Algorithm>} */
const ALGORITHMS = { 1: "AES_256", 2: "SM4" };
/** @type {Record<number, Direction>} */
const DIRECTIONS = { 1: "encrypt", 2: "decrypt" };

/** A table file that cannot be used: corrupt, tampered, truncated, or not for this device. */
export class TableFileError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "TableFileError";
  }
}

/**
 * Accepts the file as bytes, or as the base64 text the KMS returns
 * (whitespace ignored, so a wrapped .b64 file reads as is).
 * @param {Uint8Array | string} input
 * @returns {Uint8Array}
 */
export function tableBytes(input) {
  if (typeof input !== "string") return input;
  const text = input.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new TableFileError("tables: not base64");
  return new Uint8Array(Buffer.from(text, "base64"));
}

/**
 * Checks magic, version, ids, flags, length and the SHA-256 checksum.
 * @param {Uint8Array} file
 * @returns {TableFile}
 */
export function parseTableFile(file) {
  if (file.length < HEADER_LENGTH + CHECKSUM_LENGTH) throw new TableFileError("tables: file too short");
  if (!MAGIC.every((b, i) => file[i] === b)) throw new TableFileError("tables: not a white-box table file (bad magic)");
  if (file[4] !== 1) throw new TableFileError(`tables: unsupported format version ${file[4]}`);
  const view = new DataView(file.buffer, file.byteOffset, file.length);
  const algorithm = ALGORITHMS[/** @type {number} */ (file[5])];
  const direction = DIRECTIONS[/** @type {number} */ (file[7])];
  const flags = /** @type {number} */ (file[8]);
  if (!algorithm || !direction || file[6] !== 1) throw new TableFileError("tables: unknown algorithm, layout or direction");
  if ((flags & ~KNOWN_FLAGS) !== 0 || file[9] !== 0 || file[10] !== 0 || file[11] !== 0) throw new TableFileError("tables: unknown flags");
  const bodyLength = view.getUint32(28);
  if (file.length !== HEADER_LENGTH + bodyLength + CHECKSUM_LENGTH) throw new TableFileError("tables: file length does not match its header");
  const digest = createHash("sha256").update(file.subarray(0, HEADER_LENGTH + bodyLength)).digest();
  const stored = file.subarray(HEADER_LENGTH + bodyLength);
  let diff = 0;
  for (let i = 0; i < CHECKSUM_LENGTH; i++) diff |= /** @type {number} */ (digest[i]) ^ /** @type {number} */ (stored[i]);
  if (diff !== 0) throw new TableFileError("tables: checksum mismatch (corrupt or modified file)");
  return {
    algorithm,
    direction,
    flags,
    tableId: file.slice(12, 28),
    header: file.slice(0, HEADER_LENGTH),
    body: file.subarray(HEADER_LENGTH, HEADER_LENGTH + bodyLength),
  };
}
