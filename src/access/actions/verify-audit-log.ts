import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VerifyAuditLogRequest, VerifyAuditLogResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { AdminDeps } from "../deps.js";

/**
 * VerifyAuditLog: recomputes the chain over every stored event and reports where it first breaks. The chain
 * spans every account, so only the operator's (default) account verifies it.
 */
export async function verifyAuditLog(deps: AdminDeps, _req: VerifyAuditLogRequest, call: CallContext): Promise<MessageInitShape<typeof VerifyAuditLogResponseSchema>> {
  if (call.uin !== deps.directory.accountUin) throw new KmsError("UnauthorizedOperation", "the audit chain spans every account: only the operator's account verifies it");
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
