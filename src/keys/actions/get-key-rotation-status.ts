import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetKeyRotationStatusRequest, GetKeyRotationStatusResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { findKey } from "../resolver.js";

/** GetKeyRotationStatus: whether automatic rotation is on (the dates are on DescribeKey). */
export async function getKeyRotationStatus(deps: KmsDeps, req: GetKeyRotationStatusRequest, call: CallContext): Promise<MessageInitShape<typeof GetKeyRotationStatusResponseSchema>> {
  return { keyRotationEnabled: (await findKey(deps, call, req.keyId)).rotation.enabled };
}
