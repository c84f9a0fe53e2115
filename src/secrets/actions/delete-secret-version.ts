import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteSecretVersionRequest, DeleteSecretVersionResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { assertVersionId } from "../validate.js";
import { changeSecret, findVersion, scopeOf } from "./common.js";

/** DeleteSecretVersion: one version and its value go now, whatever the version's state. */
export async function deleteSecretVersion(
  deps: SecretsDeps,
  req: DeleteSecretVersionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DeleteSecretVersionResponseSchema>> {
  assertVersionId(req.versionId);
  const scope = scopeOf(call);
  await changeSecret(deps, call, req.secretName, (secret) => {
    assertSecretAction(secret, "DeleteSecretVersion");
    const version = findVersion(secret, req.versionId);
    return {
      record: { ...secret, versions: secret.versions.filter((v) => v !== version) },
      ops: [deps.repo.delValue(scope, secret.name, version.versionId)],
    };
  });
  return { secretName: req.secretName, versionId: req.versionId };
}
