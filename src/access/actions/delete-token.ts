import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteTokenRequest, DeleteTokenResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { assertMayManage } from "./common.js";

/** DeleteToken: revoked at once; calls bearing it answer AuthFailure.TokenFailure. */
export async function deleteToken(deps: AdminDeps, req: DeleteTokenRequest, call: CallContext): Promise<MessageInitShape<typeof DeleteTokenResponseSchema>> {
  const record = deps.directory.getToken(req.tokenId);
  if (record) assertMayManage(deps.directory, BigInt(record.principalUin), call);
  await deps.directory.deleteToken(req.tokenId, call.journal);
  return {};
}
