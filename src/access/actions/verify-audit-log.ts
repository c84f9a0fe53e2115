import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VerifyAuditLogRequest, VerifyAuditLogResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { AdminDeps } from "../deps.js";

/**
 * VerifyAuditLog: recomputes every chain (one per replica) over every stored event, checks their witnesses of
 * each other, and reports where it first breaks. The chains span every account, so only the operator's
 * (default) account verifies them.
 */
export async function verifyAuditLog(deps: AdminDeps, _req: VerifyAuditLogRequest, call: CallContext): Promise<MessageInitShape<typeof VerifyAuditLogResponseSchema>> {
  if (call.uin !== deps.directory.accountUin) throw new KmsError("UnauthorizedOperation", "the audit chains span every account: only the operator's account verifies them");
  await deps.audit.flush();
  const r = await deps.audit.verify();
  return {
    ok: r.ok,
    checked: BigInt(r.checked),
    headSeq: BigInt(r.headSeq),
    failureSeq: BigInt(r.failure?.seq ?? 0),
    failureReason: r.failure?.reason ?? "",
    failureDetail: r.failure?.detail ?? "",
    chains: r.chains.map((c) => ({
      chain: c.chain,
      ok: c.ok,
      checked: BigInt(c.checked),
      headSeq: BigInt(c.headSeq),
      failureSeq: BigInt(c.failure?.seq ?? 0),
      failureReason: c.failure?.reason ?? "",
      failureDetail: c.failure?.detail ?? "",
    })),
  };
}
