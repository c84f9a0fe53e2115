/**
 * What each KeyUsage is: the kind of operations it offers, on which key spec.
 * Everything about the spec itself (Type, algorithm names, digest lengths)
 * comes from its registry entry (crypto/asymmetric/registry.ts).
 */
import { KmsError } from "../errors.js";
import { asymmetricSpec } from "../crypto/asymmetric/registry.js";
import type { AsymmetricSpecName, MessageType } from "../crypto/asymmetric/types.js";
import type { KeyRecord, KeyUsage } from "./key.js";

export type UsageKind = "symmetric" | "decrypt" | "sign" | "pq-encrypt" | "pq-sign";
export type AsymmetricKind = Exclude<UsageKind, "symmetric">;
export type AsymmetricKeyUsage = Exclude<KeyUsage, "ENCRYPT_DECRYPT">;

export interface AsymmetricUsage {
  kind: AsymmetricKind;
  spec: AsymmetricSpecName;
}

/** In the order ListAlgorithms shows them. */
export const ASYMMETRIC_USAGES: Readonly<Record<AsymmetricKeyUsage, AsymmetricUsage>> = {
  ASYMMETRIC_DECRYPT_RSA_2048: { kind: "decrypt", spec: "RSA_2048" },
  ASYMMETRIC_DECRYPT_SM2: { kind: "decrypt", spec: "SM2" },
  ASYMMETRIC_SIGN_VERIFY_SM2: { kind: "sign", spec: "SM2" },
  ASYMMETRIC_SIGN_VERIFY_RSA_2048: { kind: "sign", spec: "RSA_2048" },
  ASYMMETRIC_SIGN_VERIFY_ECC: { kind: "sign", spec: "EC_P256" },
  ASYMMETRIC_SIGN_VERIFY_ECDSA384: { kind: "sign", spec: "EC_P384" },
  ASYMMETRIC_DECRYPT_ML_KEM_768: { kind: "pq-encrypt", spec: "ML_KEM_768" },
  ASYMMETRIC_SIGN_VERIFY_ML_DSA_65: { kind: "pq-sign", spec: "ML_DSA_65" },
};

/** Signing kinds use the spec's signature scheme, the others its encryption scheme. */
const SIGNS: Readonly<Record<AsymmetricKind, boolean>> = { decrypt: false, "pq-encrypt": false, sign: true, "pq-sign": true };

/** The algorithm names a usage offers, read once from its spec entry. */
const ALGORITHMS = {} as Record<AsymmetricKeyUsage, readonly string[]>;
for (const [usage, { kind, spec }] of Object.entries(ASYMMETRIC_USAGES) as [AsymmetricKeyUsage, AsymmetricUsage][]) {
  const entry = asymmetricSpec(spec);
  const names = SIGNS[kind] ? entry.signature?.algorithms.map((a) => a.name) : entry.encryption?.algorithms.filter((a) => a.listed).map((a) => a.name);
  if (!names?.length) throw new Error(`key usages: ${usage} offers nothing on ${spec}`);
  ALGORITHMS[usage] = names;
}

/** The algorithm names a usage offers (ListAlgorithms, and the Algorithm a request may name); the first is listed first. */
export function usageAlgorithms(usage: AsymmetricKeyUsage): readonly string[] {
  return ALGORITHMS[usage];
}

/** The kind of operations a key offers. */
export function usageKind(key: KeyRecord): UsageKind {
  return key.keyUsage === "ENCRYPT_DECRYPT" ? "symmetric" : ASYMMETRIC_USAGES[key.keyUsage].kind;
}

/** True for the kinds that sign and verify. */
export function signs(kind: AsymmetricKind): boolean {
  return SIGNS[kind];
}

export const MAX_MESSAGE_BYTES = 4096;

/** A RAW message: 1 to 4096 bytes. */
export function assertRawMessage(message: Uint8Array): void {
  if (message.length < 1 || message.length > MAX_MESSAGE_BYTES) throw new KmsError("InvalidParameterValue", `Message must be 1 to ${MAX_MESSAGE_BYTES} bytes`);
}

/** `algorithm` is one the key's usage offers, else InvalidParameterValue naming them. */
export function assertAlgorithm(usage: AsymmetricKeyUsage, algorithm: string): void {
  const offered = ALGORITHMS[usage];
  if (!offered.includes(algorithm))
    throw new KmsError("InvalidParameterValue", `Algorithm ${algorithm.slice(0, 40) || "(empty)"} is not offered by ${usage}; use ${offered.join(" or ")}`);
}

/** RAW messages up to 4096 bytes; DIGEST messages exactly the signature algorithm's digest length (from its spec entry). */
export function assertMessage(spec: AsymmetricSpecName, algorithm: string, message: Uint8Array, messageType: MessageType): void {
  if (messageType === "RAW") return assertRawMessage(message);
  const n = asymmetricSpec(spec).signature?.algorithms.find((a) => a.name === algorithm)?.digestLength;
  if (n === undefined) throw new KmsError("InvalidParameterValue", `${algorithm} signs RAW messages only`);
  if (message.length !== n) throw new KmsError("InvalidParameterValue", `a DIGEST message for ${algorithm} must be exactly ${n} bytes`);
}
