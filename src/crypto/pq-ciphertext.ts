/**
 * Post-quantum ciphertext blob (PostQuantumCryptoEncrypt), format 2:
 *
 *   offset  size  field
 *   0       1     format = 0x02
 *   1       1     algorithm = 0x03 (ML-KEM-768 + HKDF-SHA256 + AES-256-GCM)
 *   2       16    key id (the UUID's 16 bytes)
 *   18      4     key version (uint32, big-endian)
 *   22      ...   the ML-KEM hybrid blob (asymmetric/ml-kem.ts: version,
 *                 KEM ciphertext 1088, IV 12, ciphertext, tag 16)
 *
 * Bytes 0..21 are the AAD of the inner AES-GCM, so the header cannot be edited.
 */
import { invalidCiphertext, isUuid } from "./ciphertext.js";
import { ML_KEM_HYBRID_OVERHEAD } from "./asymmetric/ml-kem.js";

export const PQ_FORMAT = 0x02;
export const PQ_ML_KEM_768 = 0x03;
export const PQ_HEADER_LENGTH = 22;

export function encodePqHeader(keyId: string, keyVersion: number): Uint8Array {
  if (!isUuid(keyId)) throw new Error(`pq-ciphertext: key id ${keyId} is not a UUID`);
  const h = Buffer.alloc(PQ_HEADER_LENGTH);
  h[0] = PQ_FORMAT;
  h[1] = PQ_ML_KEM_768;
  h.set(Buffer.from(keyId.replace(/-/g, ""), "hex"), 2);
  h.writeUInt32BE(keyVersion, 18);
  return h;
}

export interface ParsedPqBlob {
  keyId: string;
  keyVersion: number;
  header: Uint8Array;
  inner: Uint8Array;
}

/** Reads the header; every malformation is the one InvalidCiphertext error. */
export function parsePqBlob(blob: Uint8Array): ParsedPqBlob {
  if (blob.length < PQ_HEADER_LENGTH + ML_KEM_HYBRID_OVERHEAD || blob[0] !== PQ_FORMAT || blob[1] !== PQ_ML_KEM_768) throw invalidCiphertext();
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const keyVersion = b.readUInt32BE(18);
  if (keyVersion === 0) throw invalidCiphertext();
  const h = b.subarray(2, 18).toString("hex");
  return {
    keyId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    keyVersion,
    header: blob.subarray(0, PQ_HEADER_LENGTH),
    inner: blob.subarray(PQ_HEADER_LENGTH),
  };
}
