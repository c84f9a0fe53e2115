/**
 * BYOK: wrap material with the returned public key (node:crypto, and the
 * openssl CLI for OAEP-SHA-256), import it, and prove it is the material in
 * use by building a ciphertext blob from the raw key and the documented
 * format, and decrypting the service's own ciphertext locally.
 */
import { execFileSync } from "node:child_process";
import { constants, createCipheriv, createDecipheriv, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KeyState } from "../../gen/kms/v1/kms_pb.js";
import { codeOf, type ConnectClients, type KmsClient } from "../helpers/clients.js";
import { startTestServer, useServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms } from "../helpers/tencent.js";

const HOUR = 3_600_000;
let ts: TestServer;
let clients: ConnectClients;
let kms: KmsClient;
let seq = 0;
const work = mkdtempSync(join(tmpdir(), "kms-byok-"));

useServer((s, c) => {
  ts = s;
  clients = c;
  kms = c.grpc;
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

type Wrapping = "RSAES_OAEP_SHA_256" | "RSAES_OAEP_SHA_1" | "RSAES_PKCS1_V1_5";

function wrapWithNode(spki: Uint8Array, material: Buffer, alg: Wrapping): Buffer {
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  if (alg === "RSAES_PKCS1_V1_5") return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, material);
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === "RSAES_OAEP_SHA_1" ? "sha1" : "sha256" }, material);
}

function wrapWithOpenssl(spki: Uint8Array, material: Buffer): Buffer {
  const n = ++seq;
  const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(spki).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
  writeFileSync(join(work, `pub${n}.pem`), pem);
  writeFileSync(join(work, `mat${n}`), material);
  execFileSync("openssl", [
    "pkeyutl", "-encrypt", "-pubin", "-inkey", join(work, `pub${n}.pem`), "-in", join(work, `mat${n}`), "-out", join(work, `wrapped${n}`),
    "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
  ]);
  return readFileSync(join(work, `wrapped${n}`));
}

/** A blob built by hand from the documented format v1 (src/crypto/ciphertext.ts), AES-256-GCM. */
function blobFromRawKey(material: Buffer, keyId: string, plaintext: Buffer, canonicalContext: string): Buffer {
  const header = Buffer.alloc(34);
  header[0] = 1;
  header[1] = 1;
  Buffer.from(keyId.replace(/-/g, ""), "hex").copy(header, 2);
  header.writeUInt32BE(1, 18);
  randomBytes(12).copy(header, 22);
  const cipher = createCipheriv("aes-256-gcm", material, header.subarray(22, 34));
  cipher.setAAD(Buffer.concat([header, Buffer.from(canonicalContext)]));
  return Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function openWithRawKey(material: Buffer, blob: Uint8Array, canonicalContext: string): string {
  const b = Buffer.from(blob);
  const decipher = createDecipheriv("aes-256-gcm", material, b.subarray(22, 34));
  decipher.setAAD(Buffer.concat([b.subarray(0, 34), Buffer.from(canonicalContext)]));
  decipher.setAuthTag(b.subarray(b.length - 16));
  return Buffer.concat([decipher.update(b.subarray(34, b.length - 16)), decipher.final()]).toString();
}

async function externalKey(): Promise<string> {
  const { keyId, keyState } = await kms.createKey({ alias: `byok-${++seq}`, type: 2 });
  expect(keyState).toBe(KeyState.PENDING_IMPORT);
  return keyId;
}

async function importMaterial(keyId: string, material: Buffer, alg: Wrapping = "RSAES_OAEP_SHA_256", validTo = 0n, wrap = wrapWithNode) {
  const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm: alg, wrappingKeySpec: "RSA_2048" });
  await kms.importKeyMaterial({ keyId, importToken: params.importToken, encryptedKeyMaterial: wrap(params.publicKey, material, alg), validTo });
  return params;
}

describe("GetParametersForImport", () => {
  it("returns an RSA-2048 wrapping key as DER SPKI, a token and a 24 h validity", async () => {
    const keyId = await externalKey();
    const p = await kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
    const pub = createPublicKey({ key: Buffer.from(p.publicKey), format: "der", type: "spki" });
    expect(pub.asymmetricKeyType).toBe("rsa");
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(p.importToken.length).toBeGreaterThan(30);
    expect(p.parametersValidTo).toBe(BigInt(Math.floor((ts.clock.now() + 24 * HOUR) / 1000)));
  });

  it("refuses symmetric keys made here and unknown algorithms", async () => {
    const keyId = await externalKey();
    const own = (await kms.createKey({ alias: `byok-${++seq}` })).keyId;
    expect(await codeOf(kms.getParametersForImport({ keyId: own, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" }))).toBe("UnsupportedOperation.NotExternalCmk");
    expect(await codeOf(kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_512", wrappingKeySpec: "RSA_2048" }))).toBe("InvalidParameterValue");
    expect(await codeOf(kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_4096" }))).toBe("InvalidParameterValue");
  });
});

describe("ImportKeyMaterial", () => {
  it.each(["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"] as const)("imports material wrapped with %s, and that material is the one in use", async (alg) => {
    const keyId = await externalKey();
    const material = randomBytes(32);
    await importMaterial(keyId, material, alg);
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: KeyState.ENABLED, validTo: 0n, primaryVersion: 1 });

    const handmade = blobFromRawKey(material, keyId, Buffer.from("made outside"), '{"a":"1","b":"2"}');
    const dec = await kms.decrypt({ ciphertextBlob: handmade, encryptionContext: '{"b":"2","a":"1"}' });
    expect(new TextDecoder().decode(dec.plaintext)).toBe("made outside");

    const enc = await kms.encrypt({ keyId, plaintext: Buffer.from("made inside"), encryptionContext: '{"x":"y"}' });
    expect(openWithRawKey(material, enc.ciphertextBlob, '{"x":"y"}')).toBe("made inside");
  });

  it("accepts material wrapped by the openssl CLI with OAEP-SHA-256", async () => {
    const keyId = await externalKey();
    const material = randomBytes(32);
    await importMaterial(keyId, material, "RSAES_OAEP_SHA_256", 0n, (spki, m) => wrapWithOpenssl(spki, m));
    const enc = await kms.encrypt({ keyId, plaintext: Buffer.from("openssl") });
    expect(openWithRawKey(material, enc.ciphertextBlob, "")).toBe("openssl");
  });

  it("uses a token once, for its own key, within 24 hours", async () => {
    const keyId = await externalKey();
    const material = randomBytes(32);
    const p = await kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
    const wrapped = wrapWithNode(p.publicKey, material, "RSAES_OAEP_SHA_256");

    const other = await externalKey();
    expect(await codeOf(kms.importKeyMaterial({ keyId: other, importToken: p.importToken, encryptedKeyMaterial: wrapped }))).toBe("InvalidParameterValue");
    expect(await codeOf(kms.importKeyMaterial({ keyId, importToken: "made-up", encryptedKeyMaterial: wrapped }))).toBe("InvalidParameterValue");

    await kms.importKeyMaterial({ keyId, importToken: p.importToken, encryptedKeyMaterial: wrapped });
    await kms.deleteImportedKeyMaterial({ keyId });
    expect(await codeOf(kms.importKeyMaterial({ keyId, importToken: p.importToken, encryptedKeyMaterial: wrapped }))).toBe("InvalidParameterValue");

    const late = await kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
    ts.clock.advance(24 * HOUR);
    expect(
      await codeOf(kms.importKeyMaterial({ keyId, importToken: late.importToken, encryptedKeyMaterial: wrapWithNode(late.publicKey, material, "RSAES_OAEP_SHA_256") })),
    ).toBe("ResourceUnavailable.TokenExpired");
    // The scheduler drops unused tokens once expired.
    expect((await ts.server.scheduler.runOnce()).map((d) => d.kind)).toContain("import-token-expiry");
    expect((await kms.describeKey({ keyId })).keyMetadata!.keyState).toBe(KeyState.PENDING_IMPORT);
  });

  it("refuses material that does not unwrap to a key of the right length, with one error", async () => {
    const keyId = await externalKey();
    for (const alg of ["RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5"] as const) {
      const p = await kms.getParametersForImport({ keyId, wrappingAlgorithm: alg, wrappingKeySpec: "RSA_2048" });
      const shortKey = wrapWithNode(p.publicKey, randomBytes(16), alg);
      expect(await codeOf(kms.importKeyMaterial({ keyId, importToken: p.importToken, encryptedKeyMaterial: shortKey }))).toBe("InvalidParameter.DecryptMaterialError");
      // Garbage: for PKCS#1 v1.5, implicit rejection turns it into a pseudo-random message: the same error, no padding oracle.
      expect(await codeOf(kms.importKeyMaterial({ keyId, importToken: p.importToken, encryptedKeyMaterial: randomBytes(256) }))).toBe("InvalidParameter.DecryptMaterialError");
      const wrongAlg = wrapWithNode(p.publicKey, randomBytes(32), alg === "RSAES_PKCS1_V1_5" ? "RSAES_OAEP_SHA_256" : "RSAES_PKCS1_V1_5");
      expect(await codeOf(kms.importKeyMaterial({ keyId, importToken: p.importToken, encryptedKeyMaterial: wrongAlg }))).toBe("InvalidParameter.DecryptMaterialError");
    }
    expect((await kms.describeKey({ keyId })).keyMetadata!.keyState).toBe(KeyState.PENDING_IMPORT);
  });

  it("re-imports only the same material after DeleteImportedKeyMaterial, and old ciphertext comes back", async () => {
    const keyId = await externalKey();
    const material = randomBytes(32);
    await importMaterial(keyId, material);
    const enc = await kms.encrypt({ keyId, plaintext: Buffer.from("keep me") });
    await kms.deleteImportedKeyMaterial({ keyId });
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: KeyState.PENDING_IMPORT, versionCount: 0 });
    expect(await codeOf(kms.decrypt({ ciphertextBlob: enc.ciphertextBlob }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await codeOf(kms.deleteImportedKeyMaterial({ keyId }))).toBe("ResourceUnavailable.CmkStateNotSupport");

    const other = await kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
    expect(
      await codeOf(kms.importKeyMaterial({ keyId, importToken: other.importToken, encryptedKeyMaterial: wrapWithNode(other.publicKey, randomBytes(32), "RSAES_OAEP_SHA_256") })),
    ).toBe("InvalidParameterValue.MaterialNotMatch");
    await importMaterial(keyId, material);
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext)).toBe("keep me");
  });

  it("deletes the material at ValidTo and returns the key to PendingImport", async () => {
    const keyId = await externalKey();
    const validTo = BigInt(Math.floor((ts.clock.now() + HOUR) / 1000));
    await importMaterial(keyId, randomBytes(32), "RSAES_OAEP_SHA_256", validTo);
    expect((await kms.describeKey({ keyId })).keyMetadata!.validTo).toBe(validTo);
    ts.clock.advance(HOUR - 1000);
    await ts.server.scheduler.runOnce();
    expect((await kms.describeKey({ keyId })).keyMetadata!.keyState).toBe(KeyState.ENABLED);
    ts.clock.advance(1000);
    expect(await ts.server.scheduler.runOnce()).toContainEqual({ kind: "material-expiry", subject: keyId });
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: KeyState.PENDING_IMPORT, validTo: 0n, versionCount: 0 });
  });

  it("refuses a ValidTo in the past or beyond the API's maximum", async () => {
    const keyId = await externalKey();
    const p = await kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
    const wrapped = wrapWithNode(p.publicKey, randomBytes(32), "RSAES_OAEP_SHA_256");
    for (const validTo of [BigInt(Math.floor(ts.clock.now() / 1000) - 1), 2147443201n])
      expect(await codeOf(kms.importKeyMaterial({ keyId, importToken: p.importToken, encryptedKeyMaterial: wrapped, validTo }))).toBe("InvalidParameterValue");
  });
});

describe("BYOK through the API 3.0 gateway", () => {
  it("works with the official SDK, and a GM server takes 16-byte SM4 material", async () => {
    const gm = await startTestServer({ env: { KMS_DEFAULT_KEY_TYPE: "GM" } });
    const sdk = tencentKms(gm.httpUrl, gm.secretId, gm.secretKey);
    const { KeyId } = await sdk.CreateKey({ Alias: "sdk-byok", Type: 2 });
    const p = await sdk.GetParametersForImport({ KeyId: KeyId!, WrappingAlgorithm: "RSAES_OAEP_SHA_1", WrappingKeySpec: "RSA_2048" });
    expect(typeof p.ParametersValidTo).toBe("number");
    const spki = Buffer.from(p.PublicKey, "base64");
    const bad = wrapWithNode(spki, randomBytes(32), "RSAES_OAEP_SHA_1").toString("base64");
    expect(await sdkCode(sdk.ImportKeyMaterial({ KeyId: KeyId!, ImportToken: p.ImportToken, EncryptedKeyMaterial: bad }))).toBe("InvalidParameter.DecryptMaterialError");
    const good = wrapWithNode(spki, randomBytes(16), "RSAES_OAEP_SHA_1").toString("base64");
    await sdk.ImportKeyMaterial({ KeyId: KeyId!, ImportToken: p.ImportToken, EncryptedKeyMaterial: good, ValidTo: 0 });
    const md = (await sdk.DescribeKey({ KeyId: KeyId! })).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: "Enabled", Origin: "EXTERNAL", Type: 4 });
    const enc = await sdk.Encrypt({ KeyId: KeyId!, Plaintext: Buffer.from("sm4 byok").toString("base64") });
    expect(Buffer.from((await sdk.Decrypt({ CiphertextBlob: enc.CiphertextBlob! })).Plaintext!, "base64").toString()).toBe("sm4 byok");
    expect(await sdkCode(sdk.EnableKeyRotation({ KeyId: KeyId! }))).toBe("UnsupportedOperation.ExternalCmkCanNotRotate");
    await sdk.DeleteImportedKeyMaterial({ KeyId: KeyId! });
    expect((await sdk.DescribeKey({ KeyId: KeyId! })).KeyMetadata!.KeyState).toBe("PendingImport");
    await gm.dispose();
  });
});
