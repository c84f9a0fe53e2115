import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableSecretRequest, DisableSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { changeSecret } from "./common.js";

/** DisableSecret: values are withheld until EnableSecret; metadata stays readable. */
export async function disableSecret(deps: SecretsDeps, req: DisableSecretRequest, call: CallContext): Promise<MessageInitShape<typeof DisableSecretResponseSchema>> {
  await changeSecret(deps, call, req.secretName, (secret) => ({ record: { ...secret, status: assertSecretAction(secret, "DisableSecret") } }));
  return { secretName: req.secretName };
}
