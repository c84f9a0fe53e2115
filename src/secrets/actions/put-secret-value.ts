import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PutSecretValueRequest, PutSecretValueResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { assertVersionId, MAX_VERSIONS, valueOf } from "../validate.js";
import { sealValue } from "../values.js";
import { changeSecret, scopeOf } from "./common.js";

/** PutSecretValue: a new Enabled version (at most 10 per secret), encrypted by the secret's CMK. */
export async function putSecretValue(deps: SecretsDeps, req: PutSecretValueRequest, call: CallContext): Promise<MessageInitShape<typeof PutSecretValueResponseSchema>> {
  assertVersionId(req.versionId);
  const value = valueOf(req.secretBinary, req.secretString);
  const scope = scopeOf(call);
  try {
    await changeSecret(deps, call, req.secretName, async (secret) => {
      assertSecretAction(secret, "PutSecretValue");
      if (secret.versions.some((v) => v.versionId === req.versionId))
        throw new KmsError("ResourceInUse.VersionIdExists", `secret ${secret.name} already has version ${req.versionId}`);
      if (secret.versions.length >= MAX_VERSIONS) throw new KmsError("LimitExceeded", `a secret holds at most ${MAX_VERSIONS} versions`);
      const sealed = await sealValue(deps, call, secret, req.versionId, value);
      const record = { ...secret, versions: [...secret.versions, { versionId: req.versionId, state: "Enabled" as const, createTime: deps.clock.now() }] };
      return { record, ops: [deps.repo.putValue(scope, secret.name, req.versionId, sealed)] };
    });
  } finally {
    if (value.kind === "string") value.bytes.fill(0);
  }
  return { secretName: req.secretName, versionId: req.versionId };
}
