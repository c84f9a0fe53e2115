import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreatePrincipalRequest, CreatePrincipalResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { principalMessage } from "../present.js";
import { assertDescription } from "./common.js";

/** CreatePrincipal: a sub-user with a fresh uin and no permissions until a policy is attached. */
export async function createPrincipal(deps: AdminDeps, req: CreatePrincipalRequest, call: CallContext): Promise<MessageInitShape<typeof CreatePrincipalResponseSchema>> {
  assertDescription(req.description);
  return { principal: principalMessage(await deps.directory.in(call.uin).createPrincipal(req.name, req.description, deps.clock.now(), call.journal)) };
}
