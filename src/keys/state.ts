/**
 * Tencent's key state machine as one table: for each lifecycle action, the
 * states it may start from and where it leads. Anything else is refused with
 * the action's documented code and changes nothing.
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { KeyRecord, KeyState } from "./key.js";

export type LifecycleAction =
  | "EnableKey"
  | "DisableKey"
  | "ScheduleKeyDeletion"
  | "CancelKeyDeletion"
  | "ArchiveKey"
  | "CancelKeyArchive";

type Target = KeyState | "RestoreAfterDeletion";

const TRANSITIONS: Record<LifecycleAction, Partial<Record<KeyState, Target>>> = {
  EnableKey: { Enabled: "Enabled", Disabled: "Enabled" },
  DisableKey: { Enabled: "Disabled", Disabled: "Disabled" },
  ScheduleKeyDeletion: { Disabled: "PendingDelete", PendingImport: "PendingDelete" },
  CancelKeyDeletion: { PendingDelete: "RestoreAfterDeletion" },
  ArchiveKey: { Enabled: "Archived", Archived: "Archived" },
  CancelKeyArchive: { Archived: "Enabled" },
};

/** The code for a refused transition, where it is more specific than CmkStateNotSupport. */
const REFUSALS: Partial<Record<LifecycleAction, Partial<Record<KeyState, ErrorCode>>>> = {
  ScheduleKeyDeletion: { Enabled: "ResourceUnavailable.CmkShouldBeDisabled", Archived: "ResourceUnavailable.CmkShouldBeDisabled" },
  CancelKeyDeletion: {
    Enabled: "ResourceUnavailable.CmkNotPendingDelete",
    Disabled: "ResourceUnavailable.CmkNotPendingDelete",
    PendingImport: "ResourceUnavailable.CmkNotPendingDelete",
    Archived: "ResourceUnavailable.CmkNotPendingDelete",
  },
};

/** The state `action` leads `key` to, or throws the documented refusal. */
export function assertTransition(key: KeyRecord, action: LifecycleAction): KeyState {
  const target = TRANSITIONS[action][key.keyState];
  if (target === undefined) {
    const code = REFUSALS[action]?.[key.keyState] ?? "ResourceUnavailable.CmkStateNotSupport";
    throw new KmsError(code, `${action} is not allowed for key ${key.keyId} in state ${key.keyState}`);
  }
  // A cancelled deletion leaves the key disabled; an EXTERNAL key that never got material waits for it again.
  if (target === "RestoreAfterDeletion") return key.versions.length === 0 ? "PendingImport" : "Disabled";
  return target;
}

/** Rotation settings apply to symmetric keys whose material this service generates, and not while pending deletion. */
export function assertRotatable(key: KeyRecord): void {
  if (key.origin === "EXTERNAL")
    throw new KmsError("UnsupportedOperation.ExternalCmkCanNotRotate", `key ${key.keyId} holds imported material and cannot rotate`);
  if (key.keyUsage !== "ENCRYPT_DECRYPT") throw new KmsError("InvalidParameterValue.InvalidKeyUsage", `key ${key.keyId} is not an ENCRYPT_DECRYPT key`);
  if (key.keyState === "PendingDelete" || key.keyState === "PendingImport")
    throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} is ${key.keyState}`);
}

/** Encrypt and GenerateDataKey need an Enabled key. */
export function assertCanEncrypt(key: KeyRecord): void {
  if (key.keyState === "Enabled") return;
  throw stateRefusal(key, "encrypt with");
}

/** Decrypt works on Enabled and Archived keys (archived keys only decrypt). */
export function assertCanDecrypt(key: KeyRecord): void {
  if (key.keyState === "Enabled" || key.keyState === "Archived") return;
  throw stateRefusal(key, "decrypt with");
}

function stateRefusal(key: KeyRecord, verb: string): KmsError {
  const codes: Partial<Record<KeyState, ErrorCode>> = {
    Disabled: "ResourceUnavailable.CmkDisabled",
    Archived: "ResourceUnavailable.CmkArchived",
  };
  const code = codes[key.keyState] ?? "ResourceUnavailable.CmkStateNotSupport";
  return new KmsError(code, `cannot ${verb} key ${key.keyId} in state ${key.keyState}`);
}
