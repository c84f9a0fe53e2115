import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateDescriptionRequest, UpdateDescriptionResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { assertDescription } from "../validate.js";
import { changeSecret } from "./common.js";

/** UpdateDescription: Enabled and Disabled secrets only. */
export async function updateDescription(
  deps: SecretsDeps,
  req: UpdateDescriptionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof UpdateDescriptionResponseSchema>> {
  assertDescription(req.description);
  await changeSecret(deps, call, req.secretName, (secret) => {
    assertSecretAction(secret, "UpdateDescription");
    return { record: { ...secret, description: req.description } };
  });
  return { secretName: req.secretName };
}
