/**
 * Key version states as one table, like state.ts for keys: for each action
 * on a version, the states it may start from and where each leads; other
 * states are refused with the action's code. "Encrypt" picks the primary
 * version (the newest it allows); "Decrypt" says whether ciphertext under a
 * version still decrypts.
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { KeyRecord, KeyVersionInfo, VersionState } from "./key.js";

export type VersionAction =
  | "EnableKeyVersion"
  | "DisableKeyVersion"
  | "ScheduleKeyVersionDeletion"
  | "CancelKeyVersionDeletion"
  /** The scheduler purges a version past its deletion date. */
  | "PurgeVersion"
  | "Encrypt"
  | "Decrypt";

interface VersionRule {
  from: Partial<Record<VersionState, VersionState>>;
  /** The code for every other state. */
  refusal: ErrorCode;
}

const RULES: Readonly<Record<VersionAction, VersionRule>> = {
  EnableKeyVersion: { from: { Enabled: "Enabled", Disabled: "Enabled" }, refusal: "UnsupportedOperation" },
  DisableKeyVersion: { from: { Enabled: "Disabled", Disabled: "Disabled" }, refusal: "UnsupportedOperation" },
  ScheduleKeyVersionDeletion: { from: { Enabled: "PendingDelete", Disabled: "PendingDelete" }, refusal: "UnsupportedOperation" },
  CancelKeyVersionDeletion: { from: { PendingDelete: "Disabled" }, refusal: "UnsupportedOperation" },
  PurgeVersion: { from: { PendingDelete: "PendingDelete" }, refusal: "UnsupportedOperation" },
  Encrypt: { from: { Enabled: "Enabled" }, refusal: "ResourceUnavailable.CmkStateNotSupport" },
  Decrypt: { from: { Enabled: "Enabled" }, refusal: "ResourceUnavailable.KeyDisabled" },
};

/** The state a new version (created, rotated, imported) starts in. */
export const NEW_VERSION_STATE: VersionState = "Enabled";

export function versionAllows(v: KeyVersionInfo, action: VersionAction): boolean {
  return RULES[action].from[v.state] !== undefined;
}

/**
 * The state `action` leads version `v` of `key` to, or throws its refusal. A
 * version that stops being usable for Encrypt must leave another that is: a
 * key must always be able to encrypt (UnsupportedOperation otherwise).
 */
export function assertVersionTransition(key: KeyRecord, v: KeyVersionInfo, action: VersionAction): VersionState {
  const rule = RULES[action];
  const target = rule.from[v.state];
  if (target === undefined) throw new KmsError(rule.refusal, `${action} is not allowed for version ${v.version} of key ${key.keyId} in state ${v.state}`);
  const stopsEncrypting = versionAllows(v, "Encrypt") && RULES.Encrypt.from[target] === undefined;
  if (stopsEncrypting && !key.versions.some((x) => x.version !== v.version && versionAllows(x, "Encrypt")))
    throw new KmsError("UnsupportedOperation", `version ${v.version} is the only enabled version of key ${key.keyId}`);
  return target;
}
