/**
 * Every asymmetric operation as plain data in, plain data out, so it can run
 * in a worker thread (pool.ts) and keep CPU-heavy work off the event loop.
 * Private keys travel unsealed only between this process's threads.
 */
import { createEcdsaSigner, createEcdsaVerifier, generateEcKeyPair } from "./ecdsa.js";
import { createMlDsaSigner, createMlDsaVerifier, generateMlDsa65 } from "./ml-dsa.js";
import { createMlKemDecrypter, createMlKemEncrypter, generateMlKem768 } from "./ml-kem.js";
import { createRsaDecrypter, createRsaEncrypter, createRsaSigner, createRsaVerifier, generateRsa2048, type RsaEncryptAlgorithm, type RsaSignAlgorithm } from "./rsa.js";
import { createSm2Decrypter, createSm2Encrypter, createSm2Signer, createSm2Verifier, generateSm2KeyPair } from "./sm2.js";
import type { GeneratedKeyPair, MessageType } from "./types.js";

/** Asymmetric key specs. */
export type AsymmetricSpec = "RSA_2048" | "EC_P256" | "EC_P384" | "SM2" | "ML_KEM_768" | "ML_DSA_65";

export type AsymmetricOp =
  | { op: "generate"; spec: AsymmetricSpec }
  | { op: "sign"; spec: AsymmetricSpec; privateKey: Uint8Array; data: Uint8Array; messageType: MessageType; algorithm: string }
  | { op: "verify"; spec: AsymmetricSpec; publicKey: Uint8Array; data: Uint8Array; signature: Uint8Array; messageType: MessageType; algorithm: string }
  | { op: "decrypt"; spec: AsymmetricSpec; privateKey: Uint8Array; ciphertext: Uint8Array; algorithm: string; aad?: Uint8Array }
  | { op: "encrypt"; spec: AsymmetricSpec; publicKey: Uint8Array; plaintext: Uint8Array; algorithm: string; aad?: Uint8Array };

export type AsymmetricResult = GeneratedKeyPair | Uint8Array | boolean;

function unsupported(op: AsymmetricOp): Error {
  return new Error(`asymmetric: ${op.op} is not defined for ${op.spec}`);
}

async function generate(spec: AsymmetricSpec): Promise<GeneratedKeyPair> {
  switch (spec) {
    case "RSA_2048":
      return generateRsa2048();
    case "EC_P256":
      return generateEcKeyPair("P-256");
    case "EC_P384":
      return generateEcKeyPair("P-384");
    case "SM2":
      return generateSm2KeyPair();
    case "ML_KEM_768":
      return generateMlKem768();
    case "ML_DSA_65":
      return generateMlDsa65();
  }
}

function sign(op: Extract<AsymmetricOp, { op: "sign" }>): Uint8Array {
  switch (op.spec) {
    case "RSA_2048":
      return createRsaSigner(op.privateKey).sign(op.data, op.messageType, op.algorithm as RsaSignAlgorithm);
    case "EC_P256":
    case "EC_P384":
      return createEcdsaSigner(op.privateKey, op.spec === "EC_P256" ? "P-256" : "P-384").sign(op.data, op.messageType);
    case "SM2":
      return createSm2Signer(op.privateKey).sign(op.data, op.messageType);
    case "ML_DSA_65":
      return createMlDsaSigner(op.privateKey).sign(op.data);
    default:
      throw unsupported(op);
  }
}

function verify(op: Extract<AsymmetricOp, { op: "verify" }>): boolean {
  switch (op.spec) {
    case "RSA_2048":
      return createRsaVerifier(op.publicKey).verify(op.data, op.signature, op.messageType, op.algorithm as RsaSignAlgorithm);
    case "EC_P256":
    case "EC_P384":
      return createEcdsaVerifier(op.publicKey, op.spec === "EC_P256" ? "P-256" : "P-384").verify(op.data, op.signature, op.messageType);
    case "SM2":
      return createSm2Verifier(op.publicKey).verify(op.data, op.signature, op.messageType);
    case "ML_DSA_65":
      return createMlDsaVerifier(op.publicKey).verify(op.data, op.signature);
    default:
      throw unsupported(op);
  }
}

/** SM2 ciphertext layout by the API's algorithm name: "SM2" is raw C1C3C2. */
function sm2Format(algorithm: string): "C1C3C2" | "C1C3C2_ASN1" {
  return algorithm === "SM2_C1C3C2_ASN1" ? "C1C3C2_ASN1" : "C1C3C2";
}

function decrypt(op: Extract<AsymmetricOp, { op: "decrypt" }>): Uint8Array {
  switch (op.spec) {
    case "RSA_2048":
      return createRsaDecrypter(op.privateKey).decrypt(op.ciphertext, op.algorithm as RsaEncryptAlgorithm);
    case "SM2":
      return createSm2Decrypter(op.privateKey).decrypt(op.ciphertext, sm2Format(op.algorithm));
    case "ML_KEM_768":
      return createMlKemDecrypter(op.privateKey).decrypt(op.ciphertext, op.aad ?? new Uint8Array(0));
    default:
      throw unsupported(op);
  }
}

function encrypt(op: Extract<AsymmetricOp, { op: "encrypt" }>): Uint8Array {
  switch (op.spec) {
    case "RSA_2048":
      return createRsaEncrypter(op.publicKey).encrypt(op.plaintext, op.algorithm as RsaEncryptAlgorithm);
    case "SM2":
      return createSm2Encrypter(op.publicKey).encrypt(op.plaintext, sm2Format(op.algorithm));
    case "ML_KEM_768":
      return createMlKemEncrypter(op.publicKey).encrypt(op.plaintext, op.aad ?? new Uint8Array(0));
    default:
      throw unsupported(op);
  }
}

/** Runs one operation (in whichever thread calls it). */
export async function runAsymmetricOp(op: AsymmetricOp): Promise<AsymmetricResult> {
  switch (op.op) {
    case "generate":
      return generate(op.spec);
    case "sign":
      return sign(op);
    case "verify":
      return verify(op);
    case "decrypt":
      return decrypt(op);
    case "encrypt":
      return encrypt(op);
  }
}
