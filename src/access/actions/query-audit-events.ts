import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QueryAuditEventsRequest, QueryAuditEventsResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import { KmsError } from "../../errors.js";
import type { AuditFilter } from "../../audit/audit-log.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { auditEventMessage } from "../present.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** QueryAuditEvents: matching events of the caller's account's trail, in chain order, a page at a time. */
export async function queryAuditEvents(deps: AdminDeps, req: QueryAuditEventsRequest, call: CallContext): Promise<MessageInitShape<typeof QueryAuditEventsResponseSchema>> {
  if (req.limit > MAX_LIMIT) throw new KmsError("InvalidParameterValue", `Limit must be at most ${MAX_LIMIT}`);
  if (req.fromTimeMs < 0n || req.toTimeMs < 0n) throw new KmsError("InvalidParameterValue", "FromTimeMs and ToTimeMs must not be negative");
  const filter: AuditFilter = {
    ...(req.fromTimeMs > 0n ? { fromMs: Number(req.fromTimeMs) } : {}),
    ...(req.toTimeMs > 0n ? { toMs: Number(req.toTimeMs) } : {}),
    ...(req.principalUin > 0n ? { principalUin: req.principalUin.toString() } : {}),
    ...(req.action ? { action: req.action } : {}),
    ...(req.keyId ? { keyId: req.keyId } : {}),
    ...(req.result ? { result: req.result } : {}),
    // The account's own trail: its callers' calls, and its organisation's calls that acted on it.
    account: { uin: call.uin.toString(), unattributed: call.uin === deps.directory.accountUin },
  };
  if (req.chain.length > 64) throw new KmsError("InvalidParameterValue", "Chain must be a replica id (at most 64 characters) or @store");
  const page = await deps.audit.query(filter, { afterSeq: Number(req.afterSeq), limit: req.limit || DEFAULT_LIMIT }, req.chain || undefined);
  return { events: page.events.map((e) => auditEventMessage(e, deps.directory.accountUin)), nextAfterSeq: BigInt(page.nextAfterSeq ?? 0) };
}
