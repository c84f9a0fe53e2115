import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeletePrincipalRequest, DeletePrincipalResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";

/** DeletePrincipal: the sub-user and all its credentials, in one change; keys it created stay with the account. */
export async function deletePrincipal(deps: AdminDeps, req: DeletePrincipalRequest, call: CallContext): Promise<MessageInitShape<typeof DeletePrincipalResponseSchema>> {
  await deps.directory.in(call.uin).deletePrincipal(req.uin, deps.clock.now(), call.journal);
  return {};
}
