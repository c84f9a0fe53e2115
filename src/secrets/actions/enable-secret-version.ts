import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableSecretVersionRequest, EnableSecretVersionResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { VERSION_STATE_TO_ENUM } from "../present.js";
import { assertSecretAction, assertVersionAction } from "../state.js";
import { assertVersionId } from "../validate.js";
import { changeSecret, findVersion, withVersion } from "./common.js";

/** EnableSecretVersion: GetSecretValue serves the version again (inside its window). */
export async function enableSecretVersion(
  deps: SecretsDeps,
  req: EnableSecretVersionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof EnableSecretVersionResponseSchema>> {
  assertVersionId(req.versionId);
  const record = await changeSecret(deps, call, req.secretName, (secret) => {
    assertSecretAction(secret, "EnableSecretVersion");
    const version = findVersion(secret, req.versionId);
    return { record: withVersion(secret, { ...version, state: assertVersionAction(secret, version, "EnableSecretVersion") }) };
  });
  return { secretName: record.name, versionId: req.versionId, state: VERSION_STATE_TO_ENUM[findVersion(record, req.versionId).state] };
}
