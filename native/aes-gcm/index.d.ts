/** One key's AES-256-GCM context (OpenSSL's, key schedule set up once); freed when collected. */
export interface GcmContext {
  readonly __gcmContext: unique symbol;
}

/** Sets up a context for a 32-byte key. The key is copied into OpenSSL's schedule: the caller may zero its own copy. */
export function create(key: Uint8Array): GcmContext;

/** Writes ciphertext || 16-byte tag into `out` (plaintext.length + 16 bytes). The IV is 12 bytes. */
export function seal(ctx: GcmContext, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array): void;

/** Writes the plaintext into `out` (sealed.length - 16 bytes) and returns true when the tag verifies; false (and `out` zeroed) when it does not. */
export function open(ctx: GcmContext, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array, out: Uint8Array): boolean;
