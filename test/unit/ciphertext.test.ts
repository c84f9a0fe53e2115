/** Blob format v1: layout, header binding, and one non-leaking error per failure class. */
import { createDecipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { aes256Gcm } from "../../src/crypto/aes-256-gcm.js";
import { blobKeyId, decryptBlob, encryptBlob, parseBlob } from "../../src/crypto/ciphertext.js";
import { canonicalContext } from "../../src/crypto/context.js";
import { sm4Gcm } from "../../src/crypto/sm4-gcm.js";
import { uuidText } from "../../src/crypto/uuid-text.js";
import { KmsError } from "../../src/errors.js";

const keyId = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const aead = aes256Gcm.aead(randomBytes(32));
const ctx = canonicalContext('{"a":"1"}');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof KmsError) return err.code;
    throw err;
  }
  throw new Error("expected a KmsError");
}

describe("ciphertext blob v1", () => {
  const blob = encryptBlob(aead, { algorithm: aes256Gcm, keyId, keyVersion: 7 }, Buffer.from("hello"), ctx, randomBytes);

  it("lays out version, algorithm, key id, key version, IV, ciphertext, tag", () => {
    const b = Buffer.from(blob);
    expect(b.length).toBe(34 + 5 + 16);
    expect(b[0]).toBe(1);
    expect(b[1]).toBe(1);
    expect(b.subarray(2, 18).toString("hex")).toBe(keyId.replace(/-/g, ""));
    expect(b.readUInt32BE(18)).toBe(7);
    const parsed = parseBlob(blob);
    expect(parsed).toMatchObject({ keyId, keyVersion: 7 });
    expect(parsed.algorithm.name).toBe("AES_256_GCM");
    expect(Buffer.from(decryptBlob(aead, parsed, ctx)).toString()).toBe("hello");
  });

  it("binds every header byte and the context", () => {
    for (let i = 1; i < 34; i++) {
      const t = Buffer.from(blob);
      t[i] = (t[i] as number) ^ 0x01;
      let code: string;
      try {
        code = codeOf(() => decryptBlob(aead, parseBlob(t), ctx));
      } catch {
        code = "other";
      }
      expect(["InvalidParameterValue.InvalidCiphertext", "FailedOperation.DecryptError"]).toContain(code);
    }
    expect(codeOf(() => decryptBlob(aead, parseBlob(blob), canonicalContext('{"a":"2"}')))).toBe("FailedOperation.DecryptError");
    expect(codeOf(() => decryptBlob(aead, parseBlob(blob), new Uint8Array(0)))).toBe("FailedOperation.DecryptError");
  });

  it("rejects unknown versions and algorithms, version 0 and short blobs before any crypto", () => {
    const mutate = (i: number, v: number) => {
      const t = Buffer.from(blob);
      t[i] = v;
      return t;
    };
    expect(codeOf(() => parseBlob(mutate(0, 2)))).toBe("InvalidParameterValue.InvalidCiphertext");
    expect(codeOf(() => parseBlob(mutate(1, 99)))).toBe("InvalidParameterValue.InvalidCiphertext");
    const v0 = Buffer.from(blob);
    v0.writeUInt32BE(0, 18);
    expect(codeOf(() => parseBlob(v0))).toBe("InvalidParameterValue.InvalidCiphertext");
    for (const n of [0, 1, 33, 49]) expect(codeOf(() => parseBlob(blob.subarray(0, n)))).toBe("InvalidParameterValue.InvalidCiphertext");
    // The key id alone (audit subjects, policy resources) is read under the same checks.
    for (const bad of [mutate(0, 2), mutate(1, 99), v0, blob.subarray(0, 49)]) expect(codeOf(() => blobKeyId(bad))).toBe("InvalidParameterValue.InvalidCiphertext");
    expect(blobKeyId(blob)).toBe(keyId);
  });

  it("reads any key id back as the UUID text it was written from", () => {
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(16);
      const id = bytes.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
      const b = encryptBlob(aead, { algorithm: aes256Gcm, keyId: id, keyVersion: 1 }, Buffer.from("x"), ctx, randomBytes);
      expect(parseBlob(b).keyId).toBe(id);
      expect(blobKeyId(b)).toBe(id);
      expect(uuidText(Buffer.concat([Buffer.from([i]), bytes]), 1)).toBe(id);
    }
  });

  it("uses a fresh IV per blob and names SM4-GCM with id 2", () => {
    const again = encryptBlob(aead, { algorithm: aes256Gcm, keyId, keyVersion: 7 }, Buffer.from("hello"), ctx, randomBytes);
    expect(Buffer.from(again.subarray(22, 34)).equals(Buffer.from(blob.subarray(22, 34)))).toBe(false);
    const sm = encryptBlob(sm4Gcm.aead(randomBytes(16)), { algorithm: sm4Gcm, keyId, keyVersion: 1 }, Buffer.from("x"), ctx, randomBytes);
    expect(sm[1]).toBe(2);
  });

  it("without a context the AAD is the header alone, and the largest key version survives the trip", () => {
    const key = randomBytes(32);
    const other = "9b2f7c1e-0a4d-4e5f-8a6b-1c2d3e4f5a6b";
    for (const id of [keyId, other, keyId]) {
      const b = Buffer.from(encryptBlob(aes256Gcm.aead(key), { algorithm: aes256Gcm, keyId: id, keyVersion: 0xffffffff }, Buffer.from("plain"), new Uint8Array(0), randomBytes));
      expect(b.subarray(2, 18).toString("hex")).toBe(id.replace(/-/g, ""));
      expect(parseBlob(b)).toMatchObject({ keyId: id, keyVersion: 0xffffffff });
      // What OpenSSL itself computes over the documented layout.
      const d = createDecipheriv("aes-256-gcm", key, b.subarray(22, 34));
      d.setAAD(b.subarray(0, 34));
      d.setAuthTag(b.subarray(b.length - 16));
      expect(Buffer.concat([d.update(b.subarray(34, b.length - 16)), d.final()]).toString()).toBe("plain");
    }
  });

  it("refuses to build a blob for a non-UUID key id or version out of range", () => {
    expect(() => encryptBlob(aead, { algorithm: aes256Gcm, keyId: "nope", keyVersion: 1 }, Buffer.from("x"), ctx, randomBytes)).toThrow();
    expect(() => encryptBlob(aead, { algorithm: aes256Gcm, keyId, keyVersion: 0 }, Buffer.from("x"), ctx, randomBytes)).toThrow(RangeError);
    expect(() => encryptBlob(aead, { algorithm: aes256Gcm, keyId, keyVersion: 2 ** 32 }, Buffer.from("x"), ctx, randomBytes)).toThrow(RangeError);
    expect(() => encryptBlob(aead, { algorithm: aes256Gcm, keyId: keyId.toUpperCase(), keyVersion: 1 }, Buffer.from("x"), ctx, randomBytes)).toThrow();
  });
});
