import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AttachPolicyRequest, AttachPolicyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";

/** AttachPolicy: Grants a sub-user what a policy allows; attaching twice changes nothing. */
export async function attachPolicy(deps: AdminDeps, req: AttachPolicyRequest, call: CallContext): Promise<MessageInitShape<typeof AttachPolicyResponseSchema>> {
  await deps.directory.in(call.uin).attachPolicy(req.principalUin, req.policyName, call.journal);
  return {};
}
