import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteAccessKeyRequest, DeleteAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { ownerOfAccessKey } from "./common.js";

/** DeleteAccessKey: gone for good; requests signed with it answer AuthFailure.SecretIdNotFound. */
export async function deleteAccessKey(deps: AdminDeps, req: DeleteAccessKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DeleteAccessKeyResponseSchema>> {
  ownerOfAccessKey(deps.directory.in(call.uin), req.secretId, call);
  await deps.directory.in(call.uin).deleteAccessKey(req.secretId, call.journal);
  return {};
}
