/** Randomness and identifiers, from the operating system's CSPRNG. */
import { randomBytes as osRandomBytes, randomFillSync, randomInt, randomUUID } from "node:crypto";
import { uuidText } from "./uuid-text.js";

export function randomBytes(n: number): Uint8Array {
  return osRandomBytes(n);
}

/** Bytes the nonce pool draws from the CSPRNG at a time. */
const NONCE_POOL_BYTES = 4096;
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

/**
 * Random bytes for public values (AEAD IVs): one CSPRNG call fills a fresh
 * 4 KiB pool for the next 341 IVs, where a call per IV cost about 5% of an
 * Encrypt's CPU (measured). Pools are never reused, so no two nonces share
 * bytes. Secrets come from randomSecret, whose pool is kept apart.
 */
export function randomNonce(n: number): Uint8Array {
  if (n > NONCE_POOL_BYTES) return osRandomBytes(n);
  if (nonceOffset + n > noncePool.length) {
    noncePool = osRandomBytes(NONCE_POOL_BYTES);
    nonceOffset = 0;
  }
  const out = noncePool.subarray(nonceOffset, nonceOffset + n);
  nonceOffset += n;
  return out;
}

/** Bytes the secret pool draws from the CSPRNG at a time, and the largest draw it serves. */
const SECRET_POOL_BYTES = 4096;
const SECRET_POOLED_MAX = 512;
const secretPool = Buffer.alloc(SECRET_POOL_BYTES);
let secretOffset = SECRET_POOL_BYTES;

/**
 * Random bytes for secrets (data keys, key material, GenerateRandom): one
 * CSPRNG call refills a 4 KiB pool, and each draw is copied out to a buffer of
 * its own and zeroed in the pool at once, so no byte is handed out twice or
 * kept after its draw. Every CSPRNG call costs a system call (OpenSSL's fork
 * check), several µs on a virtual machine: a GenerateDataKey's largest single
 * cost, measured. The pool holds no more than OpenSSL's generator already
 * keeps in this process's memory (the state its next outputs follow from).
 * Draws over 512 bytes go to the CSPRNG directly.
 */
export function randomSecret(n: number): Uint8Array {
  if (n > SECRET_POOLED_MAX) return osRandomBytes(n);
  if (secretOffset + n > SECRET_POOL_BYTES) {
    randomFillSync(secretPool);
    secretOffset = 0;
  }
  const out = Buffer.alloc(n);
  secretPool.copy(out, 0, secretOffset, secretOffset + n);
  secretPool.fill(0, secretOffset, secretOffset + n);
  secretOffset += n;
  return out;
}

/** A new key id: a random (v4) UUID, the form Tencent's key ids take. */
export function newKeyId(): string {
  return randomUUID();
}

/** Bytes the request id pool draws from the CSPRNG at a time: 1024 ids. */
const ID_POOL_BYTES = 16 * 1024;
const idPool = Buffer.alloc(ID_POOL_BYTES);
let idOffset = ID_POOL_BYTES;

/**
 * A new request id: a random (v4) UUID, as randomUUID makes them, from a pool
 * of its own that one CSPRNG call refills for 1024 ids. randomUUID refills its
 * cache every 128 ids, and each refill is a CSPRNG call (a system call), a
 * share of every call's main-thread time the server's profile showed.
 */
export function newRequestId(): string {
  if (idOffset === ID_POOL_BYTES) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const o = idOffset;
  idOffset += 16;
  // Version 4 and the RFC 9562 variant, as randomUUID sets them.
  idPool[o + 6] = ((idPool[o + 6] as number) & 0x0f) | 0x40;
  idPool[o + 8] = ((idPool[o + 8] as number) & 0x3f) | 0x80;
  return uuidText(idPool, o);
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `n` uniformly random letters and digits (randomInt rejects bias itself). */
export function randomAlphanumeric(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
