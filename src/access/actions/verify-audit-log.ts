import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VerifyAuditLogRequest, VerifyAuditLogResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";

/** VerifyAuditLog: recomputes the chain over every stored event and reports where it first breaks. */
export async function verifyAuditLog(deps: AdminDeps, _req: VerifyAuditLogRequest, _call: CallContext): Promise<MessageInitShape<typeof VerifyAuditLogResponseSchema>> {
  await deps.audit.flush();
  const r = await deps.audit.verify();
  return {
    ok: r.ok,
    checked: BigInt(r.checked),
    headSeq: BigInt(r.headSeq),
    failureSeq: BigInt(r.failure?.seq ?? 0),
    failureReason: r.failure?.reason ?? "",
    failureDetail: r.failure?.detail ?? "",
  };
}
