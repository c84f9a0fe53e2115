/**
 * Asymmetric keys in the domain: the material of a version (unsealed once,
 * cached), engine calls with their errors mapped to API codes, and plaintext
 * returned under a caller's public key (EncryptionPublicKey).
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { AsymmetricOp, AsymmetricResult } from "../crypto/asymmetric/ops.js";
import { pemToSpki } from "../crypto/asymmetric/pem.js";
import { parseRsaPublicKey } from "../crypto/asymmetric/rsa.js";
import { sm2PublicKeyFromSpki } from "../crypto/asymmetric/sm2.js";
import { AsymmetricInputError } from "../crypto/asymmetric/types.js";
import { materialLabel, UnsealError } from "../crypto/seal.js";
import type { AsymmetricMaterial, KmsDeps } from "./deps.js";
import type { KeyRecord } from "./key.js";
import { primaryVersion } from "./versions.js";

/** The private and public key of a version (the primary one by default). */
export async function asymmetricMaterial(deps: KmsDeps, key: KeyRecord, version = primaryVersion(key)): Promise<AsymmetricMaterial> {
  if (version === undefined) throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} has no enabled version`);
  const cached = deps.privateKeys.get(key.keyId, version);
  if (cached) return cached;
  const record = await deps.repo.getVersion(key.keyId, version);
  if (!record?.publicKey) throw new KmsError("InternalError", `key ${key.keyId} version ${version} has no stored key pair`);
  let privateKey: Uint8Array;
  try {
    privateKey = deps.rootKey.unseal(Buffer.from(record.sealedMaterial, "base64"), materialLabel(key.keyId, version));
  } catch (err) {
    if (err instanceof UnsealError) throw new KmsError("InternalError", `stored material of key ${key.keyId} version ${version} failed its integrity check`, err);
    throw err;
  }
  const material = { privateKey, publicKey: Buffer.from(record.publicKey, "base64") };
  deps.privateKeys.set(key.keyId, version, material);
  return material;
}

/** Runs an engine operation; input errors get `code` (the API's error for that call), never detail from inside. */
export async function runEngine<T extends AsymmetricResult>(deps: KmsDeps, op: AsymmetricOp, code: ErrorCode, message: string): Promise<T> {
  try {
    return (await deps.asymmetric.run(op)) as T;
  } catch (err) {
    if (err instanceof AsymmetricInputError) throw new KmsError(code, message);
    throw err;
  }
}

const REPLY_ALGORITHMS = ["SM2", "SM2_C1C3C2_ASN1", "RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] as const;

/**
 * Decrypt, GenerateDataKey and PostQuantumCryptoDecrypt may return their
 * plaintext encrypted to the caller's PEM public key (RSA-2048 or SM2) instead
 * of in clear. Without a key, the plaintext is returned as is.
 */
export async function replyPlaintext(deps: KmsDeps, plaintext: Uint8Array, publicKeyPem: string, algorithmName: string): Promise<Uint8Array> {
  if (publicKeyPem === "") return plaintext;
  const algorithm = algorithmName === "" ? "SM2" : REPLY_ALGORITHMS.find((a) => a === algorithmName);
  if (!algorithm) throw new KmsError("InvalidParameterValue", `EncryptionAlgorithm must be one of ${REPLY_ALGORITHMS.join(", ")}`);
  let publicKey: Uint8Array;
  try {
    publicKey = algorithm.startsWith("SM2") ? checkedSm2(pemToSpki(publicKeyPem)) : parseRsaPublicKey(publicKeyPem);
  } catch (err) {
    if (err instanceof AsymmetricInputError) throw new KmsError("InvalidParameterValue", `EncryptionPublicKey is not a PEM ${algorithm.startsWith("SM2") ? "SM2" : "RSA-2048"} public key`);
    throw err;
  }
  return runEngine(deps, { op: "encrypt", spec: algorithm.startsWith("SM2") ? "SM2" : "RSA_2048", publicKey, plaintext, algorithm }, "InvalidParameterValue", `the plaintext is too long for ${algorithm}`);
}

function checkedSm2(spki: Uint8Array): Uint8Array {
  sm2PublicKeyFromSpki(spki);
  return spki;
}
