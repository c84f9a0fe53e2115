/**
 * System events: the service's own scheduled changes (purges, automatic
 * rotations, expiries) written to the audit chain like any call's, in the
 * same batch as the change, so the trail explains every state change.
 *
 * Such an event names no caller: principalName is "system:scheduler",
 * principalUin, credential and source are empty, transport "internal";
 * action says what was done (e.g. "kms:PurgeKey"), keyIds the subjects
 * (key ids, "<keyId>/<version>", data key ids, secret names), account the
 * account whose resource it was, so the event is in that account's trail.
 */
import { randomBytes } from "../crypto/random.js";
import type { Journal } from "../call.js";
import type { SystemJournals } from "../jobs.js";
import type { AuditLog } from "./audit-log.js";
import type { AuditEvent } from "./event.js";

export const SYSTEM_PRINCIPAL = "system:scheduler";

export function systemEvent(action: string, subjects: readonly string[], time: number, account?: string): AuditEvent {
  return {
    time,
    principalUin: "",
    principalName: SYSTEM_PRINCIPAL,
    credential: "",
    source: "",
    transport: "internal",
    action,
    keyIds: [...subjects],
    result: "Success",
    requestId: `job-${Buffer.from(randomBytes(12)).toString("hex")}`,
    latencyMs: 0,
    ...(account !== undefined ? { account } : {}),
  };
}

/**
 * The journals the job runner's work writes through: each commits its
 * change and one system event in one batch (guards as the change asks, so a
 * change refused by its guard leaves no event either).
 */
export function systemJournals(audit: AuditLog, now: () => number): SystemJournals {
  return (action, subjects, account) => {
    const journal: Journal = async (ops, repoSubjects, guards) => {
      const all = [...new Set([...subjects, ...(repoSubjects ?? [])])];
      await audit.commitWith(ops, systemEvent(action, all, now(), account), guards);
    };
    return journal;
  };
}
