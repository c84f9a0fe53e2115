/** The contract's enums in Tencent's spellings, and what each key usage can do in the console. */
import { KeyState, KeyUsage, Origin } from "../../../gen/kms/v1/kms_pb.js";
import { KeyVersionState } from "../../../gen/kms/v1/versions_pb.js";
import type { Option } from "../../core/ui.js";

export const STATE_NAMES: Record<KeyState, string> = {
  [KeyState.UNSPECIFIED]: "—",
  [KeyState.ENABLED]: "Enabled",
  [KeyState.DISABLED]: "Disabled",
  [KeyState.PENDING_DELETE]: "PendingDelete",
  [KeyState.PENDING_IMPORT]: "PendingImport",
  [KeyState.ARCHIVED]: "Archived",
};

export const VERSION_STATE_NAMES: Record<KeyVersionState, string> = {
  [KeyVersionState.UNSPECIFIED]: "—",
  [KeyVersionState.ENABLED]: "Enabled",
  [KeyVersionState.DISABLED]: "Disabled",
  [KeyVersionState.PENDING_DELETE]: "PendingDelete",
};

export const ORIGIN_NAMES: Record<Origin, string> = {
  [Origin.UNSPECIFIED]: "—",
  [Origin.TENCENT_KMS]: "TENCENT_KMS",
  [Origin.EXTERNAL]: "EXTERNAL",
};

/** What a usage is, in the API's spelling, and which panels its key page offers. */
export type Capability = "encrypt" | "sign" | "rsa-decrypt" | "sm2-decrypt" | "pq-encrypt" | "pq-sign";

export interface UsageInfo {
  name: string;
  label: string;
  kind: "Symmetric" | "Asymmetric" | "Post-quantum";
  capability: Capability;
  /** Signature algorithms (SignByAsymmetricKey) of a signing usage. */
  signAlgorithms?: readonly string[];
}

export const USAGES: Record<Exclude<KeyUsage, KeyUsage.UNSPECIFIED>, UsageInfo> = {
  [KeyUsage.ENCRYPT_DECRYPT]: { name: "ENCRYPT_DECRYPT", label: "Encrypt and decrypt (AES-256-GCM / SM4-GCM)", kind: "Symmetric", capability: "encrypt" },
  [KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048]: { name: "ASYMMETRIC_DECRYPT_RSA_2048", label: "RSA-2048 decryption", kind: "Asymmetric", capability: "rsa-decrypt" },
  [KeyUsage.ASYMMETRIC_DECRYPT_SM2]: { name: "ASYMMETRIC_DECRYPT_SM2", label: "SM2 decryption", kind: "Asymmetric", capability: "sm2-decrypt" },
  [KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2]: { name: "ASYMMETRIC_SIGN_VERIFY_SM2", label: "SM2 signatures", kind: "Asymmetric", capability: "sign", signAlgorithms: ["SM2DSA"] },
  [KeyUsage.ASYMMETRIC_SIGN_VERIFY_RSA_2048]: { name: "ASYMMETRIC_SIGN_VERIFY_RSA_2048", label: "RSA-2048 signatures", kind: "Asymmetric", capability: "sign", signAlgorithms: ["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"] },
  [KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC]: { name: "ASYMMETRIC_SIGN_VERIFY_ECC", label: "ECDSA P-256 signatures", kind: "Asymmetric", capability: "sign", signAlgorithms: ["ECC_P256_R1"] },
  [KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECDSA384]: { name: "ASYMMETRIC_SIGN_VERIFY_ECDSA384", label: "ECDSA P-384 signatures", kind: "Asymmetric", capability: "sign", signAlgorithms: ["ECC_P384_R1"] },
  [KeyUsage.ASYMMETRIC_DECRYPT_ML_KEM_768]: { name: "ASYMMETRIC_DECRYPT_ML_KEM_768", label: "ML-KEM-768 encryption", kind: "Post-quantum", capability: "pq-encrypt" },
  [KeyUsage.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65]: { name: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65", label: "ML-DSA-65 signatures", kind: "Post-quantum", capability: "pq-sign" },
};

export function usageInfo(usage: KeyUsage): UsageInfo {
  return USAGES[usage === KeyUsage.UNSPECIFIED ? KeyUsage.ENCRYPT_DECRYPT : usage];
}

export function isAsymmetric(usage: KeyUsage): boolean {
  return usageInfo(usage).kind !== "Symmetric";
}

/** Usage options grouped by kind, values are the enum numbers. */
export function usageOptions(): { group: string; options: Option[] }[] {
  const groups = new Map<string, Option[]>();
  for (const [value, info] of Object.entries(USAGES)) {
    const list = groups.get(info.kind) ?? [];
    list.push({ value, label: `${info.name}: ${info.label}` });
    groups.set(info.kind, list);
  }
  return [...groups].map(([group, options]) => ({ group, options }));
}

export const STATE_OPTIONS: Option[] = [
  { value: String(KeyState.UNSPECIFIED), label: "Any state" },
  ...[KeyState.ENABLED, KeyState.DISABLED, KeyState.PENDING_DELETE, KeyState.PENDING_IMPORT, KeyState.ARCHIVED].map((s) => ({ value: String(s), label: STATE_NAMES[s] })),
];

export const ORIGIN_OPTIONS: Option[] = [
  { value: String(Origin.UNSPECIFIED), label: "Any origin" },
  { value: String(Origin.TENCENT_KMS), label: "TENCENT_KMS (generated here)" },
  { value: String(Origin.EXTERNAL), label: "EXTERNAL (imported)" },
];
