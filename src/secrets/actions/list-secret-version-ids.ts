import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListSecretVersionIdsRequest, ListSecretVersionIdsResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { versionInfo } from "../present.js";
import { assertSecretAction } from "../state.js";
import { loadSecret, scopeOf } from "./common.js";

/** ListSecretVersionIds: every version, oldest first, with (over gRPC) its state and window. */
export async function listSecretVersionIds(
  deps: SecretsDeps,
  req: ListSecretVersionIdsRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof ListSecretVersionIdsResponseSchema>> {
  const secret = await loadSecret(deps, scopeOf(call), req.secretName);
  assertSecretAction(secret, "ListSecretVersionIds");
  return { secretName: secret.name, versions: secret.versions.map(versionInfo) };
}
