/** AES-256-GCM from node:crypto (OpenSSL): the FIPS family, KeyMetadata.Type 2. */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { AeadOpenError, type Aead, type SymmetricAlgorithm } from "./primitives.js";

const TAG_LENGTH = 16;

function createAes256Gcm(key: Uint8Array): Aead {
  if (key.length !== 32) throw new RangeError("AES-256-GCM needs a 32-byte key");
  const keyCopy = Buffer.from(key);
  return {
    seal(iv, plaintext, aad) {
      const cipher = createCipheriv("aes-256-gcm", keyCopy, iv, { authTagLength: TAG_LENGTH });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      const final = cipher.final();
      return Buffer.concat([body, final, cipher.getAuthTag()]);
    },
    open(iv, sealed, aad) {
      if (sealed.length < TAG_LENGTH) throw new AeadOpenError();
      const tagAt = sealed.length - TAG_LENGTH;
      const decipher = createDecipheriv("aes-256-gcm", keyCopy, iv, { authTagLength: TAG_LENGTH });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(tagAt));
      const body = decipher.update(sealed.subarray(0, tagAt));
      try {
        // OpenSSL compares the tag in constant time; on failure the partial output is discarded.
        return Buffer.concat([body, decipher.final()]);
      } catch {
        body.fill(0);
        throw new AeadOpenError();
      }
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
