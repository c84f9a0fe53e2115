import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeWhiteBoxServiceStatusRequest, DescribeWhiteBoxServiceStatusResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import type { WhiteBoxDeps } from "../deps.js";

/** DescribeWhiteBoxServiceStatus: whether the operator offers white-box keys (KMS_WHITEBOX_ENABLED). */
export async function describeWhiteBoxServiceStatus(
  deps: WhiteBoxDeps,
  _req: DescribeWhiteBoxServiceStatusRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof DescribeWhiteBoxServiceStatusResponseSchema>> {
  return { serviceEnabled: deps.settings.enabled };
}
