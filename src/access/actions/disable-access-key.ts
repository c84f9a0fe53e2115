import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableAccessKeyRequest, DisableAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { ownerOfAccessKey } from "./common.js";

/** DisableAccessKey: Requests signed with the key answer AuthFailure.SecretIdNotFound until it is enabled again. */
export async function disableAccessKey(deps: AdminDeps, req: DisableAccessKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DisableAccessKeyResponseSchema>> {
  ownerOfAccessKey(deps.directory.in(call.uin), req.secretId, call);
  await deps.directory.in(call.uin).setAccessKeyStatus(req.secretId, "Disabled", call.journal);
  return {};
}
