/** Secrets Manager's states and types as the console names them (the API's own spellings). */
import { KmsKeyType, SecretStatus, SecretVersionState } from "../../../gen/ssm/v1/ssm_pb.js";
import type { Option } from "../../core/ui.js";

export const STATUS_NAMES: Record<SecretStatus, string> = {
  [SecretStatus.UNSPECIFIED]: "Unspecified",
  [SecretStatus.ENABLED]: "Enabled",
  [SecretStatus.DISABLED]: "Disabled",
  [SecretStatus.PENDING_DELETE]: "PendingDelete",
  [SecretStatus.CREATING]: "Creating",
  [SecretStatus.FAILED]: "Failed",
};

/** ListSecrets' State filter: 0 every state, else the SecretStatus numbers. */
export const STATE_FILTER_OPTIONS: readonly Option[] = [
  { value: "0", label: "Every state" },
  ...[SecretStatus.ENABLED, SecretStatus.DISABLED, SecretStatus.PENDING_DELETE, SecretStatus.CREATING, SecretStatus.FAILED].map((s) => ({ value: String(s), label: STATUS_NAMES[s] })),
];

export const VERSION_STATE_NAMES: Record<SecretVersionState, string> = {
  [SecretVersionState.UNSPECIFIED]: "—",
  [SecretVersionState.ENABLED]: "Enabled",
  [SecretVersionState.DISABLED]: "Disabled",
};

/** SecretType numbers of the API. */
export const SECRET_TYPES: readonly Option[] = [
  { value: "0", label: "User-defined (0)" },
  { value: "1", label: "Database credentials (1)" },
  { value: "2", label: "SSH key pairs (2)" },
  { value: "3", label: "Cloud API key pairs (3)" },
];

export function typeName(type: number): string {
  return ["User-defined", "Database credentials", "SSH key pair", "Cloud API key pair", "Redis"][type] ?? `type ${type}`;
}

export const KMS_KEY_TYPE_NAMES: Record<KmsKeyType, string> = {
  [KmsKeyType.UNSPECIFIED]: "—",
  [KmsKeyType.DEFAULT]: "DEFAULT (Secrets Manager's default key)",
  [KmsKeyType.CUSTOMER]: "CUSTOMER",
};

/** DescribeAsyncRequestInfo's TaskStatus. */
export function taskStatusName(status: number): string {
  return ["In progress", "Succeeded", "Failed"][status] ?? `status ${status}`;
}

/** DescribeRotationHistory's account Version, as Tencent's API spells it, in words. */
const ACCOUNT_ROLES: Record<string, string> = { 生效中: "Current", 待轮转: "Standby" };

export function accountRole(version: string): string | undefined {
  return ACCOUNT_ROLES[version];
}
