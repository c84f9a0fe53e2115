/**
 * A key is a versioned set: the newest version the version table lets
 * encrypt is primary; the version a blob names decrypts while the table lets
 * it (version-state.ts). Helpers over KeyRecord.versions.
 */
import { KmsError } from "../errors.js";
import { materialLabel } from "../crypto/seal.js";
import { symmetricAlgorithmOf } from "./resolve.js";
import type { BatchOp } from "../store/store.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord, KeyVersion, KeyVersionInfo } from "./key.js";
import { assertVersionTransition, NEW_VERSION_STATE, versionAllows } from "./version-state.js";

/** The version new ciphertext uses: the newest one that may encrypt. */
export function primaryVersion(key: KeyRecord): number | undefined {
  for (let i = key.versions.length - 1; i >= 0; i--) if (versionAllows(key.versions[i]!, "Encrypt")) return key.versions[i]!.version;
  return undefined;
}

/** The version a blob names, if it still decrypts: InvalidCiphertext when it is gone, KeyDisabled when the table refuses it. */
export function decryptableVersion(key: KeyRecord, version: number): KeyVersionInfo {
  const info = versionInfo(key, version);
  if (!info) throw new KmsError("InvalidParameterValue.InvalidCiphertext", `key ${key.keyId} has no version ${version} (it may have been deleted)`);
  assertVersionTransition(key, info, "Decrypt");
  return info;
}

export function versionInfo(key: KeyRecord, version: number): KeyVersionInfo | undefined {
  return key.versions.find((v) => v.version === version);
}

export function hasMaterial(key: KeyRecord): boolean {
  return key.versions.length > 0;
}

/** The number the next version gets: one past the highest ever issued, so purged numbers are never reused. */
export function nextVersionNumber(key: KeyRecord): number {
  return key.versionsIssued + 1;
}

/** The key with a version appended (and counted). */
export function withVersion(key: KeyRecord, info: KeyVersionInfo): KeyRecord {
  return { ...key, versions: [...key.versions, info], versionsIssued: Math.max(key.versionsIssued, info.version) };
}

/**
 * Seals `material` as version `version` of `key` and returns the op that
 * stores it with the info to append. The caller zeroes the material.
 */
export function sealVersion(
  deps: KmsDeps,
  key: KeyRecord,
  version: number,
  material: Uint8Array,
  nowMs: number,
  publicKey?: Uint8Array,
): { op: BatchOp; info: KeyVersionInfo } {
  const record: KeyVersion = {
    keyId: key.keyId,
    version,
    algorithm: key.algorithm,
    createTime: nowMs,
    sealedMaterial: Buffer.from(deps.rootKey.seal(material, materialLabel(key.keyId, version))).toString("base64"),
    ...(publicKey ? { publicKey: Buffer.from(publicKey).toString("base64") } : {}),
  };
  return { op: deps.repo.putVersion(record), info: { version, state: NEW_VERSION_STATE, createTime: nowMs } };
}

/** Fresh random material of the key's algorithm, sealed as the next version. */
export function newRandomVersion(deps: KmsDeps, key: KeyRecord, nowMs: number): { op: BatchOp; info: KeyVersionInfo } {
  const material = deps.random(symmetricAlgorithmOf(key).keyLength);
  try {
    return sealVersion(deps, key, nextVersionNumber(key), material, nowMs);
  } finally {
    material.fill(0);
  }
}
