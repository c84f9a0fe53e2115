/**
 * Field rules of Secrets Manager as the SDK documents them (ssm_models.d.ts),
 * each throwing InvalidParameterValue, the code every SSM action documents
 * for a bad value. Messages name the field and the limit, never a value.
 */
import { KmsError } from "../errors.js";
import type { SecretTag, SecretValue } from "./secret.js";

/** "最长128字节，使用字母、数字或者 - _ 的组合，第一个字符必须为字母或者数字" */
const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** "最长64 字节，使用字母、数字或者 - _ . 的组合并且以字母或数字开头" */
const VERSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** "可由数字，字母和下划线组成，只能以数字和字母开头，长度不超过25个字符" */
const SSH_KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_]{0,24}$/;
const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** CreateSecret's default first version (and the id cloud-product secrets always use). */
export const DEFAULT_VERSION_ID = "SSM_Current";
export const MAX_DESCRIPTION_BYTES = 2048;
/** "最大支持32KB字节": the value's bytes (UTF-8 of a SecretString, decoded bytes of a SecretBinary). */
export const MAX_VALUE_BYTES = 32 * 1024;
/** "一个凭据下最多可以支持10个版本" */
export const MAX_VERSIONS = 10;
export const MAX_TAGS = 50;
export const MAX_RECOVERY_DAYS = 30;
export const MAX_ADDITIONAL_CONFIG_BYTES = 2048;
/** ListSecrets: "0或不设置则使用默认值 20". */
export const DEFAULT_PAGE = 20;

function invalid(message: string): KmsError {
  return new KmsError("InvalidParameterValue", message);
}

export function assertSecretName(name: string, field = "SecretName"): void {
  if (name === "") throw invalid(`${field} is required`);
  if (!SECRET_NAME_RE.test(name))
    throw invalid(`${field} must be 1 to 128 letters, digits, '-' or '_', starting with a letter or digit`);
}

export function assertVersionId(versionId: string, field = "VersionId"): void {
  if (versionId === "") throw invalid(`${field} is required`);
  if (!VERSION_ID_RE.test(versionId))
    throw invalid(`${field} must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit`);
}

export function isSshKeyName(name: string): boolean {
  return SSH_KEY_NAME_RE.test(name);
}

export function assertSshKeyName(name: string): void {
  if (!isSshKeyName(name)) throw invalid("SSHKeyName must be 1 to 25 letters, digits or '_', starting with a letter or digit");
}

export function assertDescription(description: string, field = "Description"): void {
  if (Buffer.byteLength(description, "utf8") > MAX_DESCRIPTION_BYTES) throw invalid(`${field} exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
}

/** A CMK id as the key domain issues them (a UUID); empty is left to the caller (it means "the default CMK"). */
export function assertKmsKeyId(keyId: string, field = "KmsKeyId"): void {
  if (!KEY_ID_RE.test(keyId)) throw invalid(`${field} is not a valid KMS key id`);
}

export function assertTags(tags: readonly SecretTag[]): void {
  if (tags.length > MAX_TAGS) throw invalid(`Tags has more than ${MAX_TAGS} entries`);
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length < 1 || key.length > 127) throw invalid("TagKey must be 1 to 127 characters");
    if (value.length > 255) throw invalid("TagValue must be at most 255 characters");
    if (seen.has(key)) throw new KmsError("InvalidParameterValue.TagKeysDuplicated", `TagKey "${key.slice(0, 127)}" appears twice`);
    seen.add(key);
  }
}

/**
 * "SecretBinary 和 SecretString 必须且只能设置一个": exactly one, 1 to 32 KB.
 * Presence is the field's presence (proto3 optional), so an empty string
 * given on purpose is "set" and refused for being empty.
 */
export function valueOf(secretBinary: Uint8Array | undefined, secretString: string | undefined): SecretValue {
  if ((secretBinary === undefined) === (secretString === undefined))
    throw invalid("exactly one of SecretBinary and SecretString must be set");
  const value: SecretValue =
    secretBinary !== undefined ? { kind: "binary", bytes: secretBinary } : { kind: "string", bytes: Buffer.from(secretString as string, "utf8") };
  const field = value.kind === "binary" ? "SecretBinary" : "SecretString";
  if (value.bytes.length === 0) throw invalid(`${field} must not be empty`);
  if (value.bytes.length > MAX_VALUE_BYTES) throw invalid(`${field} exceeds ${MAX_VALUE_BYTES} bytes`);
  return value;
}

/** "0（默认）表示立即删除， 1-30 表示预留的天数". */
export function assertRecoveryWindow(days: number): void {
  if (!Number.isInteger(days) || days < 0 || days > MAX_RECOVERY_DAYS) throw invalid(`RecoveryWindowInDays must be 0 to ${MAX_RECOVERY_DAYS}`);
}

/** Only KMS encryption (EncryptType 0) exists here. */
export function assertEncryptType(encryptType: number): void {
  if (encryptType !== 0) throw invalid("EncryptType must be 0 (KMS CMK): software-key encryption is not offered");
}

/** No dedicated KMS cluster exists here, so none can be named. */
export function assertNoHsmCluster(clusterId: string): void {
  if (clusterId !== "") throw invalid("KmsHsmClusterId must be empty: this service has no dedicated KMS cluster");
}

/** AdditionalConfig: empty or a JSON object, at most 2048 bytes. */
export function assertAdditionalConfig(config: string): void {
  if (config === "") return;
  if (Buffer.byteLength(config, "utf8") > MAX_ADDITIONAL_CONFIG_BYTES) throw invalid(`AdditionalConfig exceeds ${MAX_ADDITIONAL_CONFIG_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch {
    throw invalid("AdditionalConfig must be a JSON object");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw invalid("AdditionalConfig must be a JSON object");
}

/** A field that takes a small set of numbers. */
export function assertOneOf(field: string, value: number, allowed: readonly number[]): void {
  if (!allowed.includes(value)) throw invalid(`${field} must be one of ${allowed.join(", ")}`);
}

/** Unix seconds (int64 on the wire) → milliseconds, for window bounds; 0 stays "unset". */
export function unixSecondsToMs(field: string, seconds: bigint): number | undefined {
  if (seconds === 0n) return undefined;
  // 253402300799 is 9999-12-31T23:59:59Z: beyond it Date cannot print the bound.
  if (seconds < 0n || seconds > 253_402_300_799n) throw invalid(`${field} must be 0 or Unix seconds up to 253402300799`);
  return Number(seconds) * 1000;
}
