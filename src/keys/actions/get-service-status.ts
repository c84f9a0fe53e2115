import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetServiceStatusRequest, GetServiceStatusResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";

/** GetServiceStatus: the service is up; how many keys it stores and may store. */
export async function getServiceStatus(
  deps: KmsDeps,
  _req: GetServiceStatusRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof GetServiceStatusResponseSchema>> {
  return {
    serviceEnabled: true,
    invalidType: 1,
    userLevel: 0,
    cmkUserCount: deps.repo.count,
    cmkLimit: deps.settings.cmkLimit,
    exclusiveVsmEnabled: false,
    exclusiveHsmEnabled: false,
    isAllowedDataKeyHosted: false,
  };
}
