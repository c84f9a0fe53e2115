import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateTokenRequest, CreateTokenResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { tokenMessage } from "../present.js";
import { assertDescription, targetPrincipal } from "./common.js";

/** CreateToken: a bearer token for a principal (the caller by default), returned here only; the service keeps its hash. */
export async function createToken(deps: AdminDeps, req: CreateTokenRequest, call: CallContext): Promise<MessageInitShape<typeof CreateTokenResponseSchema>> {
  assertDescription(req.description);
  const uin = targetPrincipal(deps.directory.in(call.uin), req.principalUin, call);
  const { record, token } = await deps.directory.in(call.uin).createToken(uin, req.description, deps.clock.now(), undefined, call.journal);
  return { token: tokenMessage(record), secret: token };
}
