/** The OperatorService actions table, typed against its descriptor, and its binding for the route table. */
import { OperatorService } from "../../../gen/kms/v1/operator_pb.js";
import type { ActionTable } from "../../call.js";
import type { OperatorDeps } from "./common.js";
import { createAccount } from "./create-account.js";
import { disableAccount } from "./disable-account.js";
import { enableAccount } from "./enable-account.js";
import { listAccounts } from "./list-accounts.js";
import { setAccountOrganization } from "./set-account-organization.js";

export type { OperatorDeps } from "./common.js";

export const operatorActions: ActionTable<typeof OperatorService, OperatorDeps> = {
  createAccount,
  listAccounts,
  disableAccount,
  enableAccount,
  setAccountOrganization,
};

/**
 * The ServiceBinding of OperatorService (policy actions kmsoperator:<Method>;
 * the actions themselves admit the operator alone).
 */
export function operatorBinding(deps: OperatorDeps) {
  return { service: OperatorService, deps, actions: operatorActions, policyService: "kmsoperator", resourceService: "kms" };
}
