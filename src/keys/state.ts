/**
 * Tencent's key state machine as one table. For each action on a key (the
 * lifecycle actions, and each way of using a key), the states it may start
 * from and where each leads; every other state is refused with the action's
 * documented code and nothing changes. No action compares a key's state by
 * hand: it asks this table.
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { KeyOrigin, KeyRecord, KeyState } from "./key.js";

/** The six lifecycle RPCs. */
export type LifecycleAction = "EnableKey" | "DisableKey" | "ScheduleKeyDeletion" | "CancelKeyDeletion" | "ArchiveKey" | "CancelKeyArchive";

export type KeyAction =
  | LifecycleAction
  /** Imported material arrives (ImportKeyMaterial), goes (DeleteImportedKeyMaterial) or expires at ValidTo (the scheduler). */
  | "ImportKeyMaterial"
  | "DeleteImportedKeyMaterial"
  | "ExpireKeyMaterial"
  | "GetParametersForImport"
  /** The scheduler purges a key past its deletion date. */
  | "PurgeKey"
  /** A new version now (RotateKey, and the scheduler's automatic rotation). */
  | "RotateKey"
  /** EnableKeyRotation, DisableKeyRotation. */
  | "ChangeKeyRotation"
  /** The KeyVersionService's state changes. */
  | "ManageKeyVersions"
  | "BindCloudResource"
  /** Making something new with the key's primary version: Encrypt, GenerateDataKey, ReEncrypt's destination, signatures, PQ encryption. */
  | "Encrypt"
  /** Reading what the key made: Decrypt, verification, asymmetric and PQ decryption, GetPublicKey. Archived keys still do this. */
  | "Decrypt";

/** A cancelled deletion leaves the key Disabled, or PendingImport if it never got material. */
type Target = KeyState | "RestoreAfterDeletion";

interface KeyRule {
  /** The states the action may start from, and the state each leads to. */
  from: Partial<Record<KeyState, Target>>;
  /** The documented code for a refused state, where it is more specific than CmkStateNotSupport. */
  refusals?: Partial<Record<KeyState, ErrorCode>>;
  /** A key bound to cloud resources refuses (once its state passed) with CmkUsedByCloudProduct: it would be taken from them. */
  unbound?: true;
}

const USABLE_TO_ENCRYPT = { from: { Enabled: "Enabled" }, refusals: { Disabled: "ResourceUnavailable.CmkDisabled", Archived: "ResourceUnavailable.CmkArchived" } } as const satisfies KeyRule;
/** Every state but PendingDelete and PendingImport: a key with material that is not on its way out. */
const HAS_LIVE_MATERIAL = { from: { Enabled: "Enabled", Disabled: "Disabled", Archived: "Archived" } } as const satisfies KeyRule;

const RULES: Readonly<Record<KeyAction, KeyRule>> = {
  EnableKey: { from: { Enabled: "Enabled", Disabled: "Enabled" } },
  DisableKey: { from: { Enabled: "Disabled", Disabled: "Disabled" } },
  ScheduleKeyDeletion: {
    from: { Disabled: "PendingDelete", PendingImport: "PendingDelete" },
    refusals: { Enabled: "ResourceUnavailable.CmkShouldBeDisabled", Archived: "ResourceUnavailable.CmkShouldBeDisabled" },
    unbound: true,
  },
  CancelKeyDeletion: {
    from: { PendingDelete: "RestoreAfterDeletion" },
    refusals: {
      Enabled: "ResourceUnavailable.CmkNotPendingDelete",
      Disabled: "ResourceUnavailable.CmkNotPendingDelete",
      PendingImport: "ResourceUnavailable.CmkNotPendingDelete",
      Archived: "ResourceUnavailable.CmkNotPendingDelete",
    },
  },
  ArchiveKey: { from: { Enabled: "Archived", Archived: "Archived" }, unbound: true },
  CancelKeyArchive: { from: { Archived: "Enabled" } },
  ImportKeyMaterial: { from: { PendingImport: "Enabled" } },
  DeleteImportedKeyMaterial: { from: { Enabled: "PendingImport", Disabled: "PendingImport", Archived: "PendingImport" } },
  ExpireKeyMaterial: { from: { Enabled: "PendingImport", Disabled: "PendingImport", Archived: "PendingImport", PendingImport: "PendingImport", PendingDelete: "PendingDelete" } },
  GetParametersForImport: { from: { Enabled: "Enabled", Disabled: "Disabled", Archived: "Archived", PendingImport: "PendingImport" } },
  PurgeKey: { from: { PendingDelete: "PendingDelete" } },
  RotateKey: USABLE_TO_ENCRYPT,
  ChangeKeyRotation: HAS_LIVE_MATERIAL,
  ManageKeyVersions: HAS_LIVE_MATERIAL,
  BindCloudResource: { from: { Enabled: "Enabled", Disabled: "Disabled", Archived: "Archived", PendingImport: "PendingImport" } },
  Encrypt: USABLE_TO_ENCRYPT,
  Decrypt: { from: { Enabled: "Enabled", Archived: "Archived" }, refusals: { Disabled: "ResourceUnavailable.CmkDisabled" } },
};

/** The state a new key starts in: waiting for its material when it is imported. */
export const INITIAL_STATE: Readonly<Record<KeyOrigin, KeyState>> = { TENCENT_KMS: "Enabled", EXTERNAL: "PendingImport" };

/** The state `action` leads `key` to, or throws the documented refusal. */
export function assertTransition(key: KeyRecord, action: KeyAction): KeyState {
  const rule = RULES[action];
  const target = rule.from[key.keyState];
  if (target === undefined) {
    const code = rule.refusals?.[key.keyState] ?? "ResourceUnavailable.CmkStateNotSupport";
    throw new KmsError(code, `${action} is not allowed for key ${key.keyId} in state ${key.keyState}`);
  }
  if (rule.unbound && key.bindings !== undefined && key.bindings.length > 0)
    throw new KmsError("FailedOperation.CmkUsedByCloudProduct", `key ${key.keyId} is bound to ${key.bindings.length} cloud resource(s); unbind them first`);
  if (target === "RestoreAfterDeletion") return key.versions.length === 0 ? "PendingImport" : "Disabled";
  return target;
}

/** Whether `action` may start from the key's state (for the scheduler, which skips rather than refuses). */
export function allows(key: KeyRecord, action: KeyAction): boolean {
  return RULES[action].from[key.keyState] !== undefined;
}
