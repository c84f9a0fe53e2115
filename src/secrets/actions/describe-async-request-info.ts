import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeAsyncRequestInfoRequest, DescribeAsyncRequestInfoResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { refOf, scopeOf } from "./common.js";

/**
 * DescribeAsyncRequestInfo: where a create or rotation flow is (0 running,
 * 1 done, 2 failed) and what it did or why it failed. A flow of another
 * account or region is not found.
 */
export async function describeAsyncRequestInfo(
  deps: SecretsDeps,
  req: DescribeAsyncRequestInfoRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeAsyncRequestInfoResponseSchema>> {
  if (req.flowId < 1n || req.flowId > BigInt(Number.MAX_SAFE_INTEGER)) throw new KmsError("InvalidParameterValue", "FlowID must be a positive integer");
  const info = await deps.products.asyncRequestInfo(refOf(scopeOf(call), ""), Number(req.flowId));
  return { taskStatus: info.TaskStatus, description: info.Description };
}
