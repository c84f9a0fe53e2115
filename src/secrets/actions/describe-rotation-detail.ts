import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeRotationDetailRequest, DescribeRotationDetailResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { assertSecretAction } from "../state.js";
import { loadSecret, refOf, scopeOf } from "./common.js";

/** DescribeRotationDetail: a product secret's rotation policy, last and next rotation times. */
export async function describeRotationDetail(
  deps: SecretsDeps,
  req: DescribeRotationDetailRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeRotationDetailResponseSchema>> {
  const scope = scopeOf(call);
  const secret = await loadSecret(deps, scope, req.secretName);
  assertSecretAction(secret, "DescribeRotationDetail");
  const d = await deps.products.rotationDetail(refOf(scope, secret.name));
  return { enableRotation: d.EnableRotation, frequency: d.Frequency, latestRotateTime: d.LatestRotateTime, nextRotateBeginTime: d.NextRotateBeginTime };
}
