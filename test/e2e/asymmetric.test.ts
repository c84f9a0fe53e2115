/**
 * Asymmetric and post-quantum keys through the real server, checked against
 * standard tools: OpenSSL verifies our signatures and encrypts what we
 * decrypt; node:crypto verifies our signatures and decrypts what we return
 * under a caller's public key.
 */
import { execFileSync } from "node:child_process";
import { constants, createHash, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, verify as nodeVerify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataKeySpec, KeyState, KeyUsage, MessageType } from "../../gen/kms/v1/kms_pb.js";
import { createSm2Decrypter, generateSm2KeyPair } from "../../src/crypto/asymmetric/sm2.js";
import { spkiToPem } from "../../src/crypto/asymmetric/pem.js";
import { codeOf, type ConnectClients, type KmsClient } from "../helpers/clients.js";
import { useServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let clients: ConnectClients;
let kms: KmsClient;
let seq = 0;
const work = mkdtempSync(join(tmpdir(), "kms-asym-"));
const file = (name: string, data?: Uint8Array | string) => {
  const p = join(work, name);
  if (data !== undefined) writeFileSync(p, data);
  return p;
};
const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

useServer((s, c) => {
  ts = s;
  clients = c;
  kms = c.grpc;
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function newKey(keyUsage: KeyUsage): Promise<string> {
  return (await kms.createKey({ alias: `asym-${++seq}`, keyUsage })).keyId;
}

describe("CreateKey and GetPublicKey", () => {
  it.each([
    [KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048, 2, "rsa"],
    [KeyUsage.ASYMMETRIC_SIGN_VERIFY_RSA_2048, 2, "rsa"],
    [KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC, 2, "ec"],
    [KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECDSA384, 2, "ec"],
    [KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2, 4, "sm2"],
    [KeyUsage.ASYMMETRIC_DECRYPT_SM2, 4, "sm2"],
  ] as const)("usage %i: Type %i, a DER SPKI and a PEM of that DER that OpenSSL reads", async (keyUsage, type, kind) => {
    const keyId = await newKey(keyUsage);
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyUsage, type, keyState: KeyState.ENABLED, primaryVersion: 1 });
    const { publicKey, publicKeyPem } = await kms.getPublicKey({ keyId });
    expect(publicKeyPem).toBe(spkiToPem(publicKey));
    // base64 of the DER (a SEQUENCE: "M..."), not base64 of base64 ("TU..."), unlike the seed document's example
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\nM[A-Za-z]/);
    expect(Buffer.from(publicKeyPem.split("\n").slice(1, -2).join(""), "base64").equals(Buffer.from(publicKey))).toBe(true);
    const text = openssl("pkey", "-pubin", "-in", file(`pub-${seq}.pem`, publicKeyPem), "-text", "-noout");
    if (kind === "rsa") expect(text).toMatch(/2048 bit/);
    if (kind === "sm2") expect(text).toMatch(/SM2/);
    if (kind === "ec") expect(createPublicKey(publicKeyPem).asymmetricKeyType).toBe("ec");
  });

  it("post-quantum keys publish NIST-OID SPKIs", async () => {
    const kem = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_ML_KEM_768);
    const dsa = await newKey(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65);
    expect(Buffer.from((await kms.getPublicKey({ keyId: kem })).publicKey).subarray(0, 22).toString("hex")).toBe("308204b2300b0609608648016503040402038204a100");
    expect(Buffer.from((await kms.getPublicKey({ keyId: dsa })).publicKey).subarray(0, 22).toString("hex")).toBe("308207b2300b0609608648016503040312038207a100");
  });

  it("refuses what a usage is not for", async () => {
    const sym = (await kms.createKey({ alias: `asym-${++seq}` })).keyId;
    const signer = await newKey(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC);
    const decrypter = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048);
    expect(await codeOf(kms.getPublicKey({ keyId: sym }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.encrypt({ keyId: signer, plaintext: Buffer.from("x") }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.generateDataKey({ keyId: decrypter, keySpec: DataKeySpec.AES_256 }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.signByAsymmetricKey({ keyId: decrypter, algorithm: "RSA_PSS_SHA_256", message: Buffer.from("m") }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.signByAsymmetricKey({ keyId: sym, algorithm: "ECC_P256_R1", message: Buffer.from("m") }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.asymmetricRsaDecrypt({ keyId: signer, ciphertext: randomBytes(256), algorithm: "RSAES_OAEP_SHA_256" }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.signByAsymmetricKey({ keyId: signer, algorithm: "RSA_PSS_SHA_256", message: Buffer.from("m") }))).toBe("InvalidParameterValue");
    expect(await codeOf(kms.enableKeyRotation({ keyId: signer }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.createKey({ alias: `asym-${++seq}`, keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2, type: 2 }))).toBe("InvalidParameterValue.InvalidType");
    await kms.disableKey({ keyId: signer });
    expect(await codeOf(kms.getPublicKey({ keyId: signer }))).toBe("ResourceUnavailable.CmkDisabled");
    expect(await codeOf(kms.signByAsymmetricKey({ keyId: signer, algorithm: "ECC_P256_R1", message: Buffer.from("m") }))).toBe("ResourceUnavailable.CmkDisabled");
  });
});

describe("SignByAsymmetricKey and VerifyByAsymmetricKey", () => {
  const cases = [
    { usage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_RSA_2048, algorithm: "RSA_PSS_SHA_256", hash: "sha256", ossl: ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32"] },
    { usage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_RSA_2048, algorithm: "RSA_PKCS1_SHA_256", hash: "sha256", ossl: [] },
    { usage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC, algorithm: "ECC_P256_R1", hash: "sha256", ossl: [] },
    { usage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECDSA384, algorithm: "ECC_P384_R1", hash: "sha384", ossl: [] },
    { usage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2, algorithm: "SM2DSA", hash: "sm3", ossl: ["-pkeyopt", "distid:1234567812345678"] },
  ];

  it.each(cases)("$algorithm: OpenSSL verifies RAW and DIGEST signatures against the PEM", async ({ usage, algorithm, hash, ossl }) => {
    const keyId = await newKey(usage);
    const pem = file(`sig-${++seq}.pem`, (await kms.getPublicKey({ keyId })).publicKeyPem);
    const message = Buffer.from(`message ${seq} for ${algorithm}`);
    const raw = (await kms.signByAsymmetricKey({ keyId, algorithm, message })).signature;
    const msg = file(`msg-${seq}`, message);
    expect(openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", msg, "-sigfile", file(`raw-${seq}.sig`, raw), "-digest", hash, ...ossl)).toMatch(/Verified Successfully/);
    expect(() => openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", file(`bad-${seq}`, Buffer.concat([message, Buffer.from("!")])), "-sigfile", file(`raw-${seq}.sig`), "-digest", hash, ...ossl)).toThrow();
    if (algorithm !== "SM2DSA") {
      // DIGEST: the caller hashes; the signature is the same kind OpenSSL and node:crypto check over the message.
      const digest = createHash(hash).update(message).digest();
      const sig = (await kms.signByAsymmetricKey({ keyId, algorithm, message: digest, messageType: MessageType.DIGEST })).signature;
      expect(openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", msg, "-sigfile", file(`dig-${seq}.sig`, sig), "-digest", hash, ...ossl)).toMatch(/Verified Successfully/);
      const padding = algorithm === "RSA_PSS_SHA_256" ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {};
      expect(nodeVerify(hash, message, { key: createPublicKey(readFileSync(pem)), ...padding }, Buffer.from(sig))).toBe(true);
      expect((await kms.verifyByAsymmetricKey({ keyId, algorithm, message: digest, signatureValue: raw, messageType: MessageType.DIGEST })).signatureValid).toBe(true);
    }
    expect((await kms.verifyByAsymmetricKey({ keyId, algorithm, message, signatureValue: raw })).signatureValid).toBe(true);
    const tampered = Buffer.from(raw);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect((await kms.verifyByAsymmetricKey({ keyId, algorithm, message, signatureValue: tampered })).signatureValid).toBe(false);
    expect((await kms.verifyByAsymmetricKey({ keyId, algorithm, message: Buffer.from("other"), signatureValue: raw })).signatureValid).toBe(false);
    expect((await kms.verifyByAsymmetricKey({ keyId, algorithm, message, signatureValue: Buffer.from("garbage") })).signatureValid).toBe(false);
  });

  it("checks message sizes and digest lengths", async () => {
    const ecc = await newKey(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC);
    const p384 = await newKey(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECDSA384);
    const sign = (keyId: string, algorithm: string, message: Uint8Array, messageType = MessageType.RAW) => kms.signByAsymmetricKey({ keyId, algorithm, message, messageType });
    expect(await codeOf(sign(ecc, "ECC_P256_R1", new Uint8Array(4097)))).toBe("InvalidParameterValue");
    expect(await codeOf(sign(ecc, "ECC_P256_R1", new Uint8Array(0)))).toBe("InvalidParameterValue");
    expect(await codeOf(sign(ecc, "ECC_P256_R1", new Uint8Array(31), MessageType.DIGEST))).toBe("InvalidParameterValue");
    expect(await codeOf(sign(p384, "ECC_P384_R1", new Uint8Array(32), MessageType.DIGEST))).toBe("InvalidParameterValue");
    await sign(p384, "ECC_P384_R1", new Uint8Array(48), MessageType.DIGEST);
    await sign(ecc, "ECC_P256_R1", new Uint8Array(4096));
  });
});

describe("AsymmetricRsaDecrypt and AsymmetricSm2Decrypt", () => {
  it("decrypt what OpenSSL and node:crypto encrypted to the public key", async () => {
    const keyId = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048);
    const { publicKeyPem } = await kms.getPublicKey({ keyId });
    const pem = file(`rsa-${++seq}.pem`, publicKeyPem);
    const secret = randomBytes(48);
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in", file(`pt-${seq}`, secret), "-out", file(`ct-${seq}`), "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256");
    const fromOpenssl = await kms.asymmetricRsaDecrypt({ keyId, ciphertext: readFileSync(file(`ct-${seq}`)), algorithm: "RSAES_OAEP_SHA_256" });
    expect(Buffer.from(fromOpenssl.plaintext).equals(secret)).toBe(true);
    expect(fromOpenssl.keyId).toBe(keyId);
    const oaep1 = publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, secret);
    expect(Buffer.from((await kms.asymmetricRsaDecrypt({ keyId, ciphertext: oaep1, algorithm: "RSAES_OAEP_SHA_1" })).plaintext).equals(secret)).toBe(true);
    const pkcs1 = publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_PADDING }, secret);
    expect(Buffer.from((await kms.asymmetricRsaDecrypt({ keyId, ciphertext: pkcs1, algorithm: "RSAES_PKCS1_V1_5" })).plaintext).equals(secret)).toBe(true);
  });

  it("give no padding oracle: PKCS#1 v1.5 garbage answers a pseudo-random plaintext, OAEP garbage one fixed error", async () => {
    const keyId = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048);
    const garbage = randomBytes(256);
    garbage[0] = 0; // below the modulus
    const a = await kms.asymmetricRsaDecrypt({ keyId, ciphertext: garbage, algorithm: "RSAES_PKCS1_V1_5" });
    const b = await kms.asymmetricRsaDecrypt({ keyId, ciphertext: garbage, algorithm: "RSAES_PKCS1_V1_5" });
    expect(Buffer.from(a.plaintext).equals(Buffer.from(b.plaintext))).toBe(true);
    expect(await codeOf(kms.asymmetricRsaDecrypt({ keyId, ciphertext: garbage, algorithm: "RSAES_OAEP_SHA_256" }))).toBe("FailedOperation.DecryptError");
    expect(await codeOf(kms.asymmetricRsaDecrypt({ keyId, ciphertext: randomBytes(100), algorithm: "RSAES_OAEP_SHA_256" }))).toBe("FailedOperation.DecryptError");
    expect(await codeOf(kms.asymmetricRsaDecrypt({ keyId, ciphertext: garbage, algorithm: "RSAES_OAEP_SHA_512" }))).toBe("InvalidParameterValue");
  });

  it("decrypt SM2 ciphertext from OpenSSL (C1C3C2 ASN.1), and refuse the rest", async () => {
    const keyId = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_SM2);
    const n = ++seq;
    const pem = file(`sm2-${n}.pem`, (await kms.getPublicKey({ keyId })).publicKeyPem);
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in", file(`sm2pt-${n}`, "国密 SM2"), "-out", file(`sm2ct-${n}`));
    const res = await kms.asymmetricSm2Decrypt({ keyId, ciphertext: readFileSync(file(`sm2ct-${n}`)) });
    expect(new TextDecoder().decode(res.plaintext)).toBe("国密 SM2");
    const ct = readFileSync(file(`sm2ct-${n}`));
    ct[ct.length - 1] = (ct[ct.length - 1] as number) ^ 1;
    expect(await codeOf(kms.asymmetricSm2Decrypt({ keyId, ciphertext: ct }))).toBe("FailedOperation.DecryptError");
    expect(await codeOf(kms.asymmetricSm2Decrypt({ keyId, ciphertext: randomBytes(257) }))).toBe("InvalidParameterValue");
    const rsa = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048);
    expect(await codeOf(kms.asymmetricSm2Decrypt({ keyId: rsa, ciphertext: readFileSync(file(`sm2ct-${n}`)) }))).toBe("InvalidParameterValue.InvalidKeyUsage");
  });
});

describe("plaintext returned under the caller's public key", () => {
  it("RSA: Decrypt and GenerateDataKey answer ciphertext only the caller's private key opens", async () => {
    const caller = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = caller.publicKey.export({ type: "spki", format: "pem" }).toString();
    const keyId = (await kms.createKey({ alias: `asym-${++seq}` })).keyId;
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: Buffer.from("for your eyes") });
    const res = await kms.decrypt({ ciphertextBlob, encryptionPublicKey: pem, encryptionAlgorithm: "RSAES_OAEP_SHA_256" });
    expect(res.plaintext.length).toBe(256);
    expect(privateDecrypt({ key: caller.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, res.plaintext).toString()).toBe("for your eyes");
    const dk = await kms.generateDataKey({ keyId, keySpec: DataKeySpec.AES_256, encryptionPublicKey: pem, encryptionAlgorithm: "RSAES_OAEP_SHA_1" });
    const dataKey = privateDecrypt({ key: caller.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, dk.plaintext);
    expect(Buffer.from((await kms.decrypt({ ciphertextBlob: dk.ciphertextBlob })).plaintext).equals(dataKey)).toBe(true);
    expect(await codeOf(kms.decrypt({ ciphertextBlob, encryptionPublicKey: "not a pem", encryptionAlgorithm: "RSAES_OAEP_SHA_256" }))).toBe("InvalidParameterValue");
    expect(await codeOf(kms.decrypt({ ciphertextBlob, encryptionPublicKey: pem, encryptionAlgorithm: "ROT13" }))).toBe("InvalidParameterValue");
  });

  it("SM2 (the default, C1C3C2) and SM2_C1C3C2_ASN1, which OpenSSL opens", async () => {
    const caller = generateSm2KeyPair();
    const pem = spkiToPem(caller.publicKeySpki);
    const keyId = (await kms.createKey({ alias: `asym-${++seq}` })).keyId;
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: Buffer.from("sm2 reply") });
    const raw = await kms.decrypt({ ciphertextBlob, encryptionPublicKey: pem });
    expect(Buffer.from(raw.plaintext)[0]).toBe(0x04);
    expect(Buffer.from(createSm2Decrypter(caller.privateKey).decrypt(raw.plaintext, "C1C3C2")).toString()).toBe("sm2 reply");
    const asn1 = await kms.decrypt({ ciphertextBlob, encryptionPublicKey: pem, encryptionAlgorithm: "SM2_C1C3C2_ASN1" });
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(caller.privateKey).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
    const out = execFileSync("openssl", ["pkeyutl", "-decrypt", "-inkey", file(`caller-${++seq}.pem`, keyPem), "-in", file(`reply-${seq}`, asn1.plaintext)]);
    expect(out.toString()).toBe("sm2 reply");
  });
});

describe("ListAlgorithms", () => {
  it("lists exactly what is implemented", async () => {
    const res = await kms.listAlgorithms({});
    const pairs = (l: { keyUsage: string; algorithm: string }[]) => l.map((a) => `${a.keyUsage}:${a.algorithm}`).sort();
    expect(pairs(res.symmetricAlgorithms)).toEqual(["ENCRYPT_DECRYPT:AES_256", "ENCRYPT_DECRYPT:SM4"]);
    expect(pairs(res.asymmetricAlgorithms)).toEqual([
      "ASYMMETRIC_DECRYPT_ML_KEM_768:ML_KEM_768",
      "ASYMMETRIC_DECRYPT_RSA_2048:RSAES_OAEP_SHA_1",
      "ASYMMETRIC_DECRYPT_RSA_2048:RSAES_OAEP_SHA_256",
      "ASYMMETRIC_DECRYPT_RSA_2048:RSAES_PKCS1_V1_5",
      "ASYMMETRIC_DECRYPT_SM2:SM2",
    ]);
    expect(pairs(res.asymmetricSignVerifyAlgorithms)).toEqual([
      "ASYMMETRIC_SIGN_VERIFY_ECC:ECC_P256_R1",
      "ASYMMETRIC_SIGN_VERIFY_ECDSA384:ECC_P384_R1",
      "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65:ML_DSA_65",
      "ASYMMETRIC_SIGN_VERIFY_RSA_2048:RSA_PKCS1_SHA_256",
      "ASYMMETRIC_SIGN_VERIFY_RSA_2048:RSA_PSS_SHA_256",
      "ASYMMETRIC_SIGN_VERIFY_SM2:SM2DSA",
    ]);
  });
});

describe("post-quantum", () => {
  it("ML-KEM-768 encrypts and decrypts, binding the key and version, and tampering fails", async () => {
    const keyId = await newKey(KeyUsage.ASYMMETRIC_DECRYPT_ML_KEM_768);
    const plainText = randomBytes(4096);
    const { ciphertextBlob } = await kms.postQuantumCryptoEncrypt({ keyId, plainText });
    expect(Buffer.from(ciphertextBlob).subarray(0, 2).toString("hex")).toBe("0203");
    const dec = await kms.postQuantumCryptoDecrypt({ ciphertextBlob });
    expect(dec.keyId).toBe(keyId);
    expect(Buffer.from(dec.plainText).equals(plainText)).toBe(true);
    for (const at of [1, 5, 19, 22, 500, 1200, ciphertextBlob.length - 1]) {
      const t = Buffer.from(ciphertextBlob);
      t[at] = (t[at] as number) ^ 1;
      expect(["InvalidParameterValue.InvalidCiphertext", "FailedOperation.DecryptError", "ResourceUnavailable.CmkNotFound"]).toContain(await codeOf(kms.postQuantumCryptoDecrypt({ ciphertextBlob: t })));
    }
    expect(await codeOf(kms.decrypt({ ciphertextBlob }))).toBe("InvalidParameterValue.InvalidCiphertext");
    expect(await codeOf(kms.postQuantumCryptoEncrypt({ keyId, plainText: new Uint8Array(4097) }))).toBe("InvalidParameterValue.InvalidPlaintext");
    const caller = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const wrapped = await kms.postQuantumCryptoDecrypt({ ciphertextBlob: (await kms.postQuantumCryptoEncrypt({ keyId, plainText: Buffer.from("pq") })).ciphertextBlob, encryptionPublicKey: caller.publicKey.export({ type: "spki", format: "pem" }).toString(), encryptionAlgorithm: "RSAES_OAEP_SHA_256" });
    expect(privateDecrypt({ key: caller.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, wrapped.plainText).toString()).toBe("pq");
  });

  it("ML-DSA-65 signs and verifies", async () => {
    const keyId = await newKey(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65);
    const message = Buffer.from("post-quantum message");
    const { signature } = await kms.postQuantumCryptoSign({ keyId, message });
    expect(signature.length).toBe(3309);
    expect((await kms.postQuantumCryptoVerify({ keyId, message, signatureValue: signature })).signatureValid).toBe(true);
    expect((await kms.postQuantumCryptoVerify({ keyId, message: Buffer.from("other"), signatureValue: signature })).signatureValid).toBe(false);
    expect((await kms.postQuantumCryptoVerify({ keyId, message, signatureValue: new Uint8Array(10) })).signatureValid).toBe(false);
    expect(await codeOf(kms.postQuantumCryptoSign({ keyId, message: new Uint8Array(4097) }))).toBe("InvalidParameterValue");
    const ecc = await newKey(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC);
    expect(await codeOf(kms.postQuantumCryptoSign({ keyId: ecc, message }))).toBe("InvalidParameterValue.InvalidKeyUsage");
    expect(await codeOf(kms.signByAsymmetricKey({ keyId, algorithm: "ML_DSA_65", message }))).toBe("InvalidParameterValue.InvalidKeyUsage");
  });
});

describe("CPU-heavy work runs off the event loop", () => {
  it("Encrypt answers while RSA keys are being generated", async () => {
    const sym = (await kms.createKey({ alias: `asym-${++seq}` })).keyId;
    const events: string[] = [];
    const rsaKeys = Array.from({ length: 8 }, (_, i) =>
      kms.createKey({ alias: `burst-${seq}-${i}`, keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_RSA_2048 }).then(() => events.push("rsa")),
    );
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) {
      await kms.encrypt({ keyId: sym, plaintext: Buffer.from("still here") });
      events.push("encrypt");
    }
    await Promise.all(rsaKeys);
    // The five Encrypts finished before the last RSA key did: the burst did not hold the event loop.
    expect(events.lastIndexOf("encrypt")).toBeLessThan(events.lastIndexOf("rsa"));
  });
});
