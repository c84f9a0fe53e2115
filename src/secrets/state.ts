/**
 * Secrets Manager's lifecycles as tables: for each action, the secret states
 * it may start from and where it leads, the code it answers in every other
 * state, the secret types it applies to, and the same for a version's own
 * state. Codes are the ones each action documents (tencentcloud-sdk-go
 * ssm/v20190923 client.go). Nothing else in the family compares a state.
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { SecretRecord, SecretStatus, SecretType, SecretVersionInfo, VersionState } from "./secret.js";

export type SecretAction =
  | "GetSecretValue"
  | "GetSSHKeyPairValue"
  | "PutSecretValue"
  | "UpdateSecret"
  | "UpdateDescription"
  | "DescribeSecret"
  | "ListSecretVersionIds"
  | "EnableSecret"
  | "DisableSecret"
  | "DeleteSecret"
  | "RestoreSecret"
  | "DeleteSecretVersion"
  | "EnableSecretVersion"
  | "DisableSecretVersion"
  | "UpdateSecretVersion"
  | "DescribeSecretVersion"
  | "ExportSecret"
  | "ImportSecret"
  | "RotateProductSecret"
  | "UpdateRotationStatus"
  | "DescribeRotationDetail"
  | "DescribeRotationHistory"
  /** The scheduler's purge at the end of a recovery window. */
  | "Purge"
  /** A product secret's create flow committed its first credentials. */
  | "ProductCreated"
  /** A product secret's create flow failed. */
  | "ProductCreateFailed"
  /** A rotation flow committed new credentials. */
  | "ProductRotated";

interface SecretRule {
  /** Allowed start states → the state the action leaves the secret in. */
  from: Partial<Record<SecretStatus, SecretStatus>>;
  /** The refusal code in each other state. */
  refuse: Partial<Record<SecretStatus, ErrorCode>>;
}

const ALL: Record<SecretStatus, SecretStatus> = {
  Enabled: "Enabled",
  Disabled: "Disabled",
  PendingDelete: "PendingDelete",
  Creating: "Creating",
  Failed: "Failed",
};
/** Enabled and Disabled secrets stay as they are; the rest are refused. */
const LIVE = { Enabled: "Enabled", Disabled: "Disabled" } as const;
/** The documented refusals of writes that need a live secret. */
const NOT_LIVE: Partial<Record<SecretStatus, ErrorCode>> = {
  PendingDelete: "FailedOperation",
  Creating: "ResourceUnavailable.ResourceUninitialized",
  Failed: "ResourceUnavailable.ResourceUninitialized",
};

const SECRET_RULES: Record<SecretAction, SecretRule> = {
  GetSecretValue: {
    from: { Enabled: "Enabled" },
    refuse: {
      Disabled: "ResourceUnavailable.ResourceDisabled",
      PendingDelete: "ResourceUnavailable.ResourcePendingDeleted",
      Creating: "ResourceUnavailable.ResourceUninitialized",
      Failed: "ResourceUnavailable.ResourceUninitialized",
    },
  },
  // GetSSHKeyPairValue documents the bare ResourceUnavailable only.
  GetSSHKeyPairValue: {
    from: { Enabled: "Enabled" },
    refuse: { Disabled: "ResourceUnavailable", PendingDelete: "ResourceUnavailable", Creating: "ResourceUnavailable", Failed: "ResourceUnavailable" },
  },
  // PutSecretValue, UpdateSecret and UpdateDescription document FailedOperation and no ResourceUnavailable code.
  PutSecretValue: { from: LIVE, refuse: { PendingDelete: "FailedOperation", Creating: "FailedOperation", Failed: "FailedOperation" } },
  UpdateSecret: { from: LIVE, refuse: { PendingDelete: "FailedOperation", Creating: "FailedOperation", Failed: "FailedOperation" } },
  UpdateDescription: { from: LIVE, refuse: { PendingDelete: "FailedOperation", Creating: "FailedOperation", Failed: "FailedOperation" } },
  DescribeSecret: { from: ALL, refuse: {} },
  ListSecretVersionIds: { from: ALL, refuse: {} },
  // "A PendingDelete secret cannot be enabled directly: restore it first."
  EnableSecret: { from: { Enabled: "Enabled", Disabled: "Enabled" }, refuse: NOT_LIVE },
  DisableSecret: { from: { Enabled: "Disabled", Disabled: "Disabled" }, refuse: NOT_LIVE },
  // "You must disable a secret with DisableSecret before deleting it"; a failed cloud-product secret may go too.
  DeleteSecret: {
    from: { Disabled: "PendingDelete", Failed: "PendingDelete" },
    refuse: { Enabled: "FailedOperation", PendingDelete: "FailedOperation", Creating: "ResourceUnavailable.ResourceUninitialized" },
  },
  RestoreSecret: {
    from: { PendingDelete: "Disabled" },
    refuse: { Enabled: "FailedOperation", Disabled: "FailedOperation", Creating: "FailedOperation", Failed: "FailedOperation" },
  },
  DeleteSecretVersion: { from: LIVE, refuse: NOT_LIVE },
  EnableSecretVersion: { from: LIVE, refuse: NOT_LIVE },
  DisableSecretVersion: { from: LIVE, refuse: NOT_LIVE },
  UpdateSecretVersion: { from: LIVE, refuse: NOT_LIVE },
  DescribeSecretVersion: { from: ALL, refuse: {} },
  // An export carries the values, so only a live secret leaves; an import replaces only a live one.
  ExportSecret: { from: LIVE, refuse: NOT_LIVE },
  ImportSecret: { from: LIVE, refuse: NOT_LIVE },
  Purge: { from: { PendingDelete: "PendingDelete" }, refuse: {} },
  // "Only Enabled product secrets rotate"; the codes are the ones RotateProductSecret documents.
  RotateProductSecret: {
    from: { Enabled: "Enabled" },
    refuse: {
      Disabled: "ResourceUnavailable.ResourceDisabled",
      PendingDelete: "ResourceUnavailable.ResourcePendingDeleted",
      Creating: "ResourceUnavailable.ResourceUninitialized",
      Failed: "ResourceUnavailable.ResourceUninitialized",
    },
  },
  // The policy may change while the secret is disabled; it applies once the secret is enabled again.
  UpdateRotationStatus: {
    from: LIVE,
    refuse: {
      PendingDelete: "ResourceUnavailable.ResourcePendingDeleted",
      Creating: "ResourceUnavailable.ResourceUninitialized",
      Failed: "ResourceUnavailable.ResourceUninitialized",
    },
  },
  DescribeRotationDetail: { from: ALL, refuse: {} },
  DescribeRotationHistory: { from: ALL, refuse: {} },
  ProductCreated: { from: { Creating: "Enabled" }, refuse: {} },
  ProductCreateFailed: { from: { Creating: "Failed" }, refuse: {} },
  // A rotation that reached the database commits even if the secret was disabled meanwhile: the value must match the database.
  ProductRotated: { from: LIVE, refuse: { PendingDelete: "ResourceUnavailable.ResourcePendingDeleted" } },
};

interface TypeRule {
  types: readonly SecretType[];
  /** The code for the other types, unless `byType` names one. */
  refuse: ErrorCode;
  hint: string;
  byType?: Partial<Record<SecretType, { refuse: ErrorCode; hint: string }>>;
}

/** A product secret's value is what rotation committed: writes by hand are refused with the code SSM documents. */
const AUTO_ROTATED = { refuse: "OperationDenied.AutoRotatedResource", hint: "a product secret's value changes only by rotation (RotateProductSecret)" } as const;

/** Which secret types an action applies to, and the code for the others. */
const TYPE_RULES: Partial<Record<SecretAction, TypeRule>> = {
  GetSecretValue: { types: [0, 1], refuse: "InvalidParameterValue", hint: "read SSH key pair secrets with GetSSHKeyPairValue" },
  GetSSHKeyPairValue: { types: [2], refuse: "InvalidParameterValue", hint: "it is not an SSH key pair secret (SecretType 2)" },
  PutSecretValue: { types: [0], refuse: "FailedOperation", hint: "only user-defined secrets take new versions", byType: { 1: AUTO_ROTATED } },
  UpdateSecret: { types: [0], refuse: "FailedOperation", hint: "only user-defined secrets take new values", byType: { 1: AUTO_ROTATED } },
  DeleteSecretVersion: { types: [0], refuse: "FailedOperation", hint: "only versions of user-defined secrets can be deleted" },
  EnableSecretVersion: { types: [0], refuse: "FailedOperation", hint: "only versions of user-defined secrets have their own state" },
  DisableSecretVersion: { types: [0], refuse: "FailedOperation", hint: "only versions of user-defined secrets have their own state" },
  UpdateSecretVersion: { types: [0], refuse: "FailedOperation", hint: "only versions of user-defined secrets have a validity window" },
  ExportSecret: { types: [0, 2], refuse: "FailedOperation", hint: "cloud-product secrets cannot be exported" },
  ImportSecret: { types: [0, 2], refuse: "FailedOperation", hint: "cloud-product secrets cannot be replaced by an import" },
  RotateProductSecret: { types: [1], refuse: "FailedOperation.RotationForbidden", hint: "only cloud-product secrets (SecretType 1) rotate" },
  UpdateRotationStatus: { types: [1], refuse: "FailedOperation.RotationForbidden", hint: "only cloud-product secrets (SecretType 1) rotate" },
  DescribeRotationDetail: { types: [1], refuse: "InvalidParameterValue", hint: "it is not a cloud-product secret (SecretType 1)" },
  DescribeRotationHistory: { types: [1], refuse: "InvalidParameterValue", hint: "it is not a cloud-product secret (SecretType 1)" },
  ProductCreated: { types: [1], refuse: "FailedOperation", hint: "it is not a cloud-product secret" },
  ProductCreateFailed: { types: [1], refuse: "FailedOperation", hint: "it is not a cloud-product secret" },
  ProductRotated: { types: [1], refuse: "FailedOperation", hint: "it is not a cloud-product secret" },
};

/**
 * The state `action` leaves `secret` in, or throws the action's documented
 * refusal for the secret's state or type. Nothing is written by a refusal.
 */
export function assertSecretAction(secret: SecretRecord, action: SecretAction): SecretStatus {
  const types = TYPE_RULES[action];
  if (types && !types.types.includes(secret.secretType)) {
    const { refuse, hint } = types.byType?.[secret.secretType] ?? types;
    throw new KmsError(refuse, `${action} does not apply to secret ${secret.name} (SecretType ${secret.secretType}): ${hint}`);
  }
  const rule = SECRET_RULES[action];
  const next = rule.from[secret.status];
  if (next === undefined) {
    const code = rule.refuse[secret.status] ?? "FailedOperation";
    throw new KmsError(code, `${action} is not allowed for secret ${secret.name} in state ${secret.status}`);
  }
  return next;
}

/** Whether `action` may start from the secret's state (no throw; for answers such as DescribeSecretVersion's Servable). */
export function allows(secret: SecretRecord, action: SecretAction): boolean {
  return SECRET_RULES[action].from[secret.status] !== undefined;
}

export type VersionAction = "GetSecretValue" | "EnableSecretVersion" | "DisableSecretVersion" | "ExportSecret";

const VERSION_RULES: Record<VersionAction, { from: Partial<Record<VersionState, VersionState>>; refuse: Partial<Record<VersionState, ErrorCode>> }> = {
  GetSecretValue: { from: { Enabled: "Enabled" }, refuse: { Disabled: "ResourceUnavailable.ResourceDisabled" } },
  EnableSecretVersion: { from: { Enabled: "Enabled", Disabled: "Enabled" }, refuse: {} },
  DisableSecretVersion: { from: { Enabled: "Disabled", Disabled: "Disabled" }, refuse: {} },
  // A version travels with its state whatever it is.
  ExportSecret: { from: { Enabled: "Enabled", Disabled: "Disabled" }, refuse: {} },
};

/** The state `action` leaves a version in, or throws its documented refusal. */
export function assertVersionAction(secret: SecretRecord, version: SecretVersionInfo, action: VersionAction): VersionState {
  const rule = VERSION_RULES[action];
  const next = rule.from[version.state];
  if (next === undefined)
    throw new KmsError(rule.refuse[version.state] ?? "FailedOperation", `version ${version.versionId} of secret ${secret.name} is ${version.state}`);
  return next;
}

/** Whether now (ms) is inside a version's validity window: validFrom <= now < validTo. */
export function inWindow(version: SecretVersionInfo, nowMs: number): boolean {
  return (version.validFrom === undefined || nowMs >= version.validFrom) && (version.validTo === undefined || nowMs < version.validTo);
}

/** A version outside its window is not served: ResourceUnavailable, naming the bound it missed. */
export function assertInWindow(secret: SecretRecord, version: SecretVersionInfo, nowMs: number): void {
  if (inWindow(version, nowMs)) return;
  const which =
    version.validFrom !== undefined && nowMs < version.validFrom
      ? `is not valid before ${new Date(version.validFrom).toISOString()}`
      : `expired at ${new Date(version.validTo ?? 0).toISOString()}`;
  throw new KmsError("ResourceUnavailable", `version ${version.versionId} of secret ${secret.name} ${which}`);
}

/** What GetSecretValue checks, as one predicate: the secret and version states and the window. */
export function servable(secret: SecretRecord, version: SecretVersionInfo, nowMs: number): boolean {
  return allows(secret, "GetSecretValue") && VERSION_RULES.GetSecretValue.from[version.state] !== undefined && inWindow(version, nowMs);
}

/** Whether an imported secret may arrive in `status`: the states ImportSecret may replace, i.e. the live ones. */
export function importableStatus(status: string): status is SecretStatus {
  return Object.hasOwn(SECRET_RULES.ImportSecret.from, status);
}

/** Whether `state` is a version state (the ones a version may be exported in). */
export function isVersionState(state: string): state is VersionState {
  return Object.hasOwn(VERSION_RULES.ExportSecret.from, state);
}
