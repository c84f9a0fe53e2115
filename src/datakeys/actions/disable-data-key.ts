import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableDataKeyRequest, DisableDataKeyResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { transitionDataKeys } from "../records.js";

/** DisableDataKey: Enabled -> Disabled (Disabled stays Disabled). */
export async function disableDataKey(deps: DataKeysDeps, req: DisableDataKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DisableDataKeyResponseSchema>> {
  await transitionDataKeys(deps, call, [req.dataKeyId], "DisableDataKey");
  return {};
}
