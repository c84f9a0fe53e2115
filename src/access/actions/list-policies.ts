import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListPoliciesRequest, ListPoliciesResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { policyMessage } from "../present.js";

/** ListPolicies: every policy with its document and attachment count, by name. */
export async function listPolicies(deps: AdminDeps, _req: ListPoliciesRequest, call: CallContext): Promise<MessageInitShape<typeof ListPoliciesResponseSchema>> {
  return { policies: deps.directory.in(call.uin).listPolicies().map((p) => policyMessage(p.record, p.attachments)) };
}
