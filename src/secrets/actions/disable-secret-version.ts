import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableSecretVersionRequest, DisableSecretVersionResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { VERSION_STATE_TO_ENUM } from "../present.js";
import { assertSecretAction, assertVersionAction } from "../state.js";
import { assertVersionId } from "../validate.js";
import { changeSecret, findVersion, withVersion } from "./common.js";

/** DisableSecretVersion: GetSecretValue refuses the version (ResourceUnavailable.ResourceDisabled) until it is enabled. */
export async function disableSecretVersion(
  deps: SecretsDeps,
  req: DisableSecretVersionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DisableSecretVersionResponseSchema>> {
  assertVersionId(req.versionId);
  const record = await changeSecret(deps, call, req.secretName, (secret) => {
    assertSecretAction(secret, "DisableSecretVersion");
    const version = findVersion(secret, req.versionId);
    return { record: withVersion(secret, { ...version, state: assertVersionAction(secret, version, "DisableSecretVersion") }) };
  });
  return { secretName: record.name, versionId: req.versionId, state: VERSION_STATE_TO_ENUM[findVersion(record, req.versionId).state] };
}
