/**
 * Ciphertext blob, format version 1. Self-describing, so Decrypt needs no key id:
 *
 *   offset  size  field
 *   0       1     format version = 0x01
 *   1       1     algorithm id (1 = AES-256-GCM, 2 = SM4-GCM)
 *   2       16    key id (the UUID's 16 bytes)
 *   18      4     key version (uint32, big-endian, >= 1)
 *   22      12    IV (random per blob)
 *   34      n     ciphertext
 *   34+n    16    GCM tag
 *
 * AAD = bytes 0..33 (the whole header) || canonical encryption context
 * (context.ts). The header has a fixed length, so the concatenation is
 * unambiguous; editing any header byte or the context fails the tag.
 *
 * Every parse failure answers one fixed InvalidCiphertext error and every tag
 * failure one fixed DecryptError: detail goes to no one, so the answers are
 * not an oracle.
 */
import { KmsError } from "../errors.js";
import { AeadOpenError, type Aead, type SymmetricAlgorithm } from "./primitives.js";
import { symmetricAlgorithmByBlobId } from "./registry.js";
import { uuidText } from "./uuid-text.js";

export const BLOB_FORMAT_V1 = 0x01;
const HEADER_LENGTH = 34;
const IV_OFFSET = 22;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const MAX_KEY_VERSION = 0xffffffff;

/** What a blob says about itself. */
export interface BlobHeader {
  algorithm: SymmetricAlgorithm;
  keyId: string;
  keyVersion: number;
}

export interface ParsedBlob extends BlobHeader {
  header: Uint8Array;
  iv: Uint8Array;
  sealed: Uint8Array;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for the key ids this blob format can carry. */
export function isUuid(id: string): boolean {
  return UUID_RE.test(id);
}

/** Key ids as the 16 bytes a blob carries, parsed once per id (ids are public; the set of keys in use is small). */
const idBytesMemo = new Map<string, Buffer>();
const ID_MEMO_MAX = 4096;

function idBytes(id: string): Buffer {
  let bytes = idBytesMemo.get(id);
  if (bytes === undefined) {
    if (!isUuid(id)) throw new Error(`ciphertext: key id ${id} is not a UUID`);
    bytes = Buffer.from(id.replaceAll("-", ""), "hex");
    if (idBytesMemo.size >= ID_MEMO_MAX) idBytesMemo.clear();
    idBytesMemo.set(id, bytes);
  }
  return bytes;
}

export function invalidCiphertext(): KmsError {
  return new KmsError("InvalidParameterValue.InvalidCiphertext", "CiphertextBlob is not a valid ciphertext");
}

export function decryptFailed(): KmsError {
  return new KmsError("FailedOperation.DecryptError", "decryption failed: the ciphertext or its encryption context does not match");
}

/** Writes the header at the start of `out`: everything but the IV, which the caller writes at IV_OFFSET. */
function writeHeader(out: Buffer, h: BlobHeader): void {
  if (!Number.isInteger(h.keyVersion) || h.keyVersion < 1 || h.keyVersion > MAX_KEY_VERSION)
    throw new RangeError("ciphertext: key version out of range");
  if (h.algorithm.ivLength !== IV_LENGTH || h.algorithm.tagLength !== TAG_LENGTH)
    throw new RangeError("ciphertext: format v1 needs a 12-byte IV and a 16-byte tag");
  out[0] = BLOB_FORMAT_V1;
  out[1] = h.algorithm.blobId;
  out.set(idBytes(h.keyId), 2);
  out.writeUInt32BE(h.keyVersion, 18);
}

function aadOf(header: Uint8Array, context: Uint8Array): Uint8Array {
  return context.length === 0 ? header : Buffer.concat([header, context]);
}

/** Encrypts under one key version; the IV is drawn fresh here. The blob is written into one buffer, header first. */
export function encryptBlob(
  aead: Aead,
  h: BlobHeader,
  plaintext: Uint8Array,
  context: Uint8Array,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const iv = random(IV_LENGTH);
  if (iv.length !== IV_LENGTH) throw new RangeError("ciphertext: format v1 needs a 12-byte IV");
  const out = Buffer.allocUnsafe(HEADER_LENGTH + plaintext.length + TAG_LENGTH);
  writeHeader(out, h);
  out.set(iv, IV_OFFSET);
  const header = out.subarray(0, HEADER_LENGTH);
  const sealed = aead.seal(iv, plaintext, aadOf(header, context));
  if (sealed.length !== plaintext.length + TAG_LENGTH) throw new RangeError("ciphertext: the AEAD returned an unexpected length");
  out.set(sealed, HEADER_LENGTH);
  return out;
}

/** Reads the header; checks lengths and ids before any crypto. */
export function parseBlob(blob: Uint8Array): ParsedBlob {
  const { algorithm, keyId, keyVersion } = readHeader(blob);
  return { algorithm, keyId, keyVersion, header: blob.subarray(0, HEADER_LENGTH), iv: blob.subarray(IV_OFFSET, HEADER_LENGTH), sealed: blob.subarray(HEADER_LENGTH) };
}

/** The key a blob names (its header checked as parseBlob checks it), without the rest of the parse: for audit subjects and policy resources. */
export function blobKeyId(blob: Uint8Array): string {
  return readHeader(blob).keyId;
}

/** The header's fields, or InvalidCiphertext when the blob is too short or names no known algorithm or version. */
function readHeader(blob: Uint8Array): BlobHeader {
  if (blob.length < HEADER_LENGTH + TAG_LENGTH || blob[0] !== BLOB_FORMAT_V1) throw invalidCiphertext();
  const algorithm = symmetricAlgorithmByBlobId(blob[1] as number);
  const keyVersion = (((blob[18] as number) << 24) | ((blob[19] as number) << 16) | ((blob[20] as number) << 8) | (blob[21] as number)) >>> 0;
  if (!algorithm || keyVersion === 0) throw invalidCiphertext();
  return { algorithm, keyId: uuidText(blob, 2), keyVersion };
}

/** Decrypts a parsed blob with the key version it names. */
export function decryptBlob(aead: Aead, blob: ParsedBlob, context: Uint8Array): Uint8Array {
  try {
    return aead.open(blob.iv, blob.sealed, aadOf(blob.header, context));
  } catch (err) {
    if (err instanceof AeadOpenError) throw decryptFailed();
    throw err;
  }
}
