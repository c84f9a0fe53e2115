import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableKeyRequest, EnableKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";

/** EnableKey: one key through the state table (state.ts). */
export async function enableKey(deps: KmsDeps, req: EnableKeyRequest, call: CallContext): Promise<MessageInitShape<typeof EnableKeyResponseSchema>> {
  await transitionKeys(deps, call, [req.keyId], "EnableKey");
  return {};
}
