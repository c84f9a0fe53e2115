// @ts-check
/**
 * The white-box device client: opens a table file (EncryptKey or DecryptKey
 * from tc-kms, base64 or bytes), checks it, unwraps it for this device's
 * fingerprint when it is bound, and runs the cipher with table lookups only.
 *
 *   import { openTables, decryptCbc } from "./client/whitebox/index.mjs";
 *   const tables = openTables(decryptKeyBase64, { fingerprint });
 *   const plaintext = decryptCbc(tables, iv, ciphertext);
 *
 * Depends on node built-ins only (node:crypto for SHA-256, HKDF and the
 * AES-GCM of the fingerprint envelope; never for the white-box cipher).
 */
import { loadAesTables } from "./aes-chow.mjs";
import { FLAG_EXTERNAL_INPUT, FLAG_EXTERNAL_OUTPUT, parseTableFile, tableBytes } from "./format.mjs";
import { unbind } from "./fingerprint.mjs";
import { loadSm4Tables } from "./sm4-xiao-lai.mjs";

export { decryptCbc, encryptCbc, PaddingError } from "./cbc.mjs";
export { TableFileError } from "./format.mjs";
export { FINGERPRINT_PATTERN } from "./fingerprint.mjs";

/**
 * @typedef {object} WhiteBoxTables
 * @property {"AES_256" | "SM4"} algorithm
 * @property {"encrypt" | "decrypt"} direction
 * @property {string} tableId  hex
 * @property {boolean} externalInput
 * @property {boolean} externalOutput
 * @property {(input: Uint8Array, inOff: number, output: Uint8Array, outOff: number) => void} transform
 *   one 16-byte block through the tables
 */

/**
 * @param {Uint8Array | string} file  the table file, as bytes or base64
 * @param {{ fingerprint?: string }} [options]  this device's fingerprint, for bound tables
 * @returns {WhiteBoxTables}
 */
export function openTables(file, options = {}) {
  const parsed = unbind(parseTableFile(tableBytes(file)), options.fingerprint);
  const cipher =
    parsed.algorithm === "AES_256" ? loadAesTables(parsed.body, parsed.direction, parsed.flags) : loadSm4Tables(parsed.body, parsed.flags);
  return {
    algorithm: parsed.algorithm,
    direction: parsed.direction,
    tableId: Buffer.from(parsed.tableId).toString("hex"),
    externalInput: (parsed.flags & FLAG_EXTERNAL_INPUT) !== 0,
    externalOutput: (parsed.flags & FLAG_EXTERNAL_OUTPUT) !== 0,
    transform: cipher.transform,
  };
}
