import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateSecretVersionRequest, UpdateSecretVersionResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { seconds } from "../present.js";
import type { SecretVersionInfo } from "../secret.js";
import { assertSecretAction } from "../state.js";
import { assertVersionId, unixSecondsToMs } from "../validate.js";
import { changeSecret, findVersion, withVersion } from "./common.js";

/** The window after the request: a given bound replaces the old one (0 clears it), an absent one stays. */
function windowOf(version: SecretVersionInfo, req: UpdateSecretVersionRequest): SecretVersionInfo {
  const next: SecretVersionInfo = { ...version };
  if (req.validFrom !== undefined) {
    const ms = unixSecondsToMs("ValidFrom", req.validFrom);
    if (ms === undefined) delete next.validFrom;
    else next.validFrom = ms;
  }
  if (req.validTo !== undefined) {
    const ms = unixSecondsToMs("ValidTo", req.validTo);
    if (ms === undefined) delete next.validTo;
    else next.validTo = ms;
  }
  if (next.validFrom !== undefined && next.validTo !== undefined && next.validFrom >= next.validTo)
    throw new KmsError("InvalidParameterValue", "ValidFrom must be before ValidTo");
  return next;
}

/** UpdateSecretVersion: sets one version's validity window; GetSecretValue serves it only inside. */
export async function updateSecretVersion(
  deps: SecretsDeps,
  req: UpdateSecretVersionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof UpdateSecretVersionResponseSchema>> {
  assertVersionId(req.versionId);
  if (req.validFrom === undefined && req.validTo === undefined) throw new KmsError("InvalidParameterValue", "give ValidFrom, ValidTo or both");
  let updated: SecretVersionInfo | undefined;
  await changeSecret(deps, call, req.secretName, (secret) => {
    assertSecretAction(secret, "UpdateSecretVersion");
    updated = windowOf(findVersion(secret, req.versionId), req);
    return { record: withVersion(secret, updated) };
  });
  const v = updated as SecretVersionInfo;
  return { secretName: req.secretName, versionId: v.versionId, validFrom: seconds(v.validFrom), validTo: seconds(v.validTo) };
}
