/** Randomness and identifiers, from the operating system's CSPRNG. */
import { randomBytes as osRandomBytes, randomInt, randomUUID } from "node:crypto";

export function randomBytes(n: number): Uint8Array {
  return osRandomBytes(n);
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
