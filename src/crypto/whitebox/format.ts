/**
 * White-box table file, format version 1: what CreateWhiteBoxKey returns
 * (base64) as EncryptKey and DecryptKey, and DescribeWhiteBoxDecryptKey as
 * DecryptKey. All integers big-endian.
 *
 *   offset  size  field
 *   0       4     magic "TCWB"
 *   4       1     format version = 0x01
 *   5       1     algorithm: 1 = AES-256, 2 = SM4
 *   6       1     table layout: 1 = Chow et al. 2002 for AES-256
 *                 (aes-chow-layout.ts), Xiao–Lai 2009 for SM4
 *                 (sm4-xiao-lai-layout.ts)
 *   7       1     direction: 1 = encrypt (forward cipher), 2 = decrypt (inverse cipher)
 *   8       1     flags: bit 0 external input encoding, bit 1 external output
 *                 encoding (the tables compute G∘E∘F⁻¹ instead of E; F and G
 *                 are never in the file), bit 2 fingerprint-bound (the body
 *                 is the envelope of fingerprint-binding.ts); other bits 0
 *   9       3     reserved, zero
 *   12      16    table id: random per generation, shared by a key's
 *                 encrypt and decrypt files (tells a device which tables it holds)
 *   28      4     body length n
 *   32      n     body: the layout named at offset 6, or the binding envelope
 *   32+n    32    SHA-256 of bytes 0 .. 32+n
 *
 * The checksum catches corruption and truncation in transit or storage; it
 * is not a signature (anyone who edits the tables can recompute it). The
 * layout is fixed by (algorithm, layout, flags), so a body of the wrong
 * length is refused before any table is read.
 */
import { createHash } from "node:crypto";

export const TABLE_MAGIC = Uint8Array.from([0x54, 0x43, 0x57, 0x42]); // "TCWB"
export const TABLE_FORMAT_V1 = 0x01;
export const HEADER_LENGTH = 32;
export const CHECKSUM_LENGTH = 32;

export const FLAG_EXTERNAL_INPUT = 0x01;
export const FLAG_EXTERNAL_OUTPUT = 0x02;
export const FLAG_FINGERPRINT_BOUND = 0x04;
const KNOWN_FLAGS = FLAG_EXTERNAL_INPUT | FLAG_EXTERNAL_OUTPUT | FLAG_FINGERPRINT_BOUND;

export const ALGORITHM_IDS = { AES_256: 1, SM4: 2 } as const;
export type WhiteBoxAlgorithm = keyof typeof ALGORITHM_IDS;
export const DIRECTION_IDS = { encrypt: 1, decrypt: 2 } as const;
export type Direction = keyof typeof DIRECTION_IDS;
export const LAYOUT_V1 = 1;

export interface TableHeader {
  readonly algorithm: WhiteBoxAlgorithm;
  readonly layout: number;
  readonly direction: Direction;
  readonly flags: number;
  readonly tableId: Uint8Array;
}

export interface TableFile extends TableHeader {
  /** The 32 header bytes as stored (the binding envelope's AAD). */
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

/** Why a table file was refused. */
export class TableFormatError extends Error {
  override readonly name = "TableFormatError";
}

function keyOf<T extends Record<string, number>>(table: T, id: number): keyof T | undefined {
  return (Object.keys(table) as (keyof T)[]).find((k) => table[k] === id);
}

/** The 32-byte header for a body of `bodyLength` bytes. */
export function encodeHeader(h: TableHeader, bodyLength: number): Uint8Array {
  if (h.tableId.length !== 16) throw new RangeError("table file: the table id must be 16 bytes");
  if ((h.flags & ~KNOWN_FLAGS) !== 0) throw new RangeError("table file: unknown flags");
  const out = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(out.buffer);
  out.set(TABLE_MAGIC, 0);
  out[4] = TABLE_FORMAT_V1;
  out[5] = ALGORITHM_IDS[h.algorithm];
  out[6] = h.layout;
  out[7] = DIRECTION_IDS[h.direction];
  out[8] = h.flags;
  out.set(h.tableId, 12);
  view.setUint32(28, bodyLength);
  return out;
}

/** Header, body and checksum as one file. */
export function encodeTableFile(h: TableHeader, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + body.length + CHECKSUM_LENGTH);
  out.set(encodeHeader(h, body.length), 0);
  out.set(body, HEADER_LENGTH);
  out.set(createHash("sha256").update(out.subarray(0, HEADER_LENGTH + body.length)).digest(), HEADER_LENGTH + body.length);
  return out;
}

/** Parses and checks a file: magic, version, known ids and flags, length, then the checksum. */
export function decodeTableFile(file: Uint8Array): TableFile {
  if (file.length < HEADER_LENGTH + CHECKSUM_LENGTH) throw new TableFormatError("table file: too short");
  if (!TABLE_MAGIC.every((b, i) => file[i] === b)) throw new TableFormatError("table file: bad magic");
  if (file[4] !== TABLE_FORMAT_V1) throw new TableFormatError(`table file: unsupported format version ${file[4]}`);
  const view = new DataView(file.buffer, file.byteOffset, file.length);
  const algorithm = keyOf(ALGORITHM_IDS, file[5] as number);
  const direction = keyOf(DIRECTION_IDS, file[7] as number);
  const layout = file[6] as number;
  const flags = file[8] as number;
  if (!algorithm || !direction || layout !== LAYOUT_V1) throw new TableFormatError("table file: unknown algorithm, layout or direction");
  if ((flags & ~KNOWN_FLAGS) !== 0 || file[9] !== 0 || file[10] !== 0 || file[11] !== 0)
    throw new TableFormatError("table file: unknown flags");
  const bodyLength = view.getUint32(28);
  if (file.length !== HEADER_LENGTH + bodyLength + CHECKSUM_LENGTH) throw new TableFormatError("table file: length does not match its header");
  const digest = createHash("sha256").update(file.subarray(0, HEADER_LENGTH + bodyLength)).digest();
  if (!digest.equals(file.subarray(HEADER_LENGTH + bodyLength))) throw new TableFormatError("table file: checksum mismatch");
  return {
    algorithm,
    layout,
    direction,
    flags,
    tableId: file.slice(12, 28),
    header: file.slice(0, HEADER_LENGTH),
    body: file.subarray(HEADER_LENGTH, HEADER_LENGTH + bodyLength),
  };
}
