import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetRegionsRequest, GetRegionsResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";

/** GetRegions: the regions this deployment answers for (KMS_REGIONS). */
export async function getRegions(deps: KmsDeps, _req: GetRegionsRequest, _call: CallContext): Promise<MessageInitShape<typeof GetRegionsResponseSchema>> {
  return { regions: [...deps.settings.regions] };
}
