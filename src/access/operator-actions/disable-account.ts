import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableAccountRequest, DisableAccountResponseSchema } from "../../../gen/kms/v1/operator_pb.js";
import type { CallContext } from "../../call.js";
import { assertOperator, type OperatorDeps } from "./common.js";

/** DisableAccount: every credential of the account stops authenticating with its next call; nothing is deleted. */
export async function disableAccount(deps: OperatorDeps, req: DisableAccountRequest, call: CallContext): Promise<MessageInitShape<typeof DisableAccountResponseSchema>> {
  assertOperator(call);
  await deps.directory.setAccountStatus(req.uin, "Disabled", call.journal);
  return {};
}
