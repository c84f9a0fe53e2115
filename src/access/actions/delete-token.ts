import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteTokenRequest, DeleteTokenResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { assertMayManage } from "./common.js";

/** DeleteToken: revoked at once; calls bearing it answer AuthFailure.TokenFailure. */
export async function deleteToken(deps: AdminDeps, req: DeleteTokenRequest, call: CallContext): Promise<MessageInitShape<typeof DeleteTokenResponseSchema>> {
  const record = deps.directory.in(call.uin).getToken(req.tokenId);
  if (record) assertMayManage(deps.directory.in(call.uin), BigInt(record.principalUin), call);
  await deps.directory.in(call.uin).deleteToken(req.tokenId, call.journal);
  return {};
}
