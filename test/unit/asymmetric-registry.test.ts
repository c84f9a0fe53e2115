/** The asymmetric spec registry and the engine that reads it: every entry works as it says, and nothing outside an entry runs. */
import { describe, expect, it } from "vitest";
import { asymmetricSpec, replyAlgorithm, REPLY_ALGORITHM_NAMES } from "../../src/crypto/asymmetric/registry.js";
import { runAsymmetricOp } from "../../src/crypto/asymmetric/ops.js";
import { AsymmetricInputError, type AsymmetricSpecName, type GeneratedKeyPair } from "../../src/crypto/asymmetric/types.js";
import { spkiToPem } from "../../src/crypto/asymmetric/pem.js";

const NAMES: AsymmetricSpecName[] = ["RSA_2048", "EC_P256", "EC_P384", "SM2", "ML_KEM_768", "ML_DSA_65"];
const message = new TextEncoder().encode("registry");
const hex = (b: unknown) => Buffer.from(b as Uint8Array).toString("hex");

async function pairOf(spec: AsymmetricSpecName): Promise<GeneratedKeyPair> {
  return (await runAsymmetricOp({ op: "generate", spec })) as GeneratedKeyPair;
}

describe("asymmetric spec registry", () => {
  it("has one entry per spec name, each with Tencent's key type", () => {
    expect(NAMES.map((n) => [asymmetricSpec(n).name, asymmetricSpec(n).keyType])).toEqual([
      ["RSA_2048", 2],
      ["EC_P256", 2],
      ["EC_P384", 2],
      ["SM2", 4],
      ["ML_KEM_768", 2],
      ["ML_DSA_65", 2],
    ]);
  });

  it.each(NAMES)("%s: every signature algorithm signs and verifies, RAW and (where it has a length) DIGEST", async (name) => {
    const scheme = asymmetricSpec(name).signature;
    if (!scheme) return;
    const pair = await pairOf(name);
    for (const alg of scheme.algorithms) {
      const types = alg.digestLength === undefined ? (["RAW"] as const) : (["RAW", "DIGEST"] as const);
      for (const messageType of types) {
        const data = messageType === "RAW" ? message : new Uint8Array(alg.digestLength as number).fill(7);
        const signature = (await runAsymmetricOp({ op: "sign", spec: name, privateKey: pair.privateKey, data, messageType, algorithm: alg.name })) as Uint8Array;
        const ok = (s: Uint8Array) => runAsymmetricOp({ op: "verify", spec: name, publicKey: pair.publicKeySpki, data, signature: s, messageType, algorithm: alg.name });
        expect(await ok(signature)).toBe(true);
        const tampered = Uint8Array.from(signature);
        tampered[tampered.length - 1]! ^= 1;
        expect(await ok(tampered)).toBe(false);
      }
    }
  });

  it.each(NAMES)("%s: every encryption algorithm round-trips, and a flipped byte does not decrypt to the plaintext", async (name) => {
    const scheme = asymmetricSpec(name).encryption;
    if (!scheme) return;
    const pair = await pairOf(name);
    const aad = new TextEncoder().encode("aad");
    for (const { name: algorithm } of scheme.algorithms) {
      const ciphertext = (await runAsymmetricOp({ op: "encrypt", spec: name, publicKey: pair.publicKeySpki, plaintext: message, algorithm, aad })) as Uint8Array;
      expect(hex(await runAsymmetricOp({ op: "decrypt", spec: name, privateKey: pair.privateKey, ciphertext, algorithm, aad }))).toBe(hex(message));
      const tampered = Uint8Array.from(ciphertext);
      tampered[tampered.length - 1]! ^= 1;
      // RSA PKCS#1 v1.5 answers a synthetic message (implicit rejection); the others refuse.
      const got = await runAsymmetricOp({ op: "decrypt", spec: name, privateKey: pair.privateKey, ciphertext: tampered, algorithm, aad }).catch((e: unknown) => e);
      if (got instanceof Uint8Array) expect(hex(got)).not.toBe(hex(message));
      else expect(got).toBeInstanceOf(AsymmetricInputError);
    }
  });

  it("refuses an operation or algorithm a spec's entry does not define", async () => {
    const ec = await pairOf("EC_P256");
    await expect(runAsymmetricOp({ op: "decrypt", spec: "EC_P256", privateKey: ec.privateKey, ciphertext: message, algorithm: "RSAES_OAEP_SHA_256" })).rejects.toThrow(/not defined for EC_P256/);
    await expect(runAsymmetricOp({ op: "sign", spec: "EC_P256", privateKey: ec.privateKey, data: message, messageType: "RAW", algorithm: "ECC_P384_R1" })).rejects.toThrow(/not defined for EC_P256/);
    const kem = await pairOf("ML_KEM_768");
    await expect(runAsymmetricOp({ op: "sign", spec: "ML_KEM_768", privateKey: kem.privateKey, data: message, messageType: "RAW", algorithm: "ML_KEM_768" })).rejects.toThrow(/not defined/);
  });

  it("a single-use decryption key (an import's wrapping key) is zeroed after use", async () => {
    const rsa = await pairOf("RSA_2048");
    const ciphertext = (await runAsymmetricOp({ op: "encrypt", spec: "RSA_2048", publicKey: rsa.publicKeySpki, plaintext: message, algorithm: "RSAES_OAEP_SHA_256" })) as Uint8Array;
    const privateKey = Uint8Array.from(rsa.privateKey);
    expect(hex(await runAsymmetricOp({ op: "decrypt", spec: "RSA_2048", privateKey, ciphertext, algorithm: "RSAES_OAEP_SHA_256", singleUse: true }))).toBe(hex(message));
    expect(privateKey.every((b) => b === 0)).toBe(true);
  });

  it("replies: every name the API accepts for EncryptionAlgorithm, each reading its own PEM keys", async () => {
    expect([...REPLY_ALGORITHM_NAMES].sort()).toEqual(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5", "SM2", "SM2_C1C3C2_ASN1"]);
    const sm2 = await pairOf("SM2");
    const rsa = await pairOf("RSA_2048");
    expect(hex(replyAlgorithm("SM2_C1C3C2_ASN1")?.publicKeyFromPem(spkiToPem(sm2.publicKeySpki)))).toBe(hex(sm2.publicKeySpki));
    expect(() => replyAlgorithm("SM2")?.publicKeyFromPem(spkiToPem(rsa.publicKeySpki))).toThrow(AsymmetricInputError);
    expect(() => replyAlgorithm("RSAES_OAEP_SHA_1")?.publicKeyFromPem(spkiToPem(sm2.publicKeySpki))).toThrow(AsymmetricInputError);
    expect(replyAlgorithm("ML_KEM_768")).toBeUndefined();
  });
});
