/** Checks shared by the admin actions. */
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { AccountDirectory } from "../directory.js";

/** The principal a credential call is for: the one named, or the caller when 0. */
export function targetPrincipal(directory: AccountDirectory, requested: bigint, call: CallContext): bigint {
  const uin = requested === 0n ? call.principal.uin : requested;
  const p = directory.principal(uin);
  if (!p) throw new KmsError("ResourceNotFound", `principal ${uin} does not exist`);
  assertMayManage(directory, uin, call);
  return uin;
}

/** Only the root manages the root's credentials: a sub-user granted admin actions cannot make itself root. */
export function assertMayManage(directory: AccountDirectory, ownerUin: bigint, call: CallContext): void {
  if (directory.principal(ownerUin)?.root && !call.principal.root)
    throw new KmsError("UnauthorizedOperation", "only the account root manages the root's credentials");
}

/** Descriptions of principals, tokens, access keys and policies: at most 1024 bytes, as a key's. */
const MAX_DESCRIPTION_BYTES = 1024;

export function assertDescription(description: string): void {
  if (Buffer.byteLength(description, "utf8") > MAX_DESCRIPTION_BYTES) throw new KmsError("InvalidParameter", `Description exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
}

/** Checks the caller may manage an access key (unknown keys are left to the directory's own error). */
export function ownerOfAccessKey(directory: AccountDirectory, secretId: string, call: CallContext): void {
  const record = directory.getAccessKey(secretId);
  if (record) assertMayManage(directory, BigInt(record.principalUin ?? record.uin), call);
}
