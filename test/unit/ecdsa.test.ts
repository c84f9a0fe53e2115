/** ECDSA P-256 / P-384: RAW and DIGEST signing, strict DER, OpenSSL interop. */
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEcdsaSigner,
  createEcdsaVerifier,
  EC_SIGN_ALGORITHM,
  ecDigestLength,
  generateEcKeyPair,
  isStrictDerSignature,
  type EcCurve,
} from "../../src/crypto/asymmetric/ecdsa.js";
import { AsymmetricInputError, type GeneratedKeyPair } from "../../src/crypto/asymmetric/types.js";

const CURVES: EcCurve[] = ["P-256", "P-384"];
const HASH: Record<EcCurve, "sha256" | "sha384"> = { "P-256": "sha256", "P-384": "sha384" };
const OPENSSL_CURVE: Record<EcCurve, string> = { "P-256": "prime256v1", "P-384": "secp384r1" };

const digest = (curve: EcCurve, data: Uint8Array): Buffer => createHash(HASH[curve]).update(data).digest();
const pem = (der: Uint8Array, label: string): string =>
  `-----BEGIN ${label}-----\n${(Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END ${label}-----\n`;
const publicKeyObject = (spki: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
const privateKeyObject = (pkcs8: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });

const keys = {} as Record<EcCurve, GeneratedKeyPair>;
const others = {} as Record<EcCurve, GeneratedKeyPair>;
let dir: string;

beforeAll(async () => {
  for (const curve of CURVES) {
    [keys[curve], others[curve]] = await Promise.all([generateEcKeyPair(curve), generateEcKeyPair(curve)]);
  }
  dir = mkdtempSync(join(tmpdir(), "ecdsa-test-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` into the temp dir and runs openssl there; throws when openssl exits non-zero. */
function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): Buffer {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}

describe.each(CURVES)("ECDSA %s", (curve) => {
  const message = Buffer.from(`message signed on ${curve}`);
  const hash = HASH[curve];

  it("generates PKCS#8 / SPKI DER keys on the curve", () => {
    expect(publicKeyObject(keys[curve].publicKeySpki).asymmetricKeyDetails?.namedCurve).toBe(OPENSSL_CURVE[curve]);
    expect(privateKeyObject(keys[curve].privateKey).asymmetricKeyType).toBe("ec");
    expect(ecDigestLength(curve)).toBe(curve === "P-256" ? 32 : 48);
    expect(EC_SIGN_ALGORITHM[curve]).toBe(curve === "P-256" ? "ECC_P256_R1" : "ECC_P384_R1");
  });

  it("round-trips RAW and DIGEST, and rejects tampering and other keys", () => {
    const signer = createEcdsaSigner(keys[curve].privateKey, curve);
    const verifier = createEcdsaVerifier(keys[curve].publicKeySpki, curve);
    const stranger = createEcdsaVerifier(others[curve].publicKeySpki, curve);
    for (const [type, data] of [["RAW", message], ["DIGEST", digest(curve, message)]] as const) {
      const signature = signer.sign(data, type);
      expect(isStrictDerSignature(signature, ecDigestLength(curve))).toBe(true);
      expect(verifier.verify(data, signature, type)).toBe(true);
      const tampered = Buffer.from(data);
      tampered[3] = (tampered[3] ?? 0) ^ 0x40;
      expect(verifier.verify(tampered, signature, type)).toBe(false);
      expect(stranger.verify(data, signature, type)).toBe(false);
    }
  });

  it("DIGEST signatures are signatures of the original message, and vice versa", () => {
    const signer = createEcdsaSigner(keys[curve].privateKey, curve);
    const verifier = createEcdsaVerifier(keys[curve].publicKeySpki, curve);
    const pub = publicKeyObject(keys[curve].publicKeySpki);
    for (let i = 0; i < 10; i++) {
      const data = randomBytes(1 + i * 37);
      const fromDigest = signer.sign(digest(curve, data), "DIGEST");
      expect(verify(hash, data, { key: pub, dsaEncoding: "der" }, fromDigest)).toBe(true);
      expect(verifier.verify(data, fromDigest, "RAW")).toBe(true);
      expect(verifier.verify(digest(curve, data), signer.sign(data, "RAW"), "DIGEST")).toBe(true);
    }
    // Hedged nonces: signing the same digest twice differs.
    const d = digest(curve, message);
    expect(Buffer.from(signer.sign(d, "DIGEST")).equals(Buffer.from(signer.sign(d, "DIGEST")))).toBe(false);
  });

  it("verifies node:crypto signatures (either s half) and rejects IEEE P1363 encoding", () => {
    const verifier = createEcdsaVerifier(keys[curve].publicKeySpki, curve);
    const key = privateKeyObject(keys[curve].privateKey);
    for (let i = 0; i < 20; i++) {
      const signature = sign(hash, message, { key, dsaEncoding: "der" });
      expect(verifier.verify(message, signature, "RAW")).toBe(true);
      expect(verifier.verify(digest(curve, message), signature, "DIGEST")).toBe(true);
    }
    const p1363 = sign(hash, message, { key, dsaEncoding: "ieee-p1363" });
    expect(verifier.verify(message, p1363, "RAW")).toBe(false);
    expect(verifier.verify(digest(curve, message), p1363, "DIGEST")).toBe(false);
  });

  it("refuses DIGEST inputs of the wrong length", () => {
    const signer = createEcdsaSigner(keys[curve].privateKey, curve);
    const verifier = createEcdsaVerifier(keys[curve].publicKeySpki, curve);
    const good = signer.sign(message, "RAW");
    const wrong = curve === "P-256" ? [0, 20, 31, 33, 48, 64] : [0, 32, 47, 49, 64];
    for (const length of wrong) {
      expect(() => signer.sign(randomBytes(length), "DIGEST")).toThrow(AsymmetricInputError);
      expect(() => verifier.verify(randomBytes(length), good, "DIGEST")).toThrow(AsymmetricInputError);
    }
  });

  it("returns false, never throws, for garbage and non-DER signatures", () => {
    const verifier = createEcdsaVerifier(keys[curve].publicKeySpki, curve);
    const good = Buffer.from(createEcdsaSigner(keys[curve].privateKey, curve).sign(message, "RAW"));
    const rLength = good[3] ?? 0;
    const r = good.subarray(4, 4 + rLength);
    const s = good.subarray(6 + rLength);
    const der = (...parts: Buffer[]): Buffer => {
      const body = Buffer.concat(parts);
      return Buffer.concat([Buffer.of(0x30, body.length), body]);
    };
    const int = (bytes: Uint8Array): Buffer => Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
    expect(verifier.verify(message, der(int(r), int(s)), "RAW")).toBe(true); // the helpers rebuild it exactly
    const garbage: Uint8Array[] = [
      new Uint8Array(0),
      randomBytes(64),
      randomBytes(72),
      Buffer.concat([good, Buffer.of(0)]), // trailing byte
      good.subarray(0, good.length - 1),
      der(int(Buffer.concat([Buffer.of(0), r])), int(s)), // non-minimal r (or too long)
      der(int(r), int(Buffer.concat([Buffer.of(0, 0), s]))), // non-minimal s
      der(int(Buffer.of(0)), int(s)), // r = 0
      der(int(r), int(Buffer.of(0x80 | (s[0] ?? 0), ...s.subarray(1)))), // negative or changed s
      Buffer.concat([Buffer.of(0x30, 0x81, good.length - 2), good.subarray(2)]), // long-form length
      der(int(r)), // one integer only
      der(int(r), int(s), int(s)), // three integers
      Buffer.concat([Buffer.of(0x31), good.subarray(1)]), // SET, not SEQUENCE
    ];
    for (const signature of garbage) {
      expect(verifier.verify(message, signature, "RAW")).toBe(false);
      expect(verifier.verify(digest(curve, message), signature, "DIGEST")).toBe(false);
    }
  });

  it("rejects a key from the other curve", () => {
    const other: EcCurve = curve === "P-256" ? "P-384" : "P-256";
    expect(() => createEcdsaSigner(keys[other].privateKey, curve)).toThrow();
    expect(() => createEcdsaVerifier(keys[other].publicKeySpki, curve)).toThrow();
  });

  describe("OpenSSL CLI interop", () => {
    const tampered = Buffer.from(`message signed on ${curve}!`);

    it.each(["RAW", "DIGEST"] as const)("our %s signature verifies with openssl dgst and pkeyutl", (type) => {
      const signature = createEcdsaSigner(keys[curve].privateKey, curve).sign(type === "RAW" ? message : digest(curve, message), type);
      const files = { "pub.pem": pem(keys[curve].publicKeySpki, "PUBLIC KEY"), "msg.bin": message, "bad.bin": tampered, "sig.der": signature, "dgst.bin": digest(curve, message) };
      expect(openssl(["dgst", `-${hash}`, "-verify", "pub.pem", "-signature", "sig.der", "msg.bin"], files).toString()).toContain("Verified OK");
      // pkeyutl takes the digest as is for EC keys.
      expect(openssl(["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "dgst.bin", "-sigfile", "sig.der"]).toString()).toContain(
        "Signature Verified Successfully",
      );
      expect(() => openssl(["dgst", `-${hash}`, "-verify", "pub.pem", "-signature", "sig.der", "bad.bin"])).toThrow();
    });

    it("verifies a signature made by openssl dgst -sign", () => {
      const files = { "priv.pem": pem(keys[curve].privateKey, "PRIVATE KEY"), "msg.bin": message };
      const signature = openssl(["dgst", `-${hash}`, "-sign", "priv.pem", "msg.bin"], files);
      const verifier = createEcdsaVerifier(keys[curve].publicKeySpki, curve);
      expect(verifier.verify(message, signature, "RAW")).toBe(true);
      expect(verifier.verify(digest(curve, message), signature, "DIGEST")).toBe(true);
      expect(verifier.verify(tampered, signature, "RAW")).toBe(false);
    });
  });
});

describe("isStrictDerSignature", () => {
  it("checks structure, minimal positive integers and their size", () => {
    expect(isStrictDerSignature(Buffer.from("3006020101020101", "hex"), 32)).toBe(true);
    expect(isStrictDerSignature(Buffer.from("300702020080020101", "hex"), 32)).toBe(true); // 0x80 needs its zero
    expect(isStrictDerSignature(Buffer.from("300702020001020101", "hex"), 32)).toBe(false); // non-minimal
    expect(isStrictDerSignature(Buffer.from("3006020181020101", "hex"), 32)).toBe(false); // negative
    expect(isStrictDerSignature(Buffer.from("3006020100020101", "hex"), 32)).toBe(false); // zero
    expect(isStrictDerSignature(Buffer.from("3007020101020101", "hex"), 32)).toBe(false); // length mismatch
    const tooLong = Buffer.concat([Buffer.from("302602210101", "hex"), Buffer.alloc(31, 1), Buffer.from("020101", "hex")]);
    expect(isStrictDerSignature(tooLong, 32)).toBe(false); // 33-byte magnitude on P-256
    expect(isStrictDerSignature(tooLong, 48)).toBe(true);
  });
});
