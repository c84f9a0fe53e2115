/**
 * AES-256-GCM (the FIPS family, KeyMetadata.Type 2) from the OpenSSL inside
 * Node.js, through native/aes-gcm: one OpenSSL context per key, made when the
 * key is loaded, where node:crypto's createCipheriv makes one per call.
 */
import * as gcm from "kms-aes-gcm";
import { AeadOpenError, type Aead, type SymmetricAlgorithm } from "./primitives.js";

const TAG_LENGTH = 16;

function createAes256Gcm(key: Uint8Array): Aead {
  if (key.length !== 32) throw new RangeError("AES-256-GCM needs a 32-byte key");
  const ctx = gcm.create(key);
  return {
    seal(iv, plaintext, aad) {
      const out = Buffer.allocUnsafe(plaintext.length + TAG_LENGTH);
      gcm.seal(ctx, iv, plaintext, aad, out);
      return out;
    },
    open(iv, sealed, aad) {
      if (sealed.length < TAG_LENGTH) throw new AeadOpenError();
      // Zeroed by the addon when the tag does not verify.
      const out = Buffer.allocUnsafe(sealed.length - TAG_LENGTH);
      if (!gcm.open(ctx, iv, sealed, aad, out)) throw new AeadOpenError();
      return out;
    },
  };
}

export const aes256Gcm: SymmetricAlgorithm = {
  name: "AES_256_GCM",
  blobId: 1,
  keyType: 2,
  keyLength: 32,
  ivLength: 12,
  tagLength: TAG_LENGTH,
  aead: createAes256Gcm,
};
