import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteAccessKeyRequest, DeleteAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../keys/deps.js";
import type { AdminDeps } from "../deps.js";

/** DeleteAccessKey: gone for good; requests signed with it answer AuthFailure.SecretIdNotFound. */
export async function deleteAccessKey(deps: AdminDeps, req: DeleteAccessKeyRequest, _call: CallContext): Promise<MessageInitShape<typeof DeleteAccessKeyResponseSchema>> {
  await deps.registry.delete(req.secretId);
  return {};
}
