import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableDataKeyRequest, EnableDataKeyResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { transitionDataKeys } from "../records.js";

/** EnableDataKey: Disabled -> Enabled (Enabled stays Enabled). */
export async function enableDataKey(deps: DataKeysDeps, req: EnableDataKeyRequest, call: CallContext): Promise<MessageInitShape<typeof EnableDataKeyResponseSchema>> {
  await transitionDataKeys(deps, call, [req.dataKeyId], "EnableDataKey");
  return {};
}
