/**
 * White-box keys' crypto engine: table generation (AES-256 after Chow et al.
 * 2002, SM4 after Xiao–Lai 2009), the versioned table file, binding to
 * device fingerprints, and the server-side CBC encryption. The device side
 * is client/whitebox.
 */
export { encryptWhiteBoxCbc, WHITE_BOX_IV_LENGTH } from "./cbc.js";
export { bindToFingerprints, FINGERPRINT_PATTERN, isDeviceFingerprint, MAX_BOUND_FINGERPRINTS } from "./fingerprint-binding.js";
export {
  decodeTableFile,
  FLAG_EXTERNAL_INPUT,
  FLAG_EXTERNAL_OUTPUT,
  FLAG_FINGERPRINT_BOUND,
  TABLE_FORMAT_V1,
  TableFormatError,
  type Direction,
  type TableFile,
  type WhiteBoxAlgorithm,
} from "./format.js";
export { generateWhiteBoxKey, generateWhiteBoxTables, SelfCheckError, type GenerateOptions, type WhiteBoxTableSet } from "./generate.js";
export type { ExternalEncoding } from "./encodings.js";
export { WHITE_BOX_ALGORITHMS, whiteBoxConstruction, type ExternalEncodings } from "./registry.js";
