/**
 * A hosted data key's lifecycle as one table. For each action on a data key,
 * the states it may start from and where each leads; every other state is
 * refused with the code the API documents for it (the data-key codes of the
 * SDK's KmsErrorCode list) and nothing changes. No action compares a state by
 * hand: it asks this table.
 *
 * The CMK governs the data key too: the `cmk` column says what an action asks
 * of it. "decrypt": the action opens the data key's ciphertext through the key
 * domain, whose own state table (src/keys/state.ts, row Decrypt) then decides:
 * an Enabled or Archived CMK serves, a Disabled one answers
 * ResourceUnavailable.CmkDisabled, one pending deletion or import
 * .CmkStateNotSupport, a purged one .CmkNotFound; a rotated CMK still opens
 * what its older versions sealed. "none": the CMK is not touched.
 */
import { KmsError, type ErrorCode } from "../errors.js";
import type { DataKeyRecord, DataKeyState } from "./data-key.js";

export type DataKeyAction =
  | "EnableDataKey"
  | "DisableDataKey"
  | "ScheduleDataKeyDeletion"
  | "CancelDataKeyDeletion"
  | "UpdateDataKeyName"
  | "UpdateDataKeyDescription"
  | "GetDataKeyPlaintext"
  | "GetDataKeyCiphertextBlob"
  /** DescribeDataKey(s), ListDataKeys, ListDataKeyDetail: any state. */
  | "DescribeDataKey"
  /** The scheduler purges a data key past its deletion date. */
  | "PurgeDataKey";

export type CmkUse = "none" | "decrypt";

interface DataKeyRule {
  /** The states the action may start from, and the state each leads to. */
  from: Partial<Record<DataKeyState, DataKeyState>>;
  /** The documented code for each refused state. */
  refusals: Partial<Record<DataKeyState, ErrorCode>>;
  /** What the action needs of the CMK the data key is sealed under (see the module comment). */
  cmk: CmkUse;
}

/** Writes that need a data key not on its way out. */
const LIVE = { Enabled: "Enabled", Disabled: "Disabled" } as const;
const NOT_PENDING_DELETE = { PendingDelete: "ResourceUnavailable.DataKeyPendingDelete" } as const;
/** Giving the data key out (plaintext or ciphertext) needs it Enabled. */
const GIVE_OUT = { Disabled: "ResourceUnavailable.DataKeyDisabled", PendingDelete: "ResourceUnavailable.DataKeyPendingDelete" } as const;

const RULES: Readonly<Record<DataKeyAction, DataKeyRule>> = {
  EnableDataKey: { from: { Enabled: "Enabled", Disabled: "Enabled" }, refusals: NOT_PENDING_DELETE, cmk: "none" },
  DisableDataKey: { from: { Enabled: "Disabled", Disabled: "Disabled" }, refusals: NOT_PENDING_DELETE, cmk: "none" },
  // As for CMKs, only a disabled data key may be scheduled for deletion: disabling it first shows whether anything still uses it.
  ScheduleDataKeyDeletion: {
    from: { Disabled: "PendingDelete" },
    refusals: { Enabled: "ResourceUnavailable.DataKeyStateNotSupport", PendingDelete: "ResourceUnavailable.DataKeyPendingDelete" },
    cmk: "none",
  },
  CancelDataKeyDeletion: {
    from: { PendingDelete: "Disabled" },
    refusals: { Enabled: "ResourceUnavailable.DataKeyNotPendingDelete", Disabled: "ResourceUnavailable.DataKeyNotPendingDelete" },
    cmk: "none",
  },
  UpdateDataKeyName: { from: LIVE, refusals: NOT_PENDING_DELETE, cmk: "none" },
  UpdateDataKeyDescription: { from: LIVE, refusals: NOT_PENDING_DELETE, cmk: "none" },
  GetDataKeyPlaintext: { from: { Enabled: "Enabled" }, refusals: GIVE_OUT, cmk: "decrypt" },
  GetDataKeyCiphertextBlob: { from: { Enabled: "Enabled" }, refusals: GIVE_OUT, cmk: "none" },
  DescribeDataKey: { from: { Enabled: "Enabled", Disabled: "Disabled", PendingDelete: "PendingDelete" }, refusals: {}, cmk: "none" },
  PurgeDataKey: { from: { PendingDelete: "PendingDelete" }, refusals: {}, cmk: "none" },
};

/** The state a new data key starts in (GenerateDataKey with IsHostedByKms 1, ImportDataKey). */
export const INITIAL_STATE: DataKeyState = "Enabled";

/**
 * Which states count against the data key limit (KMS_DATA_KEY_LIMIT):
 * scheduling a deletion frees a place, and cancelling it needs one again.
 */
export const COUNTED: Readonly<Record<DataKeyState, boolean>> = { Enabled: true, Disabled: true, PendingDelete: false };

/** The state `action` leads `record` to, or throws the documented refusal. */
export function assertDataKeyAction(record: DataKeyRecord, action: DataKeyAction): DataKeyState {
  const rule = RULES[action];
  const next = rule.from[record.state];
  if (next === undefined) {
    const code = rule.refusals[record.state] ?? "ResourceUnavailable.DataKeyStateNotSupport";
    throw new KmsError(code, `${action} is not allowed for data key ${record.dataKeyId} in state ${record.state}`);
  }
  return next;
}

/** Whether `action` may start from the record's state (for the scheduler, which skips rather than refuses). */
export function dataKeyAllows(record: DataKeyRecord, action: DataKeyAction): boolean {
  return RULES[action].from[record.state] !== undefined;
}

/** What `action` asks of the CMK. */
export function cmkUseOf(action: DataKeyAction): CmkUse {
  return RULES[action].cmk;
}
