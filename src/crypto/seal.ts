/**
 * Key material at rest: AES-256-GCM under the root key.
 *
 *   sealed = 0x01 | IV (12) | ciphertext | tag (16)
 *
 * The AAD is a label naming what the material belongs to (key id and
 * version), so a sealed record copied onto another key fails to unseal.
 */
import { aes256Gcm } from "./aes-256-gcm.js";
import { AeadOpenError } from "./primitives.js";
import { randomBytes } from "./random.js";

const SEAL_V1 = 0x01;
const IV_LENGTH = 12;

/** A sealed record did not unseal: wrong root key or corrupted storage. */
export class UnsealError extends Error {
  override readonly name = "UnsealError";
}

export interface RootKey {
  seal(plaintext: Uint8Array, label: string): Uint8Array;
  unseal(sealed: Uint8Array, label: string): Uint8Array;
}

export function createRootKey(key: Uint8Array): RootKey {
  const aead = aes256Gcm.aead(key);
  return {
    seal(plaintext, label) {
      const iv = randomBytes(IV_LENGTH);
      return Buffer.concat([Buffer.of(SEAL_V1), iv, aead.seal(iv, plaintext, Buffer.from(label, "utf8"))]);
    },
    unseal(sealed, label) {
      if (sealed.length < 1 + IV_LENGTH + 16 || sealed[0] !== SEAL_V1) throw new UnsealError(`sealed record "${label}" is malformed`);
      try {
        return aead.open(sealed.subarray(1, 1 + IV_LENGTH), sealed.subarray(1 + IV_LENGTH), Buffer.from(label, "utf8"));
      } catch (err) {
        if (err instanceof AeadOpenError) throw new UnsealError(`sealed record "${label}" failed its integrity check`);
        throw err;
      }
    },
  };
}

/** Label binding a key version's material to its place. */
export function materialLabel(keyId: string, version: number): string {
  return `kms/v1/material/${keyId}/${version}`;
}
