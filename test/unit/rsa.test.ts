/** RSA-2048: signatures, encryption, PKCS#1 v1.5 implicit rejection, OpenSSL interop. */
import { execFileSync } from "node:child_process";
import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chooseSyntheticLength,
  createRsaDecrypter,
  createRsaEncrypter,
  createRsaSigner,
  createRsaVerifier,
  generateRsa2048,
  parseRsaPublicKey,
  rsaMaxPlaintextLength,
  selectPkcs1Message,
  type RsaEncryptAlgorithm,
  type RsaSignAlgorithm,
} from "../../src/crypto/asymmetric/rsa.js";
import { AsymmetricInputError, type GeneratedKeyPair, type MessageType } from "../../src/crypto/asymmetric/types.js";

const SIGN_ALGS: RsaSignAlgorithm[] = ["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"];
const ENCRYPT_ALGS: RsaEncryptAlgorithm[] = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5"];
const MESSAGE_TYPES: MessageType[] = ["RAW", "DIGEST"];

const sha256 = (data: Uint8Array): Buffer => createHash("sha256").update(data).digest();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const pem = (der: Uint8Array, label: string): string =>
  `-----BEGIN ${label}-----\n${(Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END ${label}-----\n`;
const publicKeyObject = (spki: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
/** Raw RSA with the public key: turns a chosen 256-byte EM into a ciphertext. */
const rawEncrypt = (spki: Uint8Array, em: Uint8Array): Buffer => publicEncrypt({ key: publicKeyObject(spki), padding: constants.RSA_NO_PADDING }, em);

let keyA: GeneratedKeyPair;
let keyB: GeneratedKeyPair;
let dir: string;

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([generateRsa2048(), generateRsa2048()]);
  dir = mkdtempSync(join(tmpdir(), "rsa-test-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` into the temp dir and runs openssl there; throws when openssl exits non-zero. */
function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): Buffer {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}

describe("RSA-2048 key generation", () => {
  it("produces PKCS#8 / SPKI DER with a 2048-bit modulus and e = 65537", () => {
    const details = publicKeyObject(keyA.publicKeySpki).asymmetricKeyDetails;
    expect(details?.modulusLength).toBe(2048);
    expect(details?.publicExponent).toBe(65537n);
    const priv = createPrivateKey({ key: Buffer.from(keyA.privateKey), format: "der", type: "pkcs8" });
    expect(priv.asymmetricKeyType).toBe("rsa");
    expect(hex(keyA.publicKeySpki)).not.toBe(hex(keyB.publicKeySpki));
  });
});

describe("RSA signatures", () => {
  const message = Buffer.from("the quick brown fox jumps over the lazy dog");

  it("round-trips every algorithm and message type, and rejects tampering", () => {
    const signer = createRsaSigner(keyA.privateKey);
    const verifier = createRsaVerifier(keyA.publicKeySpki);
    for (const alg of SIGN_ALGS) {
      for (const type of MESSAGE_TYPES) {
        const data = type === "RAW" ? message : sha256(message);
        const signature = signer.sign(data, type, alg);
        expect(signature.length).toBe(256);
        expect(verifier.verify(data, signature, type, alg)).toBe(true);
        const tampered = Buffer.from(data);
        tampered[0] = (tampered[0] ?? 0) ^ 1;
        expect(verifier.verify(tampered, signature, type, alg)).toBe(false);
        const otherAlg = alg === "RSA_PSS_SHA_256" ? "RSA_PKCS1_SHA_256" : "RSA_PSS_SHA_256";
        expect(verifier.verify(data, signature, type, otherAlg)).toBe(false);
        expect(createRsaVerifier(keyB.publicKeySpki).verify(data, signature, type, alg)).toBe(false);
      }
    }
  });

  it("DIGEST signs the hash exactly as RAW signs the message", () => {
    const signer = createRsaSigner(keyA.privateKey);
    const verifier = createRsaVerifier(keyA.publicKeySpki);
    const pub = publicKeyObject(keyA.publicKeySpki);
    // PKCS#1 v1.5 is deterministic: identical bytes.
    expect(hex(signer.sign(sha256(message), "DIGEST", "RSA_PKCS1_SHA_256"))).toBe(hex(signer.sign(message, "RAW", "RSA_PKCS1_SHA_256")));
    // PSS is randomised: each verifies as the other, and with the salt length pinned to 32.
    const pssDigest = signer.sign(sha256(message), "DIGEST", "RSA_PSS_SHA_256");
    const pssRaw = signer.sign(message, "RAW", "RSA_PSS_SHA_256");
    const pinned = { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify("sha256", message, pinned, pssDigest)).toBe(true);
    expect(verify("sha256", message, pinned, pssRaw)).toBe(true);
    expect(verify("sha256", message, { ...pinned, saltLength: 20 }, pssDigest)).toBe(false);
    expect(verifier.verify(message, pssDigest, "RAW", "RSA_PSS_SHA_256")).toBe(true);
    expect(verifier.verify(sha256(message), pssRaw, "DIGEST", "RSA_PSS_SHA_256")).toBe(true);
    expect(hex(signer.sign(sha256(message), "DIGEST", "RSA_PSS_SHA_256"))).not.toBe(hex(pssDigest));
    expect(verify("sha256", message, pub, signer.sign(sha256(message), "DIGEST", "RSA_PKCS1_SHA_256"))).toBe(true);
  });

  it("verifies signatures made by node:crypto directly, with any PSS salt length", () => {
    const verifier = createRsaVerifier(keyA.publicKeySpki);
    const key = createPrivateKey({ key: Buffer.from(keyA.privateKey), format: "der", type: "pkcs8" });
    for (const saltLength of [0, 20, 32, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
      const signature = sign("sha256", message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
      expect(verifier.verify(message, signature, "RAW", "RSA_PSS_SHA_256")).toBe(true);
      expect(verifier.verify(sha256(message), signature, "DIGEST", "RSA_PSS_SHA_256")).toBe(true);
    }
    const pkcs1 = sign("sha256", message, key);
    expect(verifier.verify(message, pkcs1, "RAW", "RSA_PKCS1_SHA_256")).toBe(true);
    expect(verifier.verify(sha256(message), pkcs1, "DIGEST", "RSA_PKCS1_SHA_256")).toBe(true);
    // SHA-1 PKCS#1 is not RSA_PKCS1_SHA_256.
    expect(verifier.verify(message, sign("sha1", message, key), "RAW", "RSA_PKCS1_SHA_256")).toBe(false);
  });

  it("refuses DIGEST inputs that are not 32 bytes", () => {
    const signer = createRsaSigner(keyA.privateKey);
    const verifier = createRsaVerifier(keyA.publicKeySpki);
    const good = signer.sign(sha256(message), "DIGEST", "RSA_PKCS1_SHA_256");
    for (const length of [0, 20, 31, 33, 48, 64]) {
      for (const alg of SIGN_ALGS) {
        expect(() => signer.sign(randomBytes(length), "DIGEST", alg)).toThrow(AsymmetricInputError);
        expect(() => verifier.verify(randomBytes(length), good, "DIGEST", alg)).toThrow(AsymmetricInputError);
      }
    }
  });

  it("returns false, never throws, for garbage signatures", () => {
    const verifier = createRsaVerifier(keyA.publicKeySpki);
    const valid = createRsaSigner(keyA.privateKey).sign(message, "RAW", "RSA_PSS_SHA_256");
    const flipped = Buffer.from(valid);
    flipped[100] = (flipped[100] ?? 0) ^ 0x10;
    const garbage = [
      new Uint8Array(0),
      randomBytes(255),
      randomBytes(256),
      randomBytes(257),
      new Uint8Array(256),
      new Uint8Array(256).fill(0xff), // above the modulus
      Buffer.concat([Buffer.of(0), valid]),
      valid.subarray(1),
      flipped,
    ];
    for (const signature of garbage) {
      for (const alg of SIGN_ALGS) {
        expect(verifier.verify(message, signature, "RAW", alg)).toBe(false);
        expect(verifier.verify(sha256(message), signature, "DIGEST", alg)).toBe(false);
      }
    }
  });
});

describe("RSA signatures verify with the OpenSSL CLI", () => {
  const message = Buffer.from("interop message for openssl\n");
  const tampered = Buffer.from("interop message for openssl!\n");
  const pss = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"];

  it.each(MESSAGE_TYPES)("RSA_PSS_SHA_256 %s", (type) => {
    const signature = createRsaSigner(keyA.privateKey).sign(type === "RAW" ? message : sha256(message), type, "RSA_PSS_SHA_256");
    const files = { "pub.pem": pem(keyA.publicKeySpki, "PUBLIC KEY"), "msg.bin": message, "bad.bin": tampered, "sig.bin": signature, "dgst.bin": sha256(message) };
    expect(openssl(["dgst", "-sha256", "-verify", "pub.pem", ...pss, "-signature", "sig.bin", "msg.bin"], files).toString()).toContain("Verified OK");
    const pkeyutl = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-sigfile", "sig.bin", "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32", "-pkeyopt", "digest:sha256"];
    expect(openssl([...pkeyutl, "-in", "dgst.bin"]).toString()).toContain("Signature Verified Successfully");
    expect(() => openssl(["dgst", "-sha256", "-verify", "pub.pem", ...pss, "-signature", "sig.bin", "bad.bin"])).toThrow();
  });

  it.each(MESSAGE_TYPES)("RSA_PKCS1_SHA_256 %s", (type) => {
    const signature = createRsaSigner(keyA.privateKey).sign(type === "RAW" ? message : sha256(message), type, "RSA_PKCS1_SHA_256");
    const files = { "pub.pem": pem(keyA.publicKeySpki, "PUBLIC KEY"), "msg.bin": message, "bad.bin": tampered, "sig.bin": signature, "dgst.bin": sha256(message) };
    expect(openssl(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "msg.bin"], files).toString()).toContain("Verified OK");
    const pkeyutl = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-sigfile", "sig.bin", "-pkeyopt", "digest:sha256"];
    expect(openssl([...pkeyutl, "-in", "dgst.bin"]).toString()).toContain("Signature Verified Successfully");
    expect(() => openssl(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "bad.bin"])).toThrow();
  });

  it("verifies signatures OpenSSL made (PSS with its default maximum salt, and PKCS#1)", () => {
    const files = { "priv.pem": pem(keyA.privateKey, "PRIVATE KEY"), "msg.bin": message };
    const verifier = createRsaVerifier(keyA.publicKeySpki);
    const pssSig = openssl(["dgst", "-sha256", "-sign", "priv.pem", "-sigopt", "rsa_padding_mode:pss", "msg.bin"], files);
    expect(verifier.verify(message, pssSig, "RAW", "RSA_PSS_SHA_256")).toBe(true);
    expect(verifier.verify(sha256(message), pssSig, "DIGEST", "RSA_PSS_SHA_256")).toBe(true);
    const pkcs1Sig = openssl(["dgst", "-sha256", "-sign", "priv.pem", "msg.bin"]);
    expect(verifier.verify(message, pkcs1Sig, "RAW", "RSA_PKCS1_SHA_256")).toBe(true);
    expect(verifier.verify(tampered, pkcs1Sig, "RAW", "RSA_PKCS1_SHA_256")).toBe(false);
  });
});

describe("RSA encryption", () => {
  const OPENSSL_PADDING: Record<RsaEncryptAlgorithm, string[]> = {
    RSAES_OAEP_SHA_1: ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1"],
    RSAES_OAEP_SHA_256: ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"],
    RSAES_PKCS1_V1_5: ["-pkeyopt", "rsa_padding_mode:pkcs1"],
  };

  it("round-trips every algorithm from empty to the maximum plaintext", () => {
    const encrypter = createRsaEncrypter(keyA.publicKeySpki);
    const decrypter = createRsaDecrypter(keyA.privateKey);
    expect(ENCRYPT_ALGS.map(rsaMaxPlaintextLength)).toEqual([214, 190, 245]);
    for (const alg of ENCRYPT_ALGS) {
      for (const length of [0, 1, 32, rsaMaxPlaintextLength(alg)]) {
        const plaintext = randomBytes(length);
        const ciphertext = encrypter.encrypt(plaintext, alg);
        expect(ciphertext.length).toBe(256);
        expect(hex(decrypter.decrypt(ciphertext, alg))).toBe(hex(plaintext));
      }
      expect(() => encrypter.encrypt(randomBytes(rsaMaxPlaintextLength(alg) + 1), alg)).toThrow(AsymmetricInputError);
    }
  });

  it.each(ENCRYPT_ALGS)("decrypts what `openssl pkeyutl -encrypt` made, and OpenSSL decrypts ours (%s)", (alg) => {
    const plaintext = randomBytes(48);
    const files = { "pub.pem": pem(keyA.publicKeySpki, "PUBLIC KEY"), "priv.pem": pem(keyA.privateKey, "PRIVATE KEY"), "pt.bin": plaintext };
    openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "pt.bin", "-out", "ct.bin", ...OPENSSL_PADDING[alg]], files);
    const fromOpenssl = readFileSync(join(dir, "ct.bin"));
    expect(hex(createRsaDecrypter(keyA.privateKey).decrypt(fromOpenssl, alg))).toBe(hex(plaintext));
    const ours = createRsaEncrypter(keyA.publicKeySpki).encrypt(plaintext, alg);
    const decrypted = openssl(["pkeyutl", "-decrypt", "-inkey", "priv.pem", "-in", "ours.bin", ...OPENSSL_PADDING[alg]], { "ours.bin": ours });
    expect(hex(decrypted)).toBe(hex(plaintext));
  });

  it("rejects ciphertexts that are not 256 bytes or not below the modulus, for every algorithm", () => {
    const decrypter = createRsaDecrypter(keyA.privateKey);
    const modulus = Buffer.from(publicKeyObject(keyA.publicKeySpki).export({ format: "jwk" }).n ?? "", "base64url");
    expect(modulus.length).toBe(256);
    for (const alg of ENCRYPT_ALGS) {
      for (const ciphertext of [new Uint8Array(0), randomBytes(255), randomBytes(257), modulus, new Uint8Array(256).fill(0xff)]) {
        expect(() => decrypter.decrypt(ciphertext, alg)).toThrow(AsymmetricInputError);
      }
    }
  });

  it("fails OAEP with one AsymmetricInputError('decryption failed')", () => {
    const decrypter = createRsaDecrypter(keyA.privateKey);
    const encrypter = createRsaEncrypter(keyA.publicKeySpki);
    const sha1 = encrypter.encrypt(Buffer.from("secret"), "RSAES_OAEP_SHA_1");
    // Under key A, but below key B's modulus, so key B gets as far as the OAEP check.
    const modulusB = Buffer.from(publicKeyObject(keyB.publicKeySpki).export({ format: "jwk" }).n ?? "", "base64url");
    let forA = sha1;
    while (Buffer.compare(forA, modulusB) >= 0) forA = encrypter.encrypt(Buffer.from("secret"), "RSAES_OAEP_SHA_1");
    const corrupt = Buffer.from(sha1);
    corrupt[200] = (corrupt[200] ?? 0) ^ 1;
    const failures = [
      () => decrypter.decrypt(sha1, "RSAES_OAEP_SHA_256"),
      () => decrypter.decrypt(corrupt, "RSAES_OAEP_SHA_1"),
      () => decrypter.decrypt(encrypter.encrypt(Buffer.from("x"), "RSAES_PKCS1_V1_5"), "RSAES_OAEP_SHA_1"),
      () => createRsaDecrypter(keyB.privateKey).decrypt(forA, "RSAES_OAEP_SHA_1"),
      () => decrypter.decrypt(new Uint8Array(256), "RSAES_OAEP_SHA_256"),
    ];
    for (const fail of failures) {
      expect(fail).toThrow(AsymmetricInputError);
      expect(fail).toThrow("decryption failed");
    }
  });
});

describe("PKCS#1 v1.5 decryption with implicit rejection", () => {
  /** Builds EM = 00 02 PS 00 M with a non-zero PS, optionally broken by `mutate`. */
  function encodeType2(message: Uint8Array, mutate: (em: Buffer) => void = () => {}): Buffer {
    const em = Buffer.alloc(256);
    em[1] = 0x02;
    const psEnd = 256 - message.length - 1;
    for (let i = 2; i < psEnd; i++) em[i] = 1 + ((randomBytes(1)[0] ?? 0) % 255);
    Buffer.from(message).copy(em, psEnd + 1);
    mutate(em);
    return em;
  }

  const secret = Buffer.from("the real plaintext 0123456789");

  it("decrypts valid ciphertexts of every length, including 8-byte padding", () => {
    const decrypter = createRsaDecrypter(keyA.privateKey);
    const spki = publicKeyObject(keyA.publicKeySpki);
    for (let length = 0; length <= 245; length += 7) {
      const plaintext = randomBytes(length);
      const ciphertext = publicEncrypt({ key: spki, padding: constants.RSA_PKCS1_PADDING }, plaintext);
      expect(hex(decrypter.decrypt(ciphertext, "RSAES_PKCS1_V1_5"))).toBe(hex(plaintext));
    }
    const longest = randomBytes(245); // PS exactly 8 bytes: separator at index 10
    expect(hex(decrypter.decrypt(rawEncrypt(keyA.publicKeySpki, encodeType2(longest)), "RSAES_PKCS1_V1_5"))).toBe(hex(longest));
  });

  it("returns a deterministic synthetic message, never an error, for malformed padding", () => {
    const decrypter = createRsaDecrypter(keyA.privateKey);
    const malformed: Record<string, Uint8Array> = {
      "first byte 01": encodeType2(secret, (em) => (em[0] = 0x01)),
      "second byte 01": encodeType2(secret, (em) => (em[1] = 0x01)),
      "second byte 00": encodeType2(secret, (em) => (em[1] = 0x00)),
      "no zero separator": encodeType2(secret, (em) => (em[256 - secret.length - 1] = 0x5a)),
      "7-byte padding": encodeType2(randomBytes(246)),
      "zero first padding byte": encodeType2(secret, (em) => (em[2] = 0x00)),
      "zero eighth padding byte": encodeType2(secret, (em) => (em[9] = 0x00)),
      "all zero": new Uint8Array(256),
      "00 02 then all zero": encodeType2(new Uint8Array(0), (em) => em.fill(0, 2)),
    };
    const ciphertexts = Object.entries(malformed).map(([name, em]) => [name, rawEncrypt(keyA.publicKeySpki, em)] as const);
    for (let i = 0; i < 8; i++) ciphertexts.push([`random ${i}`, Buffer.concat([Buffer.of(0x00), randomBytes(255)])]);
    const outputs = new Set<string>();
    for (const [name, ciphertext] of ciphertexts) {
      const first = decrypter.decrypt(ciphertext, "RSAES_PKCS1_V1_5");
      const again = createRsaDecrypter(keyA.privateKey).decrypt(ciphertext, "RSAES_PKCS1_V1_5");
      expect(hex(again), name).toBe(hex(first));
      expect(hex(first), name).not.toBe(hex(secret));
      expect(first.length, name).toBeLessThanOrEqual(245);
      outputs.add(hex(first));
    }
    // Pseudo-random per ciphertext, not a fixed fallback (two may both be empty, hence the margin).
    expect(outputs.size).toBeGreaterThan(ciphertexts.length / 2);
  });

  it("derives different synthetic messages under different keys", () => {
    const a = createRsaDecrypter(keyA.privateKey);
    const b = createRsaDecrypter(keyB.privateKey);
    let differing = 0;
    for (let i = 0; i < 5; i++) {
      const ciphertext = Buffer.concat([Buffer.of(0x00), randomBytes(255)]); // below both moduli
      if (hex(a.decrypt(ciphertext, "RSAES_PKCS1_V1_5")) !== hex(b.decrypt(ciphertext, "RSAES_PKCS1_V1_5"))) differing++;
    }
    // Both could (p ≈ 1/246²) pick an empty message; one coincidence is tolerated.
    expect(differing).toBeGreaterThanOrEqual(4);
  });

  it("picks the last masked length candidate below the limit, else 0", () => {
    expect(chooseSyntheticLength(Buffer.from("00050006ffff", "hex"), 246)).toBe(6);
    expect(chooseSyntheticLength(Buffer.from("0005fff60af5", "hex"), 246)).toBe(0xf5);
    expect(chooseSyntheticLength(Buffer.from("00f6fffe00ff", "hex"), 246)).toBe(0);
    expect(chooseSyntheticLength(Buffer.from("01230045", "hex"), 246)).toBe(0x45);
  });

  it("selects real or synthetic bytes by the padding check alone", () => {
    const synthetic = Buffer.alloc(16, 0xaa);
    const valid = Buffer.from("0002" + "11".repeat(8) + "00" + "cafe" + "bb".repeat(3), "hex");
    expect(hex(selectPkcs1Message(valid, synthetic, 3))).toBe("cafebbbbbb");
    const short = Buffer.from("0002" + "11".repeat(7) + "00" + "cafe" + "bb".repeat(4), "hex");
    expect(hex(selectPkcs1Message(short, synthetic, 3))).toBe("aaaaaa");
    expect(hex(selectPkcs1Message(Buffer.alloc(16), synthetic, 0))).toBe("");
  });

  // OpenSSL 3.0's CLI has no implicit rejection (pkeyutl refuses rsa_pkcs1_implicit_rejection),
  // so these are OpenSSL 3.2's own vectors for it: key RSA-2048-2 and the 2048-bit
  // "Bleichenbacher workaround" cases of test/recipes/30-test_evp_data/evppkey_rsa_common.txt
  // (they originate with draft-irtf-cfrg-rsa-guidance / tlsfuzzer).
  describe("OpenSSL 3.2 test vectors", () => {
    const RSA_2048_2 = `-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAyMyDlxQJjaVsqiNkD5PciZfBY3KWj8Gwxt9RE8HJTosh5IrS
KX5lQZARtObY9ec7G3iyV0ADIdHva2AtTsjOjRQclJBetK0wZjmkkgZTS25/JgdC
Ppff/RM8iNchOZ3vvH6WzNy9fzquH+iScSv7SSmBfVEWZkQKH6y3ogj16hZZEK3Y
o/LUlyAjYMy2MgJPDQcWnBkY8xb3lLFDrvVOyHUipMApePlomYC/+/ZJwwfoGBm/
+IQJY41IvZS+FStZ/2SfoL1inQ/6GBPDq/S1a9PC6lRl3/oUWJKSqdiiStJr5+4F
EHQbY4LUPIPVv6QKRmE9BivkRVF9vK8MtOGnaQIDAQABAoIBABRVAQ4PLVh2Y6Zm
pv8czbvw7dgQBkbQKgI5IpCJksStOeVWWSlybvZQjDpxFY7wtv91HTnQdYC7LS8G
MhBELQYD/1DbvXs1/iybsZpHoa+FpMJJAeAsqLWLeRmyDt8yqs+/Ua20vEthubfp
aMqk1XD3DvGNgGMiiJPkfUOe/KeTJZvPLNEIo9hojN8HjnrHmZafIznSwfUiuWlo
RimpM7quwmgWJeq4T05W9ER+nYj7mhmc9xAj4OJXsURBszyE07xnyoAx0mEmGBA6
egpAhEJi912IkM1hblH5A1SI/W4Jnej/bWWk/xGCVIB8n1jS+7qLoVHcjGi+NJyX
eiBOBMECgYEA+PWta6gokxvqRZuKP23AQdI0gkCcJXHpY/MfdIYColY3GziD7UWe
z5cFJkWe3RbgVSL1pF2UdRsuwtrycsf4gWpSwA0YCAFxY02omdeXMiL1G5N2MFSG
lqn32MJKWUl8HvzUVc+5fuhtK200lyszL9owPwSZm062tcwLsz53Yd0CgYEAznou
O0mpC5YzChLcaCvfvfuujdbcA7YUeu+9V1dD8PbaTYYjUGG3Gv2crS00Al5WrIaw
93Q+s14ay8ojeJVCRGW3Bu0iF15XGMjHC2cD6o9rUQ+UW+SOWja7PDyRcytYnfwF
1y2AkDGURSvaITSGR+xylD8RqEbmL66+jrU2sP0CgYB2/hXxiuI5zfHfa0RcpLxr
uWjXiMIZM6T13NKAAz1nEgYswIpt8gTB+9C+RjB0Q+bdSmRWN1Qp1OA4yiVvrxyb
3pHGsXt2+BmV+RxIy768e/DjSUwINZ5OjNalh9e5bWIh/X4PtcVXXwgu5XdpeYBx
sru0oyI4FRtHMUu2VHkDEQKBgQCZiEiwVUmaEAnLx9KUs2sf/fICDm5zZAU+lN4a
AA3JNAWH9+JydvaM32CNdTtjN3sDtvQITSwCfEs4lgpiM7qe2XOLdvEOp1vkVgeL
9wH2fMaz8/3BhuZDNsdrNy6AkQ7ICwrcwj0C+5rhBIaigkgHW06n5W3fzziC5FFW
FHGikQKBgGQ790ZCn32DZnoGUwITR++/wF5jUfghqd67YODszeUAWtnp7DHlWPfp
LCkyjnRWnXzvfHTKvCs1XtQBoaCRS048uwZITlgZYFEWntFMqi76bqBE4FTSYUTM
FinFUBBVigThM/RLfCRNrCW/kTxXuJDuSfVIJZzWNAT+9oWdz5da
-----END RSA PRIVATE KEY-----
`;
    const LOREM = Buffer.from("lorem ipsum").toString("hex");
    // [case, ciphertext, expected plaintext (hex)]
    const VECTORS: [string, string, string][] = [
      [
        "positive",
        "8bfe264e85d3bdeaa6b8851b8e3b956ee3d226fd3f69063a86880173a273d9f283b2eebdd1ed35f7e02d91c571981b6737d5320bd8396b0f3ad5b019daec1b0aab3cbbc026395f4fd14f13673f2dfc81f9b660ec26ac381e6db3299b4e460b43fab9955df2b3cfaa20e900e19c856238fd371899c2bf2ce8c868b76754e5db3b036533fd603746be13c10d4e3e6022ebc905d20c2a7f32b215a4cd53b3f44ca1c327d2c2b651145821c08396c89071f665349c25e44d2733cd9305985ceef6430c3cf57af5fa224089221218fa34737c79c446d28a94c41c96e4e92ac53fbcf384dea8419ea089f8784445a492c812eb0d409467f75afd7d4d1078886205a066",
        Buffer.from("lorem ipsum dolor sit amet").toString("hex"),
      ],
      [
        "negative, decrypts to empty",
        "20aaa8adbbc593a924ba1c5c7990b5c2242ae4b99d0fe636a19a4cf754edbcee774e472fe028160ed42634f8864900cb514006da642cae6ae8c7d087caebcfa6dad1551301e130344989a1d462d4164505f6393933450c67bc6d39d8f5160907cabc251b737925a1cf21e5c6aa5781b7769f6a2a583d97cce008c0f8b6add5f0b2bd80bee60237aa39bb20719fe75749f4bc4e42466ef5a861ae3a92395c7d858d430bfe38040f445ea93fa2958b503539800ffa5ce5f8cf51fa8171a91f36cb4f4575e8de6b4d3f096ee140b938fd2f50ee13f0d050222e2a72b0a3069ff3a6738e82c87090caa5aed4fcbe882c49646aa250b98f12f83c8d528113614a29e7",
        "",
      ],
      [
        "negative, decrypts to a maximum-length message",
        "48cceab10f39a4db32f60074feea473cbcdb7accf92e150417f76b44756b190e843e79ec12aa85083a21f5437e7bad0a60482e601198f9d86923239c8786ee728285afd0937f7dde12717f28389843d7375912b07b991f4fdb0190fced8ba665314367e8c5f9d2981d0f5128feeb46cb50fc237e64438a86df198dd0209364ae3a842d77532b66b7ef263b83b1541ed671b120dfd660462e2107a4ee7b964e734a7bd68d90dda61770658a3c242948532da32648687e0318286473f675b412d6468f013f14d760a358dfcad3cda2afeec5e268a37d250c37f722f468a70dfd92d7294c3c1ee1e7f8843b7d16f9f37ef35748c3ae93aa155cdcdfeb4e78567303",
        "22d850137b9eebe092b24f602dc5bb7918c16bd89ddbf20467b119d205f9c2e4bd7d2592cf1e532106e0f33557565923c73a02d4f09c0c22bea89148183e60317f7028b3aa1f261f91c979393101d7e15f4067e63979b32751658ef769610fe97cf9cef3278b3117d384051c3b1d82c251c2305418c8f6840530e631aad63e70e20e025bcd8efb54c92ec6d3b106a2f8e64eeff7d38495b0fc50c97138af4b1c0a67a1c4e27b077b8439332edfa8608dfeae653cd6a628ac550395f7e74390e42c11682234870925eeaa1fa71b76cf1f2ee3bda69f6717033ff8b7c95c9799e7a3bea5e7e4a1c359772fb6b1c6e6c516661dfe30c3",
      ],
      [
        "negative, length from the second-to-last PRF value",
        "1439e08c3f84c1a7fec74ce07614b20e01f6fa4e8c2a6cffdc3520d8889e5d9a950c6425798f85d4be38d300ea5695f13ecd4cb389d1ff5b82484b494d6280ab7fa78e645933981cb934cce8bfcd114cc0e6811eefa47aae20af638a1cd163d2d3366186d0a07df0c81f6c9f3171cf3561472e98a6006bf75ddb457bed036dcce199369de7d94ef2c68e8467ee0604eea2b3009479162a7891ba5c40cab17f49e1c438cb6eaea4f76ce23cce0e483ff0e96fa790ea15be67671814342d0a23f4a20262b6182e72f3a67cd289711503c85516a9ed225422f98b116f1ab080a80abd6f0216df88d8cfd67c139243be8dd78502a7aaf6bc99d7da71bcdf627e7354",
        "0f9b",
      ],
      [
        "negative, length from the third-to-last PRF value",
        "1690ebcceece2ce024f382e467cf8510e74514120937978576caf684d4a02ad569e8d76cbe365a060e00779de2f0865ccf0d923de3b4783a4e2c74f422e2f326086c390b658ba47f31ab013aa80f468c71256e5fa5679b24e83cd82c3d1e05e398208155de2212993cd2b8bab6987cf4cc1293f19909219439d74127545e9ed8a706961b8ee2119f6bfacafbef91b75a789ba65b8b833bc6149cf49b5c4d2c6359f62808659ba6541e1cd24bf7f7410486b5103f6c0ea29334ea6f4975b17387474fe920710ea61568d7b7c0a7916acf21665ad5a31c4eabcde44f8fb6120d8457afa1f3c85d517cda364af620113ae5a3c52a048821731922737307f77a1081",
        "4f02",
      ],
      [
        "positive, 11 bytes",
        "6213634593332c485cef783ea2846e3d6e8b0e005cd8293eaebbaa5079712fd681579bdfbbda138ae4d9d952917a03c92398ec0cb2bb0c6b5a8d55061fed0d0d8d72473563152648cfe640b335dc95331c21cb133a91790fa93ae44497c128708970d2beeb77e8721b061b1c44034143734a77be8220877415a6dba073c3871605380542a9f25252a4babe8331cdd53cf828423f3cc70b560624d0581fb126b2ed4f4ed358f0eb8065cf176399ac1a846a31055f9ae8c9c24a1ba050bc20842125bc1753158f8065f3adb9cc16bfdf83816bdf38b624f12022c5a6fbfe29bc91542be8c0208a770bcd677dc597f5557dc2ce28a11bf3e3857f158717a33f6592",
        LOREM,
      ],
      [
        "positive, ciphertext with a leading zero byte",
        "00a2e8f114ea8d05d12dc843e3cc3b2edc8229ff2a028bda29ba9d55e3cd02911902fef1f42a075bf05e8016e8567213d6f260fa49e360779dd81aeea3e04c2cb567e0d72b98bf754014561b7511e083d20e0bfb9cd23f8a0d3c88900c49d2fcd5843ff0765607b2026f28202a87aa94678aed22a0c20724541394cd8f44e373eba1d2bae98f516c1e2ba3d86852d064f856b1daf24795e767a2b90396e50743e3150664afab131fe40ea405dcf572dd1079af1d3f0392ccadcca0a12740dbb213b925ca2a06b1bc1383e83a658c82ba2e7427342379084d5f66b544579f07664cb26edd4f10fd913fdbc0de05ef887d4d1ec1ac95652397ea7fd4e4759fda8b",
        LOREM,
      ],
      [
        "positive, ciphertext with two leading zero bytes",
        "00001f71879b426127f7dead621f7380a7098cf7d22173aa27991b143c46d53383c209bd0c9c00d84078037e715f6b98c65005a77120070522ede51d472c87ef94b94ead4c5428ee108a345561658301911ec5a8f7dd43ed4a3957fd29fb02a3529bf63f8040d3953490939bd8f78b2a3404b6fb5ff70a4bfdaac5c541d6bcce49c9778cc390be24cbef1d1eca7e870457241d3ff72ca44f9f56bdf31a890fa5eb3a9107b603ccc9d06a5dd911a664c82b6abd4fe036f8db8d5a070c2d86386ae18d97adc1847640c211d91ff5c3387574a26f8ef27ca7f48d2dd1f0c7f14b81cc9d33ee6853031d3ecf10a914ffd90947909c8011fd30249219348ebff76bfc",
        LOREM,
      ],
      [
        "positive, 0-byte synthetic message internally",
        "b5e49308f6e9590014ffaffc5b8560755739dd501f1d4e9227a7d291408cf4b753f292322ff8bead613bf2caa181b221bc38caf6392deafb28eb21ad60930841ed02fd6225cc9c463409adbe7d8f32440212fbe3881c51375bb09565efb22e62b071472fb38676e5b4e23a0617db5d14d93519ac0007a30a9c822eb31c38b57fcb1be29608fcf1ca2abdcaf5d5752bbc2b5ac7dba5afcff4a5641da360dd01f7112539b1ed46cdb550a3b1006559b9fe1891030ec80f0727c42401ddd6cbb5e3c80f312df6ec89394c5a7118f573105e7ab00fe57833c126141b50a935224842addfb479f75160659ba28877b512bb9a93084ad8bec540f92640f63a11a010e0",
        LOREM,
      ],
      [
        "positive, 245-byte synthetic message internally",
        "1ea0b50ca65203d0a09280d39704b24fe6e47800189db5033f202761a78bafb270c5e25abd1f7ecc6e7abc4f26d1b0cd9b8c648d529416ee64ccbdd7aa72a771d0353262b543f0e436076f40a1095f5c7dfd10dcf0059ccb30e92dfa5e0156618215f1c3ff3aa997a9d999e506924f5289e3ac72e5e2086cc7b499d71583ed561028671155db4005bee01800a7cdbdae781dd32199b8914b5d4011dd6ff11cd26d46aad54934d293b0bc403dd211bf13b5a5c6836a5e769930f437ffd8634fb7371776f4bc88fa6c271d8aa6013df89ae6470154497c4ac861be2a1c65ebffec139bf7aaba3a81c7c5cdd84da9af5d3edfb957848074686b5837ecbcb6a41c50",
        LOREM,
      ],
      [
        "negative, 11-byte synthetic message",
        "5f02f4b1f46935c742ebe62b6f05aa0a3286aab91a49b34780adde6410ab46f7386e05748331864ac98e1da63686e4babe3a19ed40a7f5ceefb89179596aab07ab1015e03b8f825084dab028b6731288f2e511a4b314b6ea3997d2e8fe2825cef8897cbbdfb6c939d441d6e04948414bb69e682927ef8576c9a7090d4aad0e74c520d6d5ce63a154720f00b76de8cc550b1aa14f016d63a7b6d6eaa1f7dbe9e50200d3159b3d099c900116bf4eba3b94204f18b1317b07529751abf64a26b0a0bf1c8ce757333b3d673211b67cc0653f2fe2620d57c8b6ee574a0323a167eab1106d9bc7fd90d415be5f1e9891a0e6c709f4fc0404e8226f8477b4e939b36eb2",
        "af9ac70191c92413cb9f2d",
      ],
      [
        "negative, first byte 0x01",
        "9b2ec9c0c917c98f1ad3d0119aec6be51ae3106e9af1914d48600ab6a2c0c0c8ae02a2dc3039906ff3aac904af32ec798fd65f3ad1afa2e69400e7c1de81f5728f3b3291f38263bc7a90a0563e43ce7a0d4ee9c0d8a716621ca5d3d081188769ce1b131af7d35b13dea99153579c86db31fe07d5a2c14d621b77854e48a8df41b5798563af489a291e417b6a334c63222627376118c02c53b6e86310f728734ffc86ef9d7c8bf56c0c841b24b82b59f51aee4526ba1c4268506d301e4ebc498c6aebb6fd5258c876bf900bac8ca4d309dd522f6a6343599a8bc3760f422c10c72d0ad527ce4af1874124ace3d99bb74db8d69d2528db22c3a37644640f95c05f",
        "a1f8c9255c35cfba403ccc",
      ],
      [
        "negative, second byte 0x01",
        "782c2b59a21a511243820acedd567c136f6d3090c115232a82a5efb0b178285f55b5ec2d2bac96bf00d6592ea7cdc3341610c8fb07e527e5e2d20cfaf2c7f23e375431f45e998929a02f25fd95354c33838090bca838502259e92d86d568bc2cdb132fab2a399593ca60a015dc2bb1afcd64fef8a3834e17e5358d822980dc446e845b3ab4702b1ee41fe5db716d92348d5091c15d35a110555a35deb4650a5a1d2c98025d42d4544f8b32aa6a5e02dc02deaed9a7313b73b49b0d4772a3768b0ea0db5846ace6569cae677bf67fb0acf3c255dc01ec8400c963b6e49b1067728b4e563d7e1e1515664347b92ee64db7efb5452357a02fff7fcb7437abc2e579",
        "e6d700309ca0ed62452254",
      ],
      [
        "negative, ciphertext with a leading zero byte",
        "0096136621faf36d5290b16bd26295de27f895d1faa51c800dafce73d001d60796cd4e2ac3fa2162131d859cd9da5a0c8a42281d9a63e5f353971b72e36b5722e4ac444d77f892a5443deb3dca49fa732fe855727196e23c26eeac55eeced8267a209ebc0f92f4656d64a6c13f7f7ce544ebeb0f668fe3a6c0f189e4bcd5ea12b73cf63e0c8350ee130dd62f01e5c97a1e13f52fde96a9a1bc9936ce734fdd61f27b18216f1d6de87f49cf4f2ea821fb8efd1f92cdad529baf7e31aff9bff4074f2cad2b4243dd15a711adcf7de900851fbd6bcb53dac399d7c880531d06f25f7002e1aaf1722765865d2c2b902c7736acd27bc6cbd3e38b560e2eecf7d4b576",
        "ba27b1842e7c21c0e7ef6a",
      ],
      [
        "negative, ciphertext with two leading zero bytes",
        "0000587cccc6b264bdfe0dc2149a988047fa921801f3502ea64624c510c6033d2f427e3f136c26e88ea9f6519e86a542cec96aad1e5e9013c3cc203b6de15a69183050813af5c9ad79703136d4b92f50ce171eefc6aa7988ecf02f319ffc5eafd6ee7a137f8fce64b255bb1b8dd19cfe767d64fdb468b9b2e9e7a0c24dae03239c8c714d3f40b7ee9c4e59ac15b17e4d328f1100756bce17133e8e7493b54e5006c3cbcdacd134130c5132a1edebdbd01a0c41452d16ed7a0788003c34730d0808e7e14c797a21f2b45a8aa1644357fd5e988f99b017d9df37563a354c788dc0e2f9466045622fa3f3e17db63414d27761f57392623a2bef6467501c63e8d645",
        "d5cf555b1d6151029a429a",
      ],
      [
        "negative, EM starting 00 00 02",
        "1786550ce8d8433052e01ecba8b76d3019f1355b212ac9d0f5191b023325a7e7714b7802f8e9a17c4cb3cd3a84041891471b10ca1fcfb5d041d34c82e6d0011cf4dc76b90e9c2e0743590579d55bcd7857057152c4a8040361343d1d22ba677d62b011407c652e234b1d663af25e2386251d7409190f19fc8ec3f9374fdf1254633874ce2ec2bff40ad0cb473f9761ec7b68da45a4bd5e33f5d7dac9b9a20821df9406b653f78a95a6c0ea0a4d57f867e4db22c17bf9a12c150f809a7b72b6db86c22a8732241ebf3c6a4f2cf82671d917aba8bc61052b40ccddd743a94ea9b538175106201971cca9d136d25081739aaf6cd18b2aecf9ad320ea3f89502f955",
        "3d4a054d9358209e9cbbb9",
      ],
      [
        "negative, zero first padding byte",
        "179598823812d2c58a7eb50521150a48bcca8b4eb53414018b6bca19f4801456c5e36a940037ac516b0d6412ba44ec6b4f268a55ef1c5ffbf18a2f4e3522bb7b6ed89774b79bffa22f7d3102165565642de0d43a955e96a1f2e80e5430671d7266eb4f905dc8ff5e106dc5588e5b0289e49a4913940e392a97062616d2bda38155471b7d360cfb94681c702f60ed2d4de614ea72bf1c53160e63179f6c5b897b59492bee219108309f0b7b8cb2b136c346a5e98b8b4b8415fb1d713bae067911e3057f1c335b4b7e39101eafd5d28f0189037e4334f4fdb9038427b1d119a6702aa8233319cc97d496cc289ae8c956ddc84042659a2d43d6aa22f12b81ab884e",
        "1f037dd717b07d3e7f7359",
      ],
      [
        "negative, zero eighth padding byte",
        "a7a340675a82c30e22219a55bc07cdf36d47d01834c1834f917f18b517419ce9de2a96460e745024436470ed85e94297b283537d52189c406a3f533cb405cc6a9dba46b482ce98b6e3dd52d8fce2237425617e38c11fbc46b61897ef200d01e4f25f5f6c4c5b38cd0de38ba11908b86595a8036a08a42a3d05b79600a97ac18ba368a08d6cf6ccb624f6e8002afc75599fba4de3d4f3ba7d208391ebe8d21f8282b18e2c10869eb2702e68f9176b42b0ddc9d763f0c86ba0ff92c957aaeab76d9ab8da52ea297ec11d92d770146faa1b300e0f91ef969b53e7d2907ffc984e9a9c9d11fb7d6cba91972059b46506b035efec6575c46d7114a6b935864858445f",
        "63cb0bf65fc8255dd29e17",
      ],
      [
        "negative, missing separator",
        "3d1b97e7aa34eaf1f4fc171ceb11dcfffd9a46a5b6961205b10b302818c1fcc9f4ec78bf18ea0cee7e9fa5b16fb4c611463b368b3312ac11cf9c06b7cf72b54e284848a508d3f02328c62c2999d0fb60929f81783c7a256891bc2ff4d91df2af96a24fc5701a1823af939ce6dbdc510608e3d41eec172ad2d51b9fc61b4217c923cadcf5bac321355ef8be5e5f090cdc2bd0c697d9058247db3ad613fdce87d2955a6d1c948a5160f93da21f731d74137f5d1f53a1923adb513d2e6e1589d44cc079f4c6ddd471d38ac82d20d8b1d21f8d65f3b6907086809f4123e08d86fb38729585de026a485d8f0e703fd4772f6668febf67df947b82195fa3867e3a3065",
        "6f09a0b62699337c497b0b",
      ],
    ];
    const pkcs8 = createPrivateKey(RSA_2048_2).export({ type: "pkcs8", format: "der" });

    it.each(VECTORS)("%s", (_name, ciphertext, expected) => {
      expect(Buffer.from(ciphertext, "hex").length).toBe(256);
      expect(hex(createRsaDecrypter(pkcs8).decrypt(Buffer.from(ciphertext, "hex"), "RSAES_PKCS1_V1_5"))).toBe(expected);
    });

    it("rejects the vectors' zero-truncated (255-byte) ciphertext forms by length", () => {
      const truncated = Buffer.from(VECTORS[6]?.[1] ?? "", "hex").subarray(1);
      expect(truncated.length).toBe(255);
      expect(() => createRsaDecrypter(pkcs8).decrypt(truncated, "RSAES_PKCS1_V1_5")).toThrow(AsymmetricInputError);
    });
  });
});

describe("parseRsaPublicKey", () => {
  it("accepts SPKI PEM, PKCS#1 PEM, DER SPKI and PEM bytes, returning DER SPKI", () => {
    const spki = Buffer.from(keyA.publicKeySpki);
    const pkcs1Pem = publicKeyObject(spki).export({ type: "pkcs1", format: "pem" });
    const inputs: (string | Uint8Array)[] = [
      pem(spki, "PUBLIC KEY"),
      pem(spki, "PUBLIC KEY").replace(/\n/g, "\r\n"),
      `  ${pem(spki, "PUBLIC KEY")}\n\n`,
      pkcs1Pem,
      spki,
      Buffer.from(pem(spki, "PUBLIC KEY")),
      Buffer.from(pkcs1Pem),
    ];
    for (const input of inputs) expect(hex(parseRsaPublicKey(input))).toBe(hex(spki));
  });

  it("rejects other sizes, other key types, private keys, certificates and garbage", () => {
    const other = (bits: number): Uint8Array =>
      generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ type: "spki", format: "der" });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
    const spki = Buffer.from(keyA.publicKeySpki);
    const cert = openssl(["req", "-x509", "-key", "priv.pem", "-subj", "/CN=test", "-days", "1"], { "priv.pem": pem(keyA.privateKey, "PRIVATE KEY") }).toString();
    const bad: (string | Uint8Array)[] = [
      other(1024),
      pem(other(3072), "PUBLIC KEY"),
      ec,
      pem(ec, "PUBLIC KEY"),
      pem(keyA.privateKey, "PRIVATE KEY"),
      keyA.privateKey,
      cert,
      "",
      "not a key",
      new Uint8Array(0),
      Buffer.concat([spki, Buffer.of(0)]),
      spki.subarray(0, 200),
      pem(spki, "RSA PUBLIC KEY"), // SPKI under the PKCS#1 label
      pem(Buffer.concat([publicKeyObject(spki).export({ type: "pkcs1", format: "der" }), Buffer.of(0)]), "RSA PUBLIC KEY"), // trailing byte
      pem(spki, "PUBLIC KEY").replace("MII", "M*I"),
      pem(spki, "PUBLIC KEY").replace("-----END PUBLIC KEY-----", "-----END RSA PUBLIC KEY-----"),
    ];
    for (const input of bad) expect(() => parseRsaPublicKey(input)).toThrow(AsymmetricInputError);
  });
});
