import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RestoreSecretRequest, RestoreSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import type { SecretRecord } from "../secret.js";
import { assertSecretAction } from "../state.js";
import { changeSecret, scopeOf } from "./common.js";

/** RestoreSecret: a PendingDelete secret returns as Disabled; its purge entry goes. */
export async function restoreSecret(deps: SecretsDeps, req: RestoreSecretRequest, call: CallContext): Promise<MessageInitShape<typeof RestoreSecretResponseSchema>> {
  const scope = scopeOf(call);
  await changeSecret(deps, call, req.secretName, (secret) => {
    const status = assertSecretAction(secret, "RestoreSecret");
    const record: SecretRecord = { ...secret, status };
    delete record.deleteTime;
    // A restored product secret keeps its accounts, whatever DeleteMode asked for.
    if (secret.product) {
      record.product = { ...secret.product };
      delete record.product.dropAccounts;
    }
    return { record, ops: secret.deleteTime === undefined ? [] : [deps.repo.delDeletion(secret.deleteTime, scope, secret.name)] };
  });
  return { secretName: req.secretName };
}
