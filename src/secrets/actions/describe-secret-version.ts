import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeSecretVersionRequest, DescribeSecretVersionResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { seconds, VERSION_STATE_TO_ENUM } from "../present.js";
import { assertSecretAction, servable } from "../state.js";
import { assertVersionId } from "../validate.js";
import { findVersion, loadSecret, scopeOf } from "./common.js";

/** DescribeSecretVersion: one version's state, window and times, and whether it is served now; never its value. */
export async function describeSecretVersion(
  deps: SecretsDeps,
  req: DescribeSecretVersionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeSecretVersionResponseSchema>> {
  assertVersionId(req.versionId);
  const secret = await loadSecret(deps, scopeOf(call), req.secretName);
  assertSecretAction(secret, "DescribeSecretVersion");
  const v = findVersion(secret, req.versionId);
  return {
    secretName: secret.name,
    versionId: v.versionId,
    state: VERSION_STATE_TO_ENUM[v.state],
    createTime: seconds(v.createTime),
    updateTime: seconds(v.updateTime),
    validFrom: seconds(v.validFrom),
    validTo: seconds(v.validTo),
    servable: servable(secret, v, deps.clock.now()),
  };
}
