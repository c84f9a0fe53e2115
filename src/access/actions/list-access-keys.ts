import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListAccessKeysRequest, ListAccessKeysResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { accessKeyMessage } from "../present.js";

/** ListAccessKeys: every pair (or one principal's), oldest first, without secrets. */
export async function listAccessKeys(deps: AdminDeps, req: ListAccessKeysRequest, call: CallContext): Promise<MessageInitShape<typeof ListAccessKeysResponseSchema>> {
  return { accessKeys: deps.directory.in(call.uin).listAccessKeys(req.principalUin === 0n ? undefined : req.principalUin).map(accessKeyMessage) };
}
