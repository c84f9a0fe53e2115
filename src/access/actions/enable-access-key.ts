import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableAccessKeyRequest, EnableAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../keys/deps.js";
import type { AdminDeps } from "../deps.js";

/** EnableAccessKey: takes effect on the next request signed with it. */
export async function enableAccessKey(deps: AdminDeps, req: EnableAccessKeyRequest, _call: CallContext): Promise<MessageInitShape<typeof EnableAccessKeyResponseSchema>> {
  await deps.registry.setStatus(req.secretId, "Enabled");
  return {};
}
