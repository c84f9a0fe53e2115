import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableSecretRequest, EnableSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { changeSecret } from "./common.js";

/** EnableSecret: GetSecretValue answers again. A PendingDelete secret must be restored first. */
export async function enableSecret(deps: SecretsDeps, req: EnableSecretRequest, call: CallContext): Promise<MessageInitShape<typeof EnableSecretResponseSchema>> {
  await changeSecret(deps, call, req.secretName, (secret) => ({ record: { ...secret, status: assertSecretAction(secret, "EnableSecret") } }));
  return { secretName: req.secretName };
}
