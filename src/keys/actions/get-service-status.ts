import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetServiceStatusRequest, GetServiceStatusResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { callScope } from "../resolver.js";
import { hsmClusterOf } from "../validate.js";

/** The name GetServiceStatus gives this service's one cluster. */
const CLUSTER_NAME = "tc-kms";

/**
 * GetServiceStatus: the service is up; how many keys the call's account keeps
 * in its region, and may keep;
 * the hosted data keys of the caller's account and region. Every field the
 * API declares is answered with what is true here (kms.proto says what each
 * means for a self-hosted service).
 */
export async function getServiceStatus(
  deps: KmsDeps,
  _req: GetServiceStatusRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GetServiceStatusResponseSchema>> {
  const hosted = deps.hostedDataKeys;
  const dataKeys = hosted ? await hosted.usage(call) : { limit: 0, used: 0 };
  return {
    serviceEnabled: true,
    invalidType: 1,
    userLevel: 0,
    proExpireTime: 0n,
    proRenewFlag: 0,
    proResourceId: "",
    subscriptionInfo: "",
    cmkUserCount: await deps.repo.countIn(callScope(call)),
    cmkLimit: deps.settings.cmkLimit,
    exclusiveVsmEnabled: false,
    exclusiveHsmEnabled: true,
    exclusiveHsmList: [{ hsmClusterId: hsmClusterOf(deps.settings), hsmClusterName: CLUSTER_NAME }],
    isAllowedDataKeyHosted: hosted !== undefined,
    dataKeyLimit: dataKeys.limit,
    freeDataKeyLimit: dataKeys.limit,
    dataKeyUsedCount: dataKeys.used,
    syncTaskList: [],
    isAllowedSync: false,
    qpsLimit: 0,
    qpsTotalLimit: 0,
    regionsQps: [],
    resourceZone: 0,
    resourceRegion: 0,
  };
}
