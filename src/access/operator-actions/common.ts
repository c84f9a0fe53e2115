/** What the OperatorService actions are given, and the one rule they share. */
import type { CallContext } from "../../call.js";
import type { Clock } from "../../clock.js";
import { KmsError } from "../../errors.js";
import type { Directory } from "../directory.js";

export interface OperatorDeps {
  directory: Directory;
  clock: Clock;
}

/**
 * Accounts are the operator's: the default account's root alone, whatever
 * anyone's policies say. Creating an account mints unrestricted credentials
 * for it, and organisation membership gives one account's principals power
 * over another's keys: authority above every account, which no policy of one
 * account can express.
 */
export function assertOperator(call: CallContext): void {
  if (!call.principal.operator) throw new KmsError("UnauthorizedOperation", "only the operator (the default account's root) manages accounts");
}

/** Descriptions: at most 1024 bytes, as a principal's. */
const MAX_DESCRIPTION_BYTES = 1024;

export function assertDescription(description: string): void {
  if (Buffer.byteLength(description, "utf8") > MAX_DESCRIPTION_BYTES) throw new KmsError("InvalidParameter", `Description exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
}
