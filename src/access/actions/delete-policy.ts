import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeletePolicyRequest, DeletePolicyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";

/** DeletePolicy: only once no principal has it attached (ResourceInUse otherwise). */
export async function deletePolicy(deps: AdminDeps, req: DeletePolicyRequest, call: CallContext): Promise<MessageInitShape<typeof DeletePolicyResponseSchema>> {
  await deps.directory.in(call.uin).deletePolicy(req.name, call.journal);
  return {};
}
