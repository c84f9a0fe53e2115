import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RotateProductSecretRequest, RotateProductSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { subjectOf } from "../present.js";
import { assertSecretAction } from "../state.js";
import { loadSecret, refOf, scopeOf } from "./common.js";

/**
 * RotateProductSecret: an Enabled product secret with no flow running starts
 * a rotation flow (one batch with the call's event); the standby account gets
 * a new password in the background and becomes current once the database
 * accepts it. The state is checked again under the secret's lock.
 */
export async function rotateProductSecret(
  deps: SecretsDeps,
  req: RotateProductSecretRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof RotateProductSecretResponseSchema>> {
  const scope = scopeOf(call);
  const secret = await loadSecret(deps, scope, req.secretName);
  assertSecretAction(secret, "RotateProductSecret");
  const flow = await deps.products.startRotation(refOf(scope, secret.name), {
    write: (ops, guards) => deps.repo.commit(ops, call.journal, [subjectOf(secret.name)], undefined, guards),
  });
  return { flowId: BigInt(flow.flowId) };
}
