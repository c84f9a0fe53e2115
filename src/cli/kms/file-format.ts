/**
 * The file format of `kms encrypt`, version 1: envelope encryption under a
 * data key of the KMS, in authenticated chunks, so files and streams of any
 * size encrypt and decrypt in constant memory. All integers are big-endian.
 *
 *   file     = header || chunk_0 || chunk_1 || ... || chunk_n            (n >= 0)
 *
 *   header   = magic         4   "KMSE"
 *            | version       1   0x01
 *            | suite         1   0x01: AES-256-GCM, 16-byte tags
 *            | chunk size    4   plaintext bytes per chunk, 1 KiB to 4 MiB (written: 65536)
 *            | nonce prefix  8   random, fresh per file
 *            | key length    2   length of the wrapped key, 1 to 4096
 *            | wrapped key   *   the CiphertextBlob of GenerateDataKey (KeySpec AES_256)
 *
 *   chunk_i  = AES-256-GCM(data key, nonce_i, plaintext_i, aad_i)   = ciphertext_i || tag_i
 *   nonce_i  = nonce prefix || i                                      (8 + 4 bytes)
 *   aad_i    = header || i (4 bytes) || final (1 byte: 0x01 for chunk_n, 0x00 before)
 *
 * Every plaintext_i but the last holds exactly `chunk size` bytes; the last
 * holds 0 to `chunk size` (an empty file is the header and one 16-byte tag).
 * So a reader knows a chunk is the last only when the data ends after it,
 * and the final flag in the AAD makes that checkable: a file cut at a chunk
 * boundary ends in a chunk sealed as not final, and fails. The index in the
 * nonce and the AAD catches reordered chunks; the whole header in every AAD
 * catches a changed header or a chunk moved between files.
 *
 * The data key is bound to the header as well: GenerateDataKey (and Decrypt
 * when reading) get as EncryptionContext the caller's context plus the member
 * "kms-file": hex of the header's first 18 bytes (magic to nonce prefix). A
 * wrapped key lifted into another file's header, or a header whose version,
 * suite, chunk size or nonce prefix was changed, no longer decrypts at the KMS.
 * The caller's context is not stored: decrypting needs it again, as the API's
 * Decrypt does.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { UsageError, VerificationError } from "./errors.js";

export const MAGIC = Buffer.from("KMSE", "latin1");
export const FORMAT_VERSION = 1;
export const SUITE_AES_256_GCM = 1;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
export const NONCE_PREFIX_LENGTH = 8;
export const TAG_LENGTH = 16;
export const DATA_KEY_LENGTH = 32;
export const MAX_WRAPPED_KEY_LENGTH = 4096;
/** Bytes of the header before the wrapped key. */
export const FIXED_HEADER_LENGTH = 4 + 1 + 1 + 4 + NONCE_PREFIX_LENGTH + 2;
/** Bytes of the header the data key's context commits to (magic to nonce prefix). */
export const BOUND_HEADER_LENGTH = FIXED_HEADER_LENGTH - 2;
/** The context member that binds the data key to the header. */
export const CONTEXT_MEMBER = "kms-file";
/** The most chunks a nonce counter of 4 bytes can number. */
export const MAX_CHUNKS = 0x1_0000_0000;

export interface FileHeader {
  chunkSize: number;
  noncePrefix: Buffer;
  wrappedKey: Buffer;
  /** The encoded header, as written and as bound in every chunk's AAD. */
  bytes: Buffer;
}

/** The header's first 18 bytes: everything the data key is bound to. */
export function boundHeader(chunkSize: number, noncePrefix: Uint8Array): Buffer {
  if (noncePrefix.length !== NONCE_PREFIX_LENGTH) throw new Error(`nonce prefix must be ${NONCE_PREFIX_LENGTH} bytes`);
  const out = Buffer.alloc(BOUND_HEADER_LENGTH);
  MAGIC.copy(out, 0);
  out[4] = FORMAT_VERSION;
  out[5] = SUITE_AES_256_GCM;
  out.writeUInt32BE(chunkSize, 6);
  Buffer.from(noncePrefix).copy(out, 10);
  return out;
}

/**
 * The EncryptionContext sent with the data key: the caller's JSON object (or
 * none) plus CONTEXT_MEMBER. The caller may not use that member.
 */
export function fileContext(callerContext: string, bound: Uint8Array): string {
  let members: Record<string, unknown> = {};
  if (callerContext !== "") {
    const parsed: unknown = JSON.parse(callerContext);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new UsageError("--context must be a JSON object");
    members = parsed as Record<string, unknown>;
  }
  if (Object.prototype.hasOwnProperty.call(members, CONTEXT_MEMBER)) throw new UsageError(`--context must not use the member "${CONTEXT_MEMBER}": kms encrypt binds the file's header there`);
  return JSON.stringify({ ...members, [CONTEXT_MEMBER]: Buffer.from(bound).toString("hex") });
}

export function encodeHeader(chunkSize: number, noncePrefix: Uint8Array, wrappedKey: Uint8Array): FileHeader {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new Error(`chunk size must be ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
  if (wrappedKey.length < 1 || wrappedKey.length > MAX_WRAPPED_KEY_LENGTH) throw new Error(`wrapped key must be 1 to ${MAX_WRAPPED_KEY_LENGTH} bytes`);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(wrappedKey.length, 0);
  const bytes = Buffer.concat([boundHeader(chunkSize, noncePrefix), length, wrappedKey]);
  return { chunkSize, noncePrefix: Buffer.from(noncePrefix), wrappedKey: Buffer.from(wrappedKey), bytes };
}

export interface FixedHeader {
  chunkSize: number;
  noncePrefix: Buffer;
  wrappedKeyLength: number;
}

/** Checks the header's fixed part; anything else is not a file this version can read. */
export function parseFixedHeader(fixed: Buffer): FixedHeader {
  if (fixed.length < FIXED_HEADER_LENGTH || !fixed.subarray(0, 4).equals(MAGIC)) throw new VerificationError("not a kms-encrypted file (no KMSE header)");
  if (fixed[4] !== FORMAT_VERSION) throw new VerificationError(`unsupported format version ${fixed[4]} (this kms reads version ${FORMAT_VERSION})`);
  if (fixed[5] !== SUITE_AES_256_GCM) throw new VerificationError(`unsupported cipher suite ${fixed[5]}`);
  const chunkSize = fixed.readUInt32BE(6);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new VerificationError(`chunk size ${chunkSize} is out of range (${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE})`);
  const wrappedKeyLength = fixed.readUInt16BE(18);
  if (wrappedKeyLength < 1 || wrappedKeyLength > MAX_WRAPPED_KEY_LENGTH) throw new VerificationError(`wrapped key length ${wrappedKeyLength} is out of range`);
  return { chunkSize, noncePrefix: Buffer.from(fixed.subarray(10, 18)), wrappedKeyLength };
}

function nonceOf(noncePrefix: Buffer, index: number): Buffer {
  const nonce = Buffer.allocUnsafe(NONCE_PREFIX_LENGTH + 4);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
  return nonce;
}

function aadOf(header: Buffer, index: number, final: boolean): Buffer {
  const tail = Buffer.allocUnsafe(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = final ? 1 : 0;
  return Buffer.concat([header, tail]);
}

function assertIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CHUNKS) throw new VerificationError(`too many chunks: at most ${MAX_CHUNKS} per file`);
}

/** Seals chunk `index` as its two parts, ciphertext and tag (written one after the other, not copied together). */
export function sealChunkParts(key: Uint8Array, header: FileHeader, index: number, final: boolean, plaintext: Uint8Array): [Buffer, Buffer] {
  assertIndex(index);
  const cipher = createCipheriv("aes-256-gcm", key, nonceOf(header.noncePrefix, index), { authTagLength: TAG_LENGTH });
  cipher.setAAD(aadOf(header.bytes, index, final));
  const body = cipher.update(plaintext);
  const last = cipher.final(); // GCM is a stream mode: always empty
  return [last.length === 0 ? body : Buffer.concat([body, last]), cipher.getAuthTag()];
}

/** Seals chunk `index`: ciphertext || tag. */
export function sealChunk(key: Uint8Array, header: FileHeader, index: number, final: boolean, plaintext: Uint8Array): Buffer {
  return Buffer.concat(sealChunkParts(key, header, index, final, plaintext));
}

/** Opens chunk `index`; any mismatch (content, position, finality, header, key) is one VerificationError. */
export function openChunk(key: Uint8Array, header: FileHeader, index: number, final: boolean, sealed: Buffer): Buffer {
  assertIndex(index);
  if (sealed.length < TAG_LENGTH || sealed.length > header.chunkSize + TAG_LENGTH) throw chunkFailure(index);
  const decipher = createDecipheriv("aes-256-gcm", key, nonceOf(header.noncePrefix, index), { authTagLength: TAG_LENGTH });
  decipher.setAAD(aadOf(header.bytes, index, final));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    const last = decipher.final();
    return last.length === 0 ? body : Buffer.concat([body, last]);
  } catch {
    body.fill(0);
    throw chunkFailure(index);
  }
}

function chunkFailure(index: number): VerificationError {
  return new VerificationError(`chunk ${index} does not authenticate: the file is corrupt, truncated, reordered or altered`);
}
