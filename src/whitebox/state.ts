/**
 * A white-box key's lifecycle as one table: for each action, the states it
 * may start from and the state it leaves the key in ("Deleted": gone), and the
 * code it answers from every other state. The codes are the ones each action
 * documents (tencentcloud-sdk-go kms/v20190118 client.go): DeleteWhiteBoxKey
 * "must be disabled first" answers FailedOperation, EncryptByWhiteBox on a
 * disabled key ResourceUnavailable.KeyDisabled. Nothing else in the family
 * compares a state.
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { WhiteBoxKeyRecord, WhiteBoxKeyStatus } from "./key.js";

export type WhiteBoxAction =
  | "EnableWhiteBoxKey"
  | "DisableWhiteBoxKey"
  | "DeleteWhiteBoxKey"
  | "EncryptByWhiteBox"
  | "DescribeWhiteBoxKey"
  | "DescribeWhiteBoxDecryptKey"
  | "DescribeWhiteBoxDeviceFingerprints"
  | "OverwriteWhiteBoxDeviceFingerprints";

type Target = WhiteBoxKeyStatus | "Deleted";

interface Rule {
  from: Partial<Record<WhiteBoxKeyStatus, Target>>;
  refuse: Partial<Record<WhiteBoxKeyStatus, ErrorCode>>;
}

const ANY: Rule["from"] = { Enabled: "Enabled", Disabled: "Disabled" };

const RULES: Record<WhiteBoxAction, Rule> = {
  EnableWhiteBoxKey: { from: { Enabled: "Enabled", Disabled: "Enabled" }, refuse: {} },
  DisableWhiteBoxKey: { from: { Enabled: "Disabled", Disabled: "Disabled" }, refuse: {} },
  DeleteWhiteBoxKey: { from: { Disabled: "Deleted" }, refuse: { Enabled: "FailedOperation" } },
  EncryptByWhiteBox: { from: { Enabled: "Enabled" }, refuse: { Disabled: "ResourceUnavailable.KeyDisabled" } },
  // Reading a key, its tables or its devices, and managing its devices, work in either state.
  DescribeWhiteBoxKey: { from: ANY, refuse: {} },
  DescribeWhiteBoxDecryptKey: { from: ANY, refuse: {} },
  DescribeWhiteBoxDeviceFingerprints: { from: ANY, refuse: {} },
  OverwriteWhiteBoxDeviceFingerprints: { from: ANY, refuse: {} },
};

const HINTS: Partial<Record<WhiteBoxAction, string>> = {
  DeleteWhiteBoxKey: ": disable it first",
};

/** Where `action` leaves `key`, or throws the action's documented refusal. Nothing is written by a refusal. */
export function assertWhiteBoxAction(key: WhiteBoxKeyRecord, action: WhiteBoxAction): Target {
  const rule = RULES[action];
  const next = rule.from[key.status];
  if (next === undefined)
    throw new KmsError(rule.refuse[key.status] ?? "FailedOperation", `${action} is not allowed for white-box key ${key.keyId} in state ${key.status}${HINTS[action] ?? ""}`);
  return next;
}

/** DescribeWhiteBoxKeyDetails' KeyStatus filter: 0 Disabled, 1 Enabled. */
const STATUS_FILTER: readonly WhiteBoxKeyStatus[] = ["Disabled", "Enabled"];

/** The keys a KeyStatus filter value selects (absent: every key), or throws InvalidParameterValue. */
export function statusFilter(keyStatus: number | undefined): (key: WhiteBoxKeyRecord) => boolean {
  if (keyStatus === undefined) return () => true;
  const status = STATUS_FILTER[keyStatus];
  if (status === undefined) throw new KmsError("InvalidParameterValue", "KeyStatus must be 0 (Disabled) or 1 (Enabled)");
  return (key) => key.status === status;
}
