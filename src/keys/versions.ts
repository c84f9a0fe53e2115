/**
 * A key is a versioned set: the newest Enabled version encrypts; the version a
 * blob names decrypts while it is Enabled. Pure helpers over KeyRecord.versions.
 */
import { materialLabel } from "../crypto/seal.js";
import { symmetricAlgorithmOf } from "./resolve.js";
import type { BatchOp } from "../store/store.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord, KeyVersion, KeyVersionInfo } from "./key.js";

/** The version new ciphertext uses: the newest Enabled one. */
export function primaryVersion(key: KeyRecord): number | undefined {
  for (let i = key.versions.length - 1; i >= 0; i--) if (key.versions[i]!.state === "Enabled") return key.versions[i]!.version;
  return undefined;
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
  return { op: deps.repo.putVersion(record), info: { version, state: "Enabled", createTime: nowMs } };
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
