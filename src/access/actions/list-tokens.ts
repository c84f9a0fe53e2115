import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListTokensRequest, ListTokensResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { tokenMessage } from "../present.js";

/** ListTokens: every token (or one principal's), oldest first, without secrets. */
export async function listTokens(deps: AdminDeps, req: ListTokensRequest, call: CallContext): Promise<MessageInitShape<typeof ListTokensResponseSchema>> {
  return { tokens: deps.directory.in(call.uin).listTokens(req.principalUin === 0n ? undefined : req.principalUin).map(tokenMessage) };
}
