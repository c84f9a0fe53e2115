import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListPrincipalsRequest, ListPrincipalsResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { principalMessage } from "../present.js";

/** ListPrincipals: the root first, then sub-users oldest first. */
export async function listPrincipals(deps: AdminDeps, _req: ListPrincipalsRequest, call: CallContext): Promise<MessageInitShape<typeof ListPrincipalsResponseSchema>> {
  return { principals: deps.directory.in(call.uin).listPrincipals().map(principalMessage) };
}
