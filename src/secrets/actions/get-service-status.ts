import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetServiceStatusRequest, GetServiceStatusResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { scopeOf } from "./common.js";

const UINT32_MAX = 0xffffffff;

/** GetServiceStatus: the service is on; how many secrets the account keeps in the region and may keep. */
export async function getServiceStatus(
  deps: SecretsDeps,
  _req: GetServiceStatusRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GetServiceStatusResponseSchema>> {
  return {
    serviceEnabled: true,
    invalidType: 1,
    accessKeyEscrowEnabled: false,
    expireTime: "",
    qpsLimit: 0,
    secretLimit: Math.min(deps.settings.secretLimit, UINT32_MAX),
    payModel: "",
    renewFlag: 0,
    resourceId: "",
    totalCount: deps.repo.count(scopeOf(call)),
    resourceRegion: 0,
  };
}
