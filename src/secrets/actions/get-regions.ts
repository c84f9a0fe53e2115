import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetRegionsRequest, GetRegionsResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";

/** GetRegions: the regions this deployment answers for (KMS_REGIONS). */
export async function getRegions(deps: SecretsDeps, _req: GetRegionsRequest, _call: CallContext): Promise<MessageInitShape<typeof GetRegionsResponseSchema>> {
  return { regions: [...deps.settings.regions] };
}
