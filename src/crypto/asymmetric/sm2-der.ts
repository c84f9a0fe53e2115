/**
 * Minimal strict DER for the SM2 structures:
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *     SEQUENCE { id-ecPublicKey 1.2.840.10045.2.1, sm2 1.2.156.10197.1.301 },
 *     BIT STRING (0 unused bits) 04 || x || y }                          -- 91 bytes
 *   PrivateKeyInfo (PKCS#8 v1, RFC 5208) ::= SEQUENCE {
 *     INTEGER 0, the same AlgorithmIdentifier,
 *     OCTET STRING { ECPrivateKey (RFC 5915) ::= SEQUENCE {
 *       INTEGER 1, OCTET STRING d (32), [1] { BIT STRING 04 || x || y } } } }  -- 138 bytes
 *   Signature (GM/T 0009) ::= SEQUENCE { r INTEGER, s INTEGER }
 *   Ciphertext (GM/T 0009) ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING (32), ciphertext OCTET STRING }
 *
 * The writers produce exactly what OpenSSL 3 writes (`openssl genpkey
 * -algorithm SM2` PKCS#8, `pkeyutl -encrypt`). The readers return null on any
 * deviation from DER: indefinite or non-minimal lengths, non-minimal or
 * negative integers, trailing bytes. The one tolerance: an ECPrivateKey may
 * also carry [0] parameters (only the sm2 OID) and may omit [1].
 */
import { bytesToBigint, SM2_FIELD_BYTES } from "./sm2-math.js";

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_EC_PARAMETERS = 0xa0;
const TAG_EC_PUBLIC_KEY = 0xa1;

// Content octets of id-ecPublicKey (1.2.840.10045.2.1) and sm2 (1.2.156.10197.1.301).
const OID_EC_PUBLIC_KEY = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const OID_SM2 = Uint8Array.of(0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d);

const POINT_LENGTH = 1 + 2 * SM2_FIELD_BYTES;

/** A parsed TLV: its content and the offset just past it. */
interface Tlv {
  content: Uint8Array;
  end: number;
}

/** One DER tag-length-value. */
export function derTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, c) => sum + c.length, 0);
  const lengthOctets = derLength(length);
  const out = new Uint8Array(1 + lengthOctets.length + length);
  out[0] = tag;
  out.set(lengthOctets, 1);
  let at = 1 + lengthOctets.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Short form below 128, else the minimal long form. */
function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** A non-negative INTEGER, minimally encoded (a 0x00 prefix only when the top bit is set). */
export function derUnsignedInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError("negative INTEGER");
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (/^[89a-f]/.test(hex)) hex = `00${hex}`;
  return derTlv(TAG_INTEGER, Buffer.from(hex, "hex"));
}

/** The TLV with tag `tag` at `offset`, or null on any deviation from strict DER. */
export function readTlv(input: Uint8Array, offset: number, tag: number): Tlv | null {
  if (input[offset] !== tag) return null;
  const first = input[offset + 1];
  if (first === undefined) return null;
  let length = first;
  let at = offset + 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite form; four octets are far beyond anything SM2 needs.
    if (count === 0 || count > 4) return null;
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = input[at + i];
      if (b === undefined || (i === 0 && b === 0)) return null; // truncated, or a non-minimal leading zero
      length = length * 256 + b;
    }
    if (length < 0x80) return null; // should have used the short form
    at += count;
  }
  const end = at + length;
  return end > input.length ? null : { content: input.subarray(at, end), end };
}

/** The value of a strict-DER non-negative INTEGER's content octets, or null. */
export function readUnsignedInteger(content: Uint8Array): bigint | null {
  const first = content[0];
  if (first === undefined || first >= 0x80) return null; // empty, or negative
  if (first === 0 && content.length > 1 && (content[1] ?? 0) < 0x80) return null; // superfluous 0x00
  return bytesToBigint(content);
}

/** Reads an INTEGER TLV at `offset` as a non-negative bigint. */
function readIntegerAt(input: Uint8Array, offset: number): { value: bigint; end: number } | null {
  const tlv = readTlv(input, offset, TAG_INTEGER);
  if (tlv === null) return null;
  const value = readUnsignedInteger(tlv.content);
  return value === null ? null : { value, end: tlv.end };
}

/** The whole input as one SEQUENCE's content, or null if anything follows it. */
function readWholeSequence(input: Uint8Array): Uint8Array | null {
  const tlv = readTlv(input, 0, TAG_SEQUENCE);
  return tlv !== null && tlv.end === input.length ? tlv.content : null;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const ALGORITHM_IDENTIFIER = derTlv(TAG_SEQUENCE, derTlv(TAG_OID, OID_EC_PUBLIC_KEY), derTlv(TAG_OID, OID_SM2));

/** Reads the SM2 AlgorithmIdentifier at `offset`; the offset after it, or null. */
function readAlgorithmIdentifier(input: Uint8Array, offset: number): number | null {
  const tlv = readTlv(input, offset, TAG_SEQUENCE);
  if (tlv === null) return null;
  const type = readTlv(tlv.content, 0, TAG_OID);
  if (type === null || !bytesEqual(type.content, OID_EC_PUBLIC_KEY)) return null;
  const curve = readTlv(tlv.content, type.end, TAG_OID);
  if (curve === null || curve.end !== tlv.content.length || !bytesEqual(curve.content, OID_SM2)) return null;
  return tlv.end;
}

/** A BIT STRING holding an uncompressed point, as the 65 point bytes, or null. */
function readPointBitString(tlv: Tlv | null): Uint8Array | null {
  if (tlv === null || tlv.content.length !== 1 + POINT_LENGTH || tlv.content[0] !== 0) return null;
  return tlv.content.subarray(1);
}

/** DER SPKI for an uncompressed point (65 bytes). */
export function encodeSm2Spki(point: Uint8Array): Uint8Array {
  return derTlv(TAG_SEQUENCE, ALGORITHM_IDENTIFIER, derTlv(TAG_BIT_STRING, Uint8Array.of(0), point));
}

/** The 65-byte uncompressed point of an SM2 SPKI, or null. Compressed points are not accepted. */
export function decodeSm2Spki(spki: Uint8Array): Uint8Array | null {
  const body = readWholeSequence(spki);
  if (body === null) return null;
  const afterAlgorithm = readAlgorithmIdentifier(body, 0);
  if (afterAlgorithm === null) return null;
  const bitString = readTlv(body, afterAlgorithm, TAG_BIT_STRING);
  return bitString !== null && bitString.end === body.length ? readPointBitString(bitString) : null;
}

/** PKCS#8 DER in OpenSSL 3's layout: 32-byte d and the public point, no [0] parameters inside. */
export function encodeSm2Pkcs8(d: Uint8Array, point: Uint8Array): Uint8Array {
  const ecPrivateKey = derTlv(
    TAG_SEQUENCE,
    derTlv(TAG_INTEGER, Uint8Array.of(1)),
    derTlv(TAG_OCTET_STRING, d),
    derTlv(TAG_EC_PUBLIC_KEY, derTlv(TAG_BIT_STRING, Uint8Array.of(0), point)),
  );
  return derTlv(TAG_SEQUENCE, derTlv(TAG_INTEGER, Uint8Array.of(0)), ALGORITHM_IDENTIFIER, derTlv(TAG_OCTET_STRING, ecPrivateKey));
}

/** d (32 bytes) and the embedded public point (65 bytes, if present) of SM2 PKCS#8, or null. */
export function decodeSm2Pkcs8(pkcs8: Uint8Array): { d: Uint8Array; point: Uint8Array | null } | null {
  const body = readWholeSequence(pkcs8);
  if (body === null) return null;
  const version = readTlv(body, 0, TAG_INTEGER);
  if (version === null || !bytesEqual(version.content, Uint8Array.of(0))) return null;
  const afterAlgorithm = readAlgorithmIdentifier(body, version.end);
  if (afterAlgorithm === null) return null;
  // PKCS#8 attributes ([0]) would follow the OCTET STRING: none are accepted.
  const wrapped = readTlv(body, afterAlgorithm, TAG_OCTET_STRING);
  if (wrapped === null || wrapped.end !== body.length) return null;
  return decodeEcPrivateKey(wrapped.content);
}

/** RFC 5915 ECPrivateKey, strictly: version 1, a 32-byte key, optional [0] sm2, optional [1] point. */
function decodeEcPrivateKey(der: Uint8Array): { d: Uint8Array; point: Uint8Array | null } | null {
  const body = readWholeSequence(der);
  if (body === null) return null;
  const version = readTlv(body, 0, TAG_INTEGER);
  if (version === null || !bytesEqual(version.content, Uint8Array.of(1))) return null;
  const key = readTlv(body, version.end, TAG_OCTET_STRING);
  if (key === null || key.content.length !== SM2_FIELD_BYTES) return null;
  let at = key.end;
  if (body[at] === TAG_EC_PARAMETERS) {
    const parameters = readTlv(body, at, TAG_EC_PARAMETERS);
    const oid = parameters === null ? null : readTlv(parameters.content, 0, TAG_OID);
    if (parameters === null || oid === null || oid.end !== parameters.content.length || !bytesEqual(oid.content, OID_SM2)) return null;
    at = parameters.end;
  }
  let point: Uint8Array | null = null;
  if (body[at] === TAG_EC_PUBLIC_KEY) {
    const wrapper = readTlv(body, at, TAG_EC_PUBLIC_KEY);
    if (wrapper === null) return null;
    const bitString = readTlv(wrapper.content, 0, TAG_BIT_STRING);
    if (bitString === null || bitString.end !== wrapper.content.length) return null;
    point = readPointBitString(bitString);
    if (point === null) return null;
    at = wrapper.end;
  }
  return at === body.length ? { d: key.content, point } : null;
}

/** DER SEQUENCE { r INTEGER, s INTEGER }. */
export function encodeSm2Signature(r: bigint, s: bigint): Uint8Array {
  return derTlv(TAG_SEQUENCE, derUnsignedInteger(r), derUnsignedInteger(s));
}

/** (r, s) of a strict-DER signature, or null. Range checks are the verifier's. */
export function decodeSm2Signature(der: Uint8Array): { r: bigint; s: bigint } | null {
  const body = readWholeSequence(der);
  if (body === null) return null;
  const r = readIntegerAt(body, 0);
  const s = r === null ? null : readIntegerAt(body, r.end);
  return r !== null && s !== null && s.end === body.length ? { r: r.value, s: s.value } : null;
}

/** The parts of a GM/T 0009 SM2 ciphertext. */
export interface Sm2CiphertextParts {
  readonly x: bigint;
  readonly y: bigint;
  readonly hash: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** DER SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }. */
export function encodeSm2CiphertextAsn1(parts: Sm2CiphertextParts): Uint8Array {
  return derTlv(
    TAG_SEQUENCE,
    derUnsignedInteger(parts.x),
    derUnsignedInteger(parts.y),
    derTlv(TAG_OCTET_STRING, parts.hash),
    derTlv(TAG_OCTET_STRING, parts.ciphertext),
  );
}

/** The parts of a strict-DER GM/T 0009 ciphertext (hash exactly 32 bytes), or null. */
export function decodeSm2CiphertextAsn1(der: Uint8Array): Sm2CiphertextParts | null {
  const body = readWholeSequence(der);
  if (body === null) return null;
  const x = readIntegerAt(body, 0);
  const y = x === null ? null : readIntegerAt(body, x.end);
  const hash = y === null ? null : readTlv(body, y.end, TAG_OCTET_STRING);
  const ciphertext = hash === null ? null : readTlv(body, hash.end, TAG_OCTET_STRING);
  if (x === null || y === null || hash === null || ciphertext === null) return null;
  if (ciphertext.end !== body.length || hash.content.length !== 32) return null;
  return { x: x.value, y: y.value, hash: hash.content, ciphertext: ciphertext.content };
}
