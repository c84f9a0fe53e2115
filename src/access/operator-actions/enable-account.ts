import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableAccountRequest, EnableAccountResponseSchema } from "../../../gen/kms/v1/operator_pb.js";
import type { CallContext } from "../../call.js";
import { assertOperator, type OperatorDeps } from "./common.js";

/** EnableAccount: a disabled account's credentials authenticate again. */
export async function enableAccount(deps: OperatorDeps, req: EnableAccountRequest, call: CallContext): Promise<MessageInitShape<typeof EnableAccountResponseSchema>> {
  assertOperator(call);
  await deps.directory.setAccountStatus(req.uin, "Enabled", call.journal);
  return {};
}
