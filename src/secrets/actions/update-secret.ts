import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateSecretRequest, UpdateSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { assertVersionId, valueOf } from "../validate.js";
import { sealValue } from "../values.js";
import { changeSecret, findVersion, scopeOf, withVersion } from "./common.js";

/** UpdateSecret: one version's value replaced (encrypted afresh; text or binary as now given). */
export async function updateSecret(deps: SecretsDeps, req: UpdateSecretRequest, call: CallContext): Promise<MessageInitShape<typeof UpdateSecretResponseSchema>> {
  assertVersionId(req.versionId);
  const value = valueOf(req.secretBinary, req.secretString);
  const scope = scopeOf(call);
  try {
    await changeSecret(deps, call, req.secretName, async (secret) => {
      assertSecretAction(secret, "UpdateSecret");
      const version = findVersion(secret, req.versionId);
      const sealed = await sealValue(deps, call, secret, version.versionId, value);
      return { record: withVersion(secret, { ...version, updateTime: deps.clock.now() }), ops: [deps.repo.putValue(scope, secret.name, version.versionId, sealed)] };
    });
  } finally {
    if (value.kind === "string") value.bytes.fill(0);
  }
  return { secretName: req.secretName, versionId: req.versionId };
}
