/**
 * What every secrets action is given: its collaborators, as ports. Who is
 * calling comes with the call (src/call.ts). The key domain is reached only
 * through SecretCipher, whose one adapter is key-cipher.ts.
 */
import type { CallContext } from "../call.js";
import type { Clock } from "../clock.js";
import type { RotationEngine } from "./products/rotation.js";
import type { SecretRepository } from "./repository.js";

export interface SecretsSettings {
  /** Most secrets one account keeps in one region (every state); CreateSecret beyond it answers LimitExceeded. */
  secretLimit: number;
  /** Regions GetRegions answers. */
  regions: readonly string[];
}

/** Members of an encryption context: bound to a ciphertext, required again to open it. */
export type CipherContext = Readonly<Record<string, string>>;

/**
 * A ciphertext, or its context, did not verify (a stored value corrupted, a
 * package tampered with, or opened under the wrong key). Carries no detail on
 * purpose: the caller answers one fixed error.
 */
export class CipherIntegrityError extends Error {
  override readonly name = "CipherIntegrityError";
  constructor() {
    super("ciphertext or context did not verify");
  }
}

/**
 * Encryption of secret values and export packages by a CMK of the key domain.
 * A refusal of the key domain (key missing, disabled, pending deletion, not a
 * symmetric key) is thrown as KmsError FailedOperation.AccessKmsError, the code
 * SSM documents for it, with the key domain's own code in the message.
 */
export interface SecretCipher {
  /** Encrypts under the CMK's newest version, binding `context`. */
  encrypt(call: CallContext, keyId: string, plaintext: Uint8Array, context: CipherContext): Promise<Uint8Array>;
  /**
   * Decrypts a blob of encrypt(). Without `keyId`: with the key and version
   * the blob names. With `keyId`: with that key's material (a key of this
   * instance holding the material of the key that made the blob, e.g. through
   * BYOK). Throws CipherIntegrityError when the blob or context does not verify.
   */
  decrypt(call: CallContext, blob: Uint8Array, context: CipherContext, keyId?: string): Promise<Uint8Array>;
  /** A fresh 32-byte data key, and it encrypted under `keyId` (GenerateDataKey). The caller zeroes the plaintext. */
  generateDataKey(call: CallContext, keyId: string, context: CipherContext): Promise<{ plaintext: Uint8Array; blob: Uint8Array }>;
  /** Secrets Manager's default CMK for the call's account and region, created (with its own audited change) on first use. */
  defaultKeyId(call: CallContext): Promise<string>;
}

/** In-process named mutexes (the key domain's LockSet fits). */
export interface Locks {
  run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T>;
}

export interface SecretsDeps {
  repo: SecretRepository;
  locks: Locks;
  cipher: SecretCipher;
  clock: Clock;
  settings: SecretsSettings;
  /**
   * Product secrets: the database instances, the accounts' create and
   * rotation flows, over the same locks and this family's sealed versions
   * (product-values.ts implements its ProductSecretValues port).
   */
  products: RotationEngine;
}
