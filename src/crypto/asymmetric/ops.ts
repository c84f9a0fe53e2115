/**
 * Every asymmetric operation as plain data in, plain data out, so it can run
 * in a worker thread (pool.ts) and keep CPU-heavy work off the event loop.
 * Private keys travel unsealed only between this process's threads.
 */
import { createHash } from "node:crypto";
import { createEcdsaSigner, createEcdsaVerifier, generateEcKeyPair } from "./ecdsa.js";
import { createMlDsaSigner, createMlDsaVerifier, generateMlDsa65 } from "./ml-dsa.js";
import { createMlKemDecrypter, createMlKemEncrypter, generateMlKem768 } from "./ml-kem.js";
import { createRsaDecrypter, createRsaEncrypter, createRsaSigner, createRsaVerifier, generateRsa2048, type RsaEncryptAlgorithm, type RsaSignAlgorithm } from "./rsa.js";
import { createSm2Decrypter, createSm2Encrypter, createSm2Signer, createSm2Verifier, generateSm2KeyPair } from "./sm2.js";
import type { GeneratedKeyPair, MessageType } from "./types.js";
import { generateWhiteBoxTables, type WhiteBoxAlgorithm } from "../whitebox/index.js";

/** Asymmetric key specs. */
export type AsymmetricSpec = "RSA_2048" | "EC_P256" | "EC_P384" | "SM2" | "ML_KEM_768" | "ML_DSA_65";

export type AsymmetricOp =
  | { op: "generate"; spec: AsymmetricSpec }
  | { op: "sign"; spec: AsymmetricSpec; privateKey: Uint8Array; data: Uint8Array; messageType: MessageType; algorithm: string }
  | { op: "verify"; spec: AsymmetricSpec; publicKey: Uint8Array; data: Uint8Array; signature: Uint8Array; messageType: MessageType; algorithm: string }
  | { op: "decrypt"; spec: AsymmetricSpec; privateKey: Uint8Array; ciphertext: Uint8Array; algorithm: string; aad?: Uint8Array }
  | { op: "encrypt"; spec: AsymmetricSpec; publicKey: Uint8Array; plaintext: Uint8Array; algorithm: string; aad?: Uint8Array }
  /** A white-box key's two table files (about 130 ms of CPU for AES-256): not asymmetric, but CPU-heavy key generation all the same. */
  | { op: "whitebox-tables"; algorithm: WhiteBoxAlgorithm; key: Uint8Array };

/** What "whitebox-tables" answers: the two files and the table id they share. */
export interface WhiteBoxTableFiles {
  tableId: Uint8Array;
  encryptTables: Uint8Array;
  decryptTables: Uint8Array;
}

export type AsymmetricResult = GeneratedKeyPair | Uint8Array | boolean | WhiteBoxTableFiles;

/**
 * Prepared key objects (parsed DER, expanded lattice keys, SM2 verification
 * tables), by role and key bytes: building them costs more than the operation
 * itself (measured: ECDSA P-256 sign 1.5k/s rebuilt per call vs 31k/s raw).
 * Bounded; each worker thread has its own.
 */
const PREPARED_MAX = 512;
const prepared = new Map<string, unknown>();

function prepare<T>(role: string, key: Uint8Array, make: () => T): T {
  const id = `${role}:${createHash("sha256").update(key).digest("base64")}`;
  const hit = prepared.get(id) as T | undefined;
  if (hit !== undefined) {
    prepared.delete(id);
    prepared.set(id, hit);
    return hit;
  }
  const made = make();
  prepared.set(id, made);
  if (prepared.size > PREPARED_MAX) prepared.delete(prepared.keys().next().value as string);
  return made;
}

function unsupported(op: Extract<AsymmetricOp, { spec: AsymmetricSpec }>): Error {
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
      return prepare("rsa-sign", op.privateKey, () => createRsaSigner(op.privateKey)).sign(op.data, op.messageType, op.algorithm as RsaSignAlgorithm);
    case "EC_P256":
    case "EC_P384":
      return prepare(`ecdsa-sign-${op.spec}`, op.privateKey, () => createEcdsaSigner(op.privateKey, op.spec === "EC_P256" ? "P-256" : "P-384")).sign(op.data, op.messageType);
    case "SM2":
      return prepare("sm2-sign", op.privateKey, () => createSm2Signer(op.privateKey)).sign(op.data, op.messageType);
    case "ML_DSA_65":
      return prepare("ml-dsa-sign", op.privateKey, () => createMlDsaSigner(op.privateKey)).sign(op.data);
    default:
      throw unsupported(op);
  }
}

function verify(op: Extract<AsymmetricOp, { op: "verify" }>): boolean {
  switch (op.spec) {
    case "RSA_2048":
      return prepare("rsa-verify", op.publicKey, () => createRsaVerifier(op.publicKey)).verify(op.data, op.signature, op.messageType, op.algorithm as RsaSignAlgorithm);
    case "EC_P256":
    case "EC_P384":
      return prepare(`ecdsa-verify-${op.spec}`, op.publicKey, () => createEcdsaVerifier(op.publicKey, op.spec === "EC_P256" ? "P-256" : "P-384")).verify(op.data, op.signature, op.messageType);
    case "SM2":
      return prepare("sm2-verify", op.publicKey, () => createSm2Verifier(op.publicKey)).verify(op.data, op.signature, op.messageType);
    case "ML_DSA_65":
      return prepare("ml-dsa-verify", op.publicKey, () => createMlDsaVerifier(op.publicKey)).verify(op.data, op.signature);
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
      return prepare("rsa-decrypt", op.privateKey, () => createRsaDecrypter(op.privateKey)).decrypt(op.ciphertext, op.algorithm as RsaEncryptAlgorithm);
    case "SM2":
      return prepare("sm2-decrypt", op.privateKey, () => createSm2Decrypter(op.privateKey)).decrypt(op.ciphertext, sm2Format(op.algorithm));
    case "ML_KEM_768":
      return prepare("ml-kem-decrypt", op.privateKey, () => createMlKemDecrypter(op.privateKey)).decrypt(op.ciphertext, op.aad ?? new Uint8Array(0));
    default:
      throw unsupported(op);
  }
}

function encrypt(op: Extract<AsymmetricOp, { op: "encrypt" }>): Uint8Array {
  switch (op.spec) {
    case "RSA_2048":
      return prepare("rsa-encrypt", op.publicKey, () => createRsaEncrypter(op.publicKey)).encrypt(op.plaintext, op.algorithm as RsaEncryptAlgorithm);
    case "SM2":
      return prepare("sm2-encrypt", op.publicKey, () => createSm2Encrypter(op.publicKey)).encrypt(op.plaintext, sm2Format(op.algorithm));
    case "ML_KEM_768":
      return prepare("ml-kem-encrypt", op.publicKey, () => createMlKemEncrypter(op.publicKey)).encrypt(op.plaintext, op.aad ?? new Uint8Array(0));
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
    case "whitebox-tables": {
      const set = generateWhiteBoxTables(op.algorithm, op.key);
      return { tableId: set.tableId, encryptTables: set.encryptTables, decryptTables: set.decryptTables };
    }
  }
}
