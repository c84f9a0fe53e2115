/**
 * What each KeyUsage is: its key spec, Tencent's Type (2 FIPS, 4 GM), the
 * operations it allows and the algorithm names it accepts. Capability checks
 * read this table instead of branching in the actions.
 */
import { KmsError } from "../errors.js";
import type { AsymmetricSpec } from "../crypto/asymmetric/ops.js";
import type { MessageType } from "../crypto/asymmetric/types.js";
import type { KeyRecord, KeyUsage } from "./key.js";

export type UsageKind = "symmetric" | "decrypt" | "sign" | "pq-encrypt" | "pq-sign";

export interface AsymmetricUsage {
  kind: Exclude<UsageKind, "symmetric">;
  spec: AsymmetricSpec;
  keyType: 2 | 4;
  /** Algorithm names as the API spells them; the first is the one ListAlgorithms shows first. */
  algorithms: readonly string[];
}

export const ASYMMETRIC_USAGES: Readonly<Record<Exclude<KeyUsage, "ENCRYPT_DECRYPT">, AsymmetricUsage>> = {
  ASYMMETRIC_DECRYPT_RSA_2048: { kind: "decrypt", spec: "RSA_2048", keyType: 2, algorithms: ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"] },
  ASYMMETRIC_DECRYPT_SM2: { kind: "decrypt", spec: "SM2", keyType: 4, algorithms: ["SM2"] },
  ASYMMETRIC_SIGN_VERIFY_SM2: { kind: "sign", spec: "SM2", keyType: 4, algorithms: ["SM2DSA"] },
  ASYMMETRIC_SIGN_VERIFY_RSA_2048: { kind: "sign", spec: "RSA_2048", keyType: 2, algorithms: ["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"] },
  ASYMMETRIC_SIGN_VERIFY_ECC: { kind: "sign", spec: "EC_P256", keyType: 2, algorithms: ["ECC_P256_R1"] },
  ASYMMETRIC_SIGN_VERIFY_ECDSA384: { kind: "sign", spec: "EC_P384", keyType: 2, algorithms: ["ECC_P384_R1"] },
  ASYMMETRIC_DECRYPT_ML_KEM_768: { kind: "pq-encrypt", spec: "ML_KEM_768", keyType: 2, algorithms: ["ML_KEM_768"] },
  ASYMMETRIC_SIGN_VERIFY_ML_DSA_65: { kind: "pq-sign", spec: "ML_DSA_65", keyType: 2, algorithms: ["ML_DSA_65"] },
};

/** Digest lengths for MessageType DIGEST, by signature algorithm. */
const DIGEST_LENGTH: Readonly<Record<string, number>> = {
  SM2DSA: 32,
  ECC_P256_R1: 32,
  ECC_P384_R1: 48,
  RSA_PSS_SHA_256: 32,
  RSA_PKCS1_SHA_256: 32,
};

export const MAX_MESSAGE_BYTES = 4096;

/** The key's asymmetric usage if it is of `kind` (and, when given, of key spec `spec`), else InvalidKeyUsage. */
export function assertUsageKind(key: KeyRecord, kind: AsymmetricUsage["kind"], spec?: AsymmetricSpec): AsymmetricUsage {
  const usage = key.keyUsage === "ENCRYPT_DECRYPT" ? undefined : ASYMMETRIC_USAGES[key.keyUsage];
  if (!usage || usage.kind !== kind || (spec !== undefined && usage.spec !== spec)) throw new KmsError("InvalidParameterValue.InvalidKeyUsage", `key ${key.keyId} (${key.keyUsage}) does not allow this operation`);
  return usage;
}

export function asymmetricUsageOf(key: KeyRecord): AsymmetricUsage {
  if (key.keyUsage === "ENCRYPT_DECRYPT") throw new KmsError("InvalidParameterValue.InvalidKeyUsage", `key ${key.keyId} is a symmetric key`);
  return ASYMMETRIC_USAGES[key.keyUsage];
}

export function assertAlgorithm(usage: AsymmetricUsage, algorithm: string, key: KeyRecord): void {
  if (!usage.algorithms.includes(algorithm))
    throw new KmsError("InvalidParameterValue", `Algorithm ${algorithm.slice(0, 40) || "(empty)"} is not offered by ${key.keyUsage}; use ${usage.algorithms.join(" or ")}`);
}

/** RAW messages up to 4096 bytes; DIGEST messages exactly the algorithm's hash length. */
export function assertMessage(message: Uint8Array, messageType: MessageType, algorithm: string): void {
  if (messageType === "DIGEST") {
    const n = DIGEST_LENGTH[algorithm];
    if (message.length !== n) throw new KmsError("InvalidParameterValue", `a DIGEST message for ${algorithm} must be exactly ${n} bytes`);
    return;
  }
  if (message.length < 1 || message.length > MAX_MESSAGE_BYTES) throw new KmsError("InvalidParameterValue", `Message must be 1 to ${MAX_MESSAGE_BYTES} bytes`);
}
