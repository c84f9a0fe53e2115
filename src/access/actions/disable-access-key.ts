import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableAccessKeyRequest, DisableAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../keys/deps.js";
import type { AdminDeps } from "../deps.js";

/** DisableAccessKey: takes effect on the next request signed with it. */
export async function disableAccessKey(deps: AdminDeps, req: DisableAccessKeyRequest, _call: CallContext): Promise<MessageInitShape<typeof DisableAccessKeyResponseSchema>> {
  await deps.registry.setStatus(req.secretId, "Disabled");
  return {};
}
