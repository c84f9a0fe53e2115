import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateAccountRequest, CreateAccountResponseSchema } from "../../../gen/kms/v1/operator_pb.js";
import type { CallContext } from "../../call.js";
import { accountMessage } from "../present.js";
import { assertDescription, assertOperator, type OperatorDeps } from "./common.js";

/** CreateAccount: the account, its root, a root token and a root access key in one change; the secrets are answered here only. */
export async function createAccount(deps: OperatorDeps, req: CreateAccountRequest, call: CallContext): Promise<MessageInitShape<typeof CreateAccountResponseSchema>> {
  assertOperator(call);
  assertDescription(req.description);
  const created = await deps.directory.createAccount({ name: req.name, description: req.description, uin: req.uin, appId: req.appId }, deps.clock.now(), call.journal);
  return { account: accountMessage(created.account, deps.directory.accountUin), rootToken: created.token, rootSecretId: created.secretId, rootSecretKey: created.secretKey };
}
