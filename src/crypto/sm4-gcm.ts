/**
 * SM4-GCM (RFC 8998): the Chinese national-standard family, KeyMetadata.Type 4.
 *
 * Why sm-crypto-v2 and not node:crypto: OpenSSL 3.0 offers no SM4-GCM through
 * node:crypto. The alternative was SM4-CTR (node:crypto) with HMAC-SM3
 * encrypt-then-MAC. Measured on one core of this machine: 32-byte messages
 * 50k/s here vs 60k/s for CTR+HMAC; 4 KiB 4.8k/s vs 12k/s. We take the
 * standard AEAD: it interoperates with any RFC 8998 implementation, is
 * checked against the RFC's test vector (test/unit/sm4-gcm.test.ts), and its
 * tag check is constant-time and happens before any plaintext is released.
 */
import { sm4 } from "sm-crypto-v2";
import { AeadOpenError, type Aead, type SymmetricAlgorithm } from "./primitives.js";

const TAG_LENGTH = 16;

function createSm4Gcm(key: Uint8Array): Aead {
  if (key.length !== 16) throw new RangeError("SM4-GCM needs a 16-byte key");
  const keyCopy = Uint8Array.from(key);
  return {
    seal(iv, plaintext, aad) {
      const r = sm4.encrypt(plaintext, keyCopy, { mode: "gcm", iv, associatedData: aad, output: "array", outputTag: true });
      if (!r.tag) throw new Error("sm4-gcm: no tag produced");
      const out = new Uint8Array(r.output.length + TAG_LENGTH);
      out.set(r.output, 0);
      out.set(r.tag, r.output.length);
      return out;
    },
    open(iv, sealed, aad) {
      if (sealed.length < TAG_LENGTH) throw new AeadOpenError();
      const tagAt = sealed.length - TAG_LENGTH;
      try {
        return sm4.decrypt(sealed.subarray(0, tagAt), keyCopy, {
          mode: "gcm",
          iv,
          associatedData: aad,
          tag: sealed.subarray(tagAt),
          output: "array",
        });
      } catch {
        throw new AeadOpenError();
      }
    },
  };
}

export const sm4Gcm: SymmetricAlgorithm = {
  name: "SM4_GCM",
  blobId: 2,
  keyType: 4,
  keyLength: 16,
  ivLength: 12,
  tagLength: TAG_LENGTH,
  aead: createSm4Gcm,
};
