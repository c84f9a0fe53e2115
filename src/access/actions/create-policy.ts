import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreatePolicyRequest, CreatePolicyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { policyMessage } from "../present.js";
import { assertDescription } from "./common.js";

/** CreatePolicy: validates the document (InvalidParameterValue names the offending path) and stores it. */
export async function createPolicy(deps: AdminDeps, req: CreatePolicyRequest, call: CallContext): Promise<MessageInitShape<typeof CreatePolicyResponseSchema>> {
  assertDescription(req.description);
  return { policy: policyMessage(await deps.directory.in(call.uin).createPolicy(req.name, req.description, req.document, deps.clock.now(), call.journal), 0) };
}
