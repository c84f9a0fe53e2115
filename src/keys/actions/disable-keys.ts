import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableKeysRequest, DisableKeysResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";
import { assertKeyIdList } from "../validate.js";

/** DisableKeys: DisableKey for up to 100 keys in one batch; if one key refuses, none changes. */
export async function disableKeys(deps: KmsDeps, req: DisableKeysRequest, call: CallContext): Promise<MessageInitShape<typeof DisableKeysResponseSchema>> {
  assertKeyIdList(req.keyIds);
  await transitionKeys(deps, call, req.keyIds, "DisableKey");
  return {};
}
