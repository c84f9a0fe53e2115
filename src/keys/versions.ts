/**
 * A key is a versioned set: the newest version the version table lets
 * encrypt is primary; the version a blob names decrypts while the table lets
 * it (version-state.ts). Pure helpers over KeyRecord.versions.
 */
import { KmsError } from "../errors.js";
import type { KeyRecord, KeyVersionInfo } from "./key.js";
import { assertVersionTransition, versionAllows } from "./version-state.js";

/** The version new ciphertext uses: the newest one that may encrypt. */
export function primaryVersion(key: KeyRecord): number | undefined {
  for (let i = key.versions.length - 1; i >= 0; i--) if (versionAllows(key.versions[i]!, "Encrypt")) return key.versions[i]!.version;
  return undefined;
}

export function versionInfo(key: KeyRecord, version: number): KeyVersionInfo | undefined {
  return key.versions.find((v) => v.version === version);
}

/** The version a blob names, if it still decrypts: InvalidCiphertext when it is gone, KeyDisabled when the table refuses it. */
export function decryptableVersion(key: KeyRecord, version: number): KeyVersionInfo {
  const info = versionInfo(key, version);
  if (!info) throw new KmsError("InvalidParameterValue.InvalidCiphertext", `key ${key.keyId} has no version ${version} (it may have been deleted)`);
  assertVersionTransition(key, info, "Decrypt");
  return info;
}

/** The number the next version gets: one past the highest ever issued, so purged numbers are never reused. */
export function nextVersionNumber(key: KeyRecord): number {
  return key.versionsIssued + 1;
}

/** The key with a version appended (and counted). */
export function withVersion(key: KeyRecord, info: KeyVersionInfo): KeyRecord {
  return { ...key, versions: [...key.versions, info], versionsIssued: Math.max(key.versionsIssued, info.version) };
}
