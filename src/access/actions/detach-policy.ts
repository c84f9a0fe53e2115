import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DetachPolicyRequest, DetachPolicyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";

/** DetachPolicy: Takes a policy away from a sub-user; its next call is evaluated without it. */
export async function detachPolicy(deps: AdminDeps, req: DetachPolicyRequest, call: CallContext): Promise<MessageInitShape<typeof DetachPolicyResponseSchema>> {
  await deps.directory.in(call.uin).detachPolicy(req.principalUin, req.policyName, call.journal);
  return {};
}
