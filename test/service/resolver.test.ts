/**
 * The resolver, purpose by purpose, called directly: which keys serve which
 * purpose (usage, origin), the order its checks fire in (a request's
 * algorithm and message before the key's state), which version it picks, and
 * that it unseals a version once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyUsage } from "../../gen/kms/v1/kms_pb.js";
import { parseBlob } from "../../src/crypto/ciphertext.js";
import { parsePqBlob } from "../../src/crypto/pq-ciphertext.js";
import type { KeyRecord } from "../../src/keys/key.js";
import { findKey, resolveKey, type Purpose } from "../../src/keys/resolver.js";
import { alias, codeOf, keyIn, openService, type Service } from "./harness.js";

let s: Service;
/** One Enabled key of each usage. */
const keys: Record<string, string> = {};

beforeAll(async () => {
  s = await openService();
  const usages: [string, KeyUsage][] = [
    ["symmetric", KeyUsage.ENCRYPT_DECRYPT],
    ["rsa-decrypt", KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048],
    ["sm2-decrypt", KeyUsage.ASYMMETRIC_DECRYPT_SM2],
    ["sm2-sign", KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2],
    ["ecc-sign", KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC],
    ["ml-kem", KeyUsage.ASYMMETRIC_DECRYPT_ML_KEM_768],
    ["ml-dsa", KeyUsage.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65],
  ];
  for (const [name, keyUsage] of usages) keys[name] = (await s.kms("createKey", { alias: alias(name), keyUsage })).keyId as string;
  keys.external = await keyIn(s, "external", "PendingImport");
});
afterAll(() => s.close());

const RAW = { algorithm: "", message: Buffer.from("m"), messageType: "RAW" } as const;

/** Resolves every key for `purpose` and returns, per key, "ok" or the refusal code. */
async function servedBy(purpose: Purpose, detail: (name: string) => unknown = () => undefined): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const resolve = resolveKey as (...a: unknown[]) => Promise<unknown>;
  for (const [name, keyId] of Object.entries(keys)) out[name] = await codeOf(resolve(s.deps, s.call, purpose, keyId, detail(name)));
  return out;
}

const USAGE = "InvalidParameterValue.InvalidKeyUsage";

describe("resolver: which keys serve which purpose", () => {
  it("encrypt: symmetric keys only, at their primary version, with its Aead", async () => {
    expect(await servedBy("encrypt")).toEqual({
      symmetric: "ok",
      "rsa-decrypt": USAGE,
      "sm2-decrypt": USAGE,
      "sm2-sign": USAGE,
      "ecc-sign": USAGE,
      "ml-kem": USAGE,
      "ml-dsa": USAGE,
      external: "ResourceUnavailable.CmkStateNotSupport",
    });
    const use = await resolveKey(s.deps, s.call, "encrypt", keys.symmetric!);
    expect([use.keyId, use.keyVersion, use.algorithm.name]).toEqual([keys.symmetric, 1, "AES_256_GCM"]);
  });

  it("sign and verify: classic signing keys, with an algorithm their spec offers", async () => {
    const algorithm: Record<string, string> = { "sm2-sign": "SM2DSA", "ecc-sign": "ECC_P256_R1" };
    const expected = { symmetric: USAGE, "rsa-decrypt": USAGE, "sm2-decrypt": USAGE, "sm2-sign": "ok", "ecc-sign": "ok", "ml-kem": USAGE, "ml-dsa": USAGE, external: USAGE };
    const detail = (name: string) => ({ ...RAW, algorithm: algorithm[name] ?? "ECC_P256_R1" });
    expect(await servedBy("sign", detail)).toEqual(expected);
    expect(await servedBy("verify", detail)).toEqual(expected);
  });

  it("asymmetric-decrypt: a decryption key of the spec the action is for", async () => {
    expect(await servedBy("asymmetric-decrypt", () => ({ spec: "RSA_2048", algorithm: "RSAES_OAEP_SHA_256" }))).toMatchObject({ "rsa-decrypt": "ok", "sm2-decrypt": USAGE, "ecc-sign": USAGE, symmetric: USAGE });
    expect(await servedBy("asymmetric-decrypt", () => ({ spec: "SM2" }))).toMatchObject({ "rsa-decrypt": USAGE, "sm2-decrypt": "ok", "ml-kem": USAGE });
  });

  it("post-quantum purposes and the public key", async () => {
    expect(await servedBy("pq-encrypt")).toMatchObject({ "ml-kem": "ok", "ml-dsa": USAGE, "rsa-decrypt": USAGE, symmetric: USAGE });
    expect(await servedBy("pq-sign")).toMatchObject({ "ml-dsa": "ok", "ml-kem": USAGE, "ecc-sign": USAGE });
    expect(await servedBy("pq-verify")).toMatchObject({ "ml-dsa": "ok", "sm2-sign": USAGE });
    expect(await servedBy("public-key")).toEqual({
      symmetric: USAGE,
      "rsa-decrypt": "ok",
      "sm2-decrypt": "ok",
      "sm2-sign": "ok",
      "ecc-sign": "ok",
      "ml-kem": "ok",
      "ml-dsa": "ok",
      external: USAGE,
    });
  });

  it("origin: import for EXTERNAL keys only; rotation for generated symmetric keys only", async () => {
    expect(await servedBy("import")).toMatchObject({ external: "ok", symmetric: "UnsupportedOperation.NotExternalCmk", "ecc-sign": "UnsupportedOperation.NotExternalCmk" });
    expect(await servedBy("import-parameters")).toMatchObject({ external: "ok", symmetric: "UnsupportedOperation.NotExternalCmk" });
    expect(await servedBy("rotation-settings")).toMatchObject({ symmetric: "ok", external: "UnsupportedOperation.ExternalCmkCanNotRotate", "ecc-sign": USAGE });
    expect(await servedBy("rotate")).toMatchObject({ symmetric: "ok", external: "UnsupportedOperation.ExternalCmkCanNotRotate", "ml-kem": USAGE });
    expect(await servedBy("describe")).toEqual(Object.fromEntries(Object.keys(keys).map((k) => [k, "ok"])));
    expect(await servedBy("manage-versions")).toMatchObject({ symmetric: "ok", external: "ResourceUnavailable.CmkStateNotSupport" });
  });
});

describe("resolver: order of checks", () => {
  it("ids first: a malformed id names its field; an unknown one is CmkNotFound", async () => {
    expect(await codeOf(resolveKey(s.deps, s.call, "encrypt", "nope", { field: "DestinationKeyId" }))).toBe("InvalidParameterValue.InvalidKeyId");
    await resolveKey(s.deps, s.call, "encrypt", "nope", { field: "DestinationKeyId" }).catch((e: Error) => expect(e.message).toMatch(/^DestinationKeyId /));
    expect(await codeOf(findKey(s.deps, s.call, "00000000-0000-4000-8000-000000000000"))).toBe("ResourceUnavailable.CmkNotFound");
  });

  it("a request's algorithm and message are checked before the key's state", async () => {
    const keyId = await keyIn(s, "asymmetric", "Disabled");
    const sign = (detail: object) => codeOf(resolveKey(s.deps, s.call, "sign", keyId, { ...RAW, algorithm: "ECC_P256_R1", ...detail }));
    expect(await sign({ algorithm: "RSA_PSS_SHA_256" })).toBe("InvalidParameterValue");
    expect(await sign({ messageType: "DIGEST", message: Buffer.alloc(31) })).toBe("InvalidParameterValue");
    expect(await sign({ message: Buffer.alloc(0) })).toBe("InvalidParameterValue");
    expect(await sign({ messageType: "DIGEST", message: Buffer.alloc(32) })).toBe("ResourceUnavailable.CmkDisabled");
    expect(await sign({})).toBe("ResourceUnavailable.CmkDisabled");
  });

  it("usage before state: a disabled key of the wrong usage is InvalidKeyUsage", async () => {
    const keyId = await keyIn(s, "asymmetric", "Disabled");
    expect(await codeOf(resolveKey(s.deps, s.call, "encrypt", keyId))).toBe(USAGE);
  });
});

describe("resolver: versions and material", () => {
  async function rotated(): Promise<{ keyId: string; v1: Uint8Array }> {
    const keyId = await keyIn(s, "generated", "Enabled");
    const v1 = (await s.kms("encrypt", { keyId, plaintext: Buffer.from("one") })).ciphertextBlob as Uint8Array;
    await s.kms("enableKeyRotation", { keyId, rotateDays: 30 });
    await s.kms("rotateKey", { keyId });
    return { keyId, v1 };
  }

  it("encrypt takes the primary version; decrypt takes the version the blob names", async () => {
    const { keyId, v1 } = await rotated();
    expect((await resolveKey(s.deps, s.call, "encrypt", keyId)).keyVersion).toBe(2);
    const blob = parseBlob(v1);
    expect((await resolveKey(s.deps, s.call, "decrypt", blob.keyId, blob)).keyVersion).toBe(1);
  });

  it("decrypt at version N: the algorithm must match, the version must exist and be Enabled", async () => {
    const { keyId, v1 } = await rotated();
    const blob = parseBlob(v1);
    const at = (named: { keyVersion: number; algorithm?: { name: string } }) => codeOf(resolveKey(s.deps, s.call, "decrypt", keyId, named));
    expect(await at({ keyVersion: 1, algorithm: { name: "SM4_GCM" } })).toBe("InvalidParameterValue.InvalidCiphertext");
    expect(await at({ keyVersion: 7, algorithm: blob.algorithm })).toBe("InvalidParameterValue.InvalidCiphertext");
    await s.versions("disableKeyVersion", { keyId, version: 1 });
    expect(await at({ keyVersion: 1, algorithm: blob.algorithm })).toBe("ResourceUnavailable.KeyDisabled");
    expect(await at({ keyVersion: 2, algorithm: blob.algorithm })).toBe("ok");
  });

  it("archived keys decrypt but do not encrypt", async () => {
    let v1: Uint8Array = new Uint8Array();
    const keyId = await keyIn(s, "generated", "Archived", async (id) => {
      v1 = (await s.kms("encrypt", { keyId: id, plaintext: Buffer.from("a") })).ciphertextBlob as Uint8Array;
    });
    const blob = parseBlob(v1);
    expect(await codeOf(resolveKey(s.deps, s.call, "decrypt", keyId, blob))).toBe("ok");
    expect(await codeOf(resolveKey(s.deps, s.call, "encrypt", keyId))).toBe("ResourceUnavailable.CmkArchived");
  });

  it("pq-decrypt at the version a PQ blob names", async () => {
    const keyId = keys["ml-kem"]!;
    const blob = parsePqBlob((await s.kms("postQuantumCryptoEncrypt", { keyId, plainText: Buffer.from("pq") })).ciphertextBlob as Uint8Array);
    const use = await resolveKey(s.deps, s.call, "pq-decrypt", blob.keyId, blob);
    expect([use.keyVersion, use.spec]).toEqual([1, "ML_KEM_768"]);
    expect(await codeOf(resolveKey(s.deps, s.call, "pq-decrypt", keyId, { keyVersion: 2 }))).toBe("InvalidParameterValue.InvalidCiphertext");
  });

  it("unseals a version once: later resolutions share its Aead and key pair", async () => {
    const a = await resolveKey(s.deps, s.call, "encrypt", keys.symmetric!);
    const b = await resolveKey(s.deps, s.call, "encrypt", keys.symmetric!);
    expect(b.aead).toBe(a.aead);
    const p = await resolveKey(s.deps, s.call, "public-key", keys["ecc-sign"]!);
    const q = await resolveKey(s.deps, s.call, "sign", keys["ecc-sign"]!, { ...RAW, algorithm: "ECC_P256_R1" });
    expect(q.privateKey).toBe(p.privateKey);
  });

  it("returns the stored record for record purposes", async () => {
    const record: KeyRecord = await resolveKey(s.deps, s.call, "describe", keys.symmetric!);
    expect(record).toBe(await s.record(keys.symmetric!));
  });
});
