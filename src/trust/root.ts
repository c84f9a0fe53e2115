/**
 * A root of trust wraps and unwraps the keyring, and nothing else. Three
 * kinds, chosen by KMS_SEAL: an HSM key through PKCS#11 (pkcs11-root.ts), a
 * key split into Shamir shares (shamir.ts), or a development key from
 * KMS_ROOT_KEY or <data>/root.key (dev-root.ts).
 */
import { aes256Gcm } from "../crypto/aes-256-gcm.js";
import { AeadOpenError } from "../crypto/primitives.js";
import { randomBytes } from "../crypto/random.js";

export type SealMode = "dev" | "pkcs11" | "shamir";

/** What the keyring record says about its root, in clear: never a secret. */
export type RootParams =
  | { mode: "dev" }
  | { mode: "pkcs11"; keyLabel: string; keyId: string }
  | { mode: "shamir"; setId: string; threshold: number; shares: number; commitments: string[] };

export interface RootOfTrust {
  readonly params: RootParams;
  /** iv | ciphertext | tag, authenticated together with `aad`. */
  wrap(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Throws RootUnwrapError when this root did not wrap it (or it was altered). */
  unwrap(wrapped: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Releases what the root holds (an HSM session, a key in memory). */
  close(): Promise<void>;
}

/** The keyring did not unwrap under this root: another root, or an altered record. */
export class RootUnwrapError extends Error {
  override readonly name = "RootUnwrapError";
}

/** A refusal to open the root of trust, with a message for the operator (never key material). */
export class TrustError extends Error {
  override readonly name = "TrustError";
}

const IV = 12;

/** AES-256-GCM in software under a 32-byte key the process holds (dev and Shamir roots). */
export function softwareRoot(key: Uint8Array, params: RootParams): RootOfTrust {
  const held = Buffer.from(key);
  const aead = aes256Gcm.aead(held);
  return {
    params,
    async wrap(plaintext, aad) {
      const iv = randomBytes(IV);
      return Buffer.concat([iv, aead.seal(iv, plaintext, aad)]);
    },
    async unwrap(wrapped, aad) {
      if (wrapped.length < IV + 16) throw new RootUnwrapError("the wrapped keyring is truncated");
      try {
        return aead.open(wrapped.subarray(0, IV), wrapped.subarray(IV), aad);
      } catch (err) {
        if (err instanceof AeadOpenError) throw new RootUnwrapError("the keyring does not unwrap under this root of trust");
        throw err;
      }
    },
    async close() {
      held.fill(0);
    },
  };
}
