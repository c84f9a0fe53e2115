import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableKeyRequest, DisableKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";

/** DisableKey: one key through the state table (state.ts). */
export async function disableKey(deps: KmsDeps, req: DisableKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DisableKeyResponseSchema>> {
  await transitionKeys(deps, call, [req.keyId], "DisableKey");
  return {};
}
