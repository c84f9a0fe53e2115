/** Hosted data keys' states and origins as the console names them (the API's own spellings), and the member-account scope of a page. */
import { DataKeyState } from "../../../gen/kms/v1/datakeys_pb.js";
import { Origin } from "../../../gen/kms/v1/kms_pb.js";
import type { Option } from "../../core/ui.js";

export const STATE_NAMES: Record<DataKeyState, string> = {
  [DataKeyState.UNSPECIFIED]: "—",
  [DataKeyState.ENABLED]: "Enabled",
  [DataKeyState.DISABLED]: "Disabled",
  [DataKeyState.PENDING_DELETE]: "PendingDelete",
};

/** ListDataKeyDetail's KeyState filter: 0 every state, 1 Enabled, 2 Disabled, 3 PendingDelete. */
export const STATE_FILTER_OPTIONS: readonly Option[] = [
  { value: "0", label: "Every state" },
  { value: "1", label: "Enabled" },
  { value: "2", label: "Disabled" },
  { value: "3", label: "PendingDelete" },
];

/** ListDataKeyDetail's Origin filter (a string, case-sensitive). */
export const ORIGIN_FILTER_OPTIONS: readonly Option[] = [
  { value: "ALL", label: "Any origin" },
  { value: "TENCENT_KMS", label: "TENCENT_KMS (GenerateDataKey)" },
  { value: "EXTERNAL", label: "EXTERNAL (ImportDataKey)" },
];

export const ORIGIN_NAMES: Record<Origin, string> = {
  [Origin.UNSPECIFIED]: "—",
  [Origin.TENCENT_KMS]: "TENCENT_KMS",
  [Origin.EXTERNAL]: "EXTERNAL",
};

/**
 * The member account a page acts on (?member=<uin>, MemberAccount): undefined
 * for the caller's own, null when the address names something that is not a
 * uin (the page then acts on nothing rather than on the caller's own keys).
 */
export function memberOf(query: URLSearchParams): bigint | undefined | null {
  const m = query.get("member");
  if (m === null) return undefined;
  return /^\d{1,20}$/.test(m) ? BigInt(m) : null;
}

/** The MemberAccount field for a member, or nothing for the caller's own account. */
export function memberField(member: bigint | undefined): { memberAccount?: { memberUin: bigint } } {
  return member === undefined ? {} : { memberAccount: { memberUin: member } };
}

/** "#/datakeys/<id>" (with "?member=<uin>" for a member's data key). */
export function dataKeyHref(dataKeyId: string, member?: bigint): string {
  return `#/datakeys/${encodeURIComponent(dataKeyId)}${member === undefined ? "" : `?member=${member}`}`;
}
