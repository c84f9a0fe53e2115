import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SetAccountOrganizationRequest, SetAccountOrganizationResponseSchema } from "../../../gen/kms/v1/operator_pb.js";
import type { CallContext } from "../../call.js";
import { accountMessage } from "../present.js";
import { assertOperator, type OperatorDeps } from "./common.js";

/** SetAccountOrganization: makes an account a member of an organisation (its principals may then act on the member's keys), or takes it out. */
export async function setAccountOrganization(deps: OperatorDeps, req: SetAccountOrganizationRequest, call: CallContext): Promise<MessageInitShape<typeof SetAccountOrganizationResponseSchema>> {
  assertOperator(call);
  const account = await deps.directory.setOrganization(req.memberUin, req.organizationUin, call.journal);
  return { account: accountMessage(account, deps.directory.accountUin) };
}
