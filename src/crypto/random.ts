/** Randomness and identifiers, from the operating system's CSPRNG. */
import { randomBytes as osRandomBytes, randomInt, randomUUID } from "node:crypto";

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
 * bytes. Secrets (key material, data keys) come from randomBytes instead, and
 * do not sit in a pool waiting to be used.
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

/** A new key id: a random (v4) UUID, the form Tencent's key ids take. */
export function newKeyId(): string {
  return randomUUID();
}

/** A new request id. */
export function newRequestId(): string {
  return randomUUID();
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `n` uniformly random letters and digits (randomInt rejects bias itself). */
export function randomAlphanumeric(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
