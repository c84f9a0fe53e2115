import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListAccountsRequest, ListAccountsResponseSchema } from "../../../gen/kms/v1/operator_pb.js";
import type { CallContext } from "../../call.js";
import { accountMessage } from "../present.js";
import { assertOperator, type OperatorDeps } from "./common.js";

/** ListAccounts: every account, the default one first. */
export async function listAccounts(deps: OperatorDeps, _req: ListAccountsRequest, call: CallContext): Promise<MessageInitShape<typeof ListAccountsResponseSchema>> {
  assertOperator(call);
  return { accounts: deps.directory.listAccounts().map((a) => accountMessage(a, deps.directory.accountUin)) };
}
