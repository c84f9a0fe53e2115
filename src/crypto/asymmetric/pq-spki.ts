/**
 * Minimal strict DER for the one SubjectPublicKeyInfo shape the post-quantum
 * algorithms use (draft-ietf-lamps-kyber-certificates for ML-KEM,
 * draft-ietf-lamps-dilithium-certificates for ML-DSA):
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *     algorithm        SEQUENCE { algorithm OBJECT IDENTIFIER }  -- parameters ABSENT
 *     subjectPublicKey BIT STRING                                 -- 0 unused bits, the raw key
 *   }
 *
 * Only what these keys need: definite lengths, minimal length encodings,
 * no trailing bytes. Anything else is rejected rather than tolerated, so one
 * key has exactly one accepted encoding.
 */
import { AsymmetricInputError } from "./types.js";

const TAG_SEQUENCE = 0x30;
const TAG_OID = 0x06;
const TAG_BIT_STRING = 0x03;

/** DER length octets (short form below 128, else minimal long form). */
export function encodeDerLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError("bad DER length");
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One tag-length-value. */
export function encodeDerTlv(tag: number, content: Uint8Array): Uint8Array {
  const length = encodeDerLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

/** OBJECT IDENTIFIER content octets for a dotted string such as "2.16.840.1.101.3.4.4.2". */
export function encodeOidContent(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^(0|[1-9][0-9]*)$/.test(arc)) throw new RangeError(`bad OID arc in ${dotted}`);
    return Number(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2 || (first < 2 && second > 39)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    // Base-128, most significant group first, continuation bit on all but the last.
    const groups: number[] = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) groups.unshift(0x80 | n % 128);
    out.push(...groups);
  }
  return Uint8Array.from(out);
}

/** DER SubjectPublicKeyInfo with an OID-only AlgorithmIdentifier and `key` as the BIT STRING. */
export function encodeSpki(oidContent: Uint8Array, key: Uint8Array): Uint8Array {
  const algorithm = encodeDerTlv(TAG_SEQUENCE, encodeDerTlv(TAG_OID, oidContent));
  const bitString = new Uint8Array(1 + key.length);
  bitString.set(key, 1); // leading 0x00: no unused bits
  const body = concat(algorithm, encodeDerTlv(TAG_BIT_STRING, bitString));
  return encodeDerTlv(TAG_SEQUENCE, body);
}

/** A parsed TLV: the content and where the next element starts. */
interface Tlv {
  content: Uint8Array;
  end: number;
}

/** Reads one TLV with the expected tag at `offset`; null on any deviation from strict DER. */
export function readDerTlv(input: Uint8Array, offset: number, tag: number): Tlv | null {
  if (input[offset] !== tag) return null;
  const first = input[offset + 1];
  if (first === undefined) return null;
  let length: number;
  let at = offset + 2;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite form; more than 4 octets is never needed here.
    if (count === 0 || count > 4) return null;
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = input[at + i];
      if (b === undefined) return null;
      if (i === 0 && b === 0) return null; // non-minimal: leading zero octet
      length = length * 256 + b;
    }
    if (length < 0x80) return null; // non-minimal: should have used the short form
    at += count;
  }
  const end = at + length;
  if (end > input.length) return null;
  return { content: input.subarray(at, end), end };
}

/**
 * The raw key inside an SPKI, after checking the exact structure, the OID
 * (parameters must be absent) and the key length. Throws AsymmetricInputError
 * naming `what` otherwise.
 */
export function decodeSpki(spki: Uint8Array, oidContent: Uint8Array, keyLength: number, what: string): Uint8Array {
  const fail = (): never => {
    throw new AsymmetricInputError(`invalid ${what} public key`);
  };
  const outer = readDerTlv(spki, 0, TAG_SEQUENCE) ?? fail();
  if (outer.end !== spki.length) fail();
  const body = outer.content;
  const algorithm = readDerTlv(body, 0, TAG_SEQUENCE) ?? fail();
  const oid = readDerTlv(algorithm.content, 0, TAG_OID) ?? fail();
  // The OID must be the whole AlgorithmIdentifier: no NULL or other parameters.
  if (oid.end !== algorithm.content.length || !bytesEqual(oid.content, oidContent)) fail();
  const bitString = readDerTlv(body, algorithm.end, TAG_BIT_STRING) ?? fail();
  if (bitString.end !== body.length) fail();
  if (bitString.content.length !== 1 + keyLength || bitString.content[0] !== 0) fail();
  return bitString.content.slice(1);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Plain comparison: OIDs and public data only, so timing does not matter. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
