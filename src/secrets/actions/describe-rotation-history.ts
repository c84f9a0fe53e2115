import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeRotationHistoryRequest, DescribeRotationHistoryResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { accountInfo } from "../present.js";
import { assertSecretAction } from "../state.js";
import { loadSecret, refOf, scopeOf } from "./common.js";

/** DescribeRotationHistory: the versions the secret's flows committed (newest first, at most 10) and its two accounts. */
export async function describeRotationHistory(
  deps: SecretsDeps,
  req: DescribeRotationHistoryRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeRotationHistoryResponseSchema>> {
  const scope = scopeOf(call);
  const secret = await loadSecret(deps, scope, req.secretName);
  assertSecretAction(secret, "DescribeRotationHistory");
  const h = await deps.products.rotationHistory(refOf(scope, secret.name));
  return { versionIds: h.VersionIDs, totalCount: h.TotalCount, accountInfoList: h.AccountInfoList.map(accountInfo) };
}
