/** Export of audit events as JSON Lines, e.g. for a SIEM or an archive. */
import { chainedRecord, type StoredAuditEvent } from "./event.js";

/**
 * One JSON object per line, fields in the stored order, each line ending in
 * "\n" ("" for no events). With replicas, `chain` names the replica chain the
 * events belong to (first field), since seqs count per chain.
 */
export function toJsonLines(events: readonly StoredAuditEvent[], chain?: string): string {
  let out = "";
  // Rebuilt field by field so the output has the same shape whatever objects are passed in.
  for (const e of events) out += `${JSON.stringify({ ...(chain !== undefined ? { chain } : {}), ...chainedRecord(e.seq, e), mac: e.mac })}\n`;
  return out;
}
