import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetServiceStatusRequest, GetServiceStatusResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { callScope } from "../resolver.js";

/** GetServiceStatus: the service is up; how many keys the call's account keeps in its region, and may keep. */
export async function getServiceStatus(
  deps: KmsDeps,
  _req: GetServiceStatusRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GetServiceStatusResponseSchema>> {
  return {
    serviceEnabled: true,
    invalidType: 1,
    userLevel: 0,
    cmkUserCount: await deps.repo.countIn(callScope(call)),
    cmkLimit: deps.settings.cmkLimit,
    exclusiveVsmEnabled: false,
    exclusiveHsmEnabled: false,
    isAllowedDataKeyHosted: false,
  };
}
