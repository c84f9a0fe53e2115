import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdatePolicyRequest, UpdatePolicyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { policyMessage } from "../present.js";

/** UpdatePolicy: the new document applies to every attached principal from the next call on. */
export async function updatePolicy(deps: AdminDeps, req: UpdatePolicyRequest, call: CallContext): Promise<MessageInitShape<typeof UpdatePolicyResponseSchema>> {
  const record = await deps.directory.in(call.uin).updatePolicy(req.name, req.document, deps.clock.now(), call.journal);
  return { policy: policyMessage(record, deps.directory.in(call.uin).policy(req.name)?.attachments ?? 0) };
}
