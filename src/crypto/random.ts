/** Randomness and identifiers, from the operating system's CSPRNG. */
import { randomBytes as osRandomBytes, randomUUID } from "node:crypto";

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
