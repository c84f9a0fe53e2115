import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableWhiteBoxKeysRequest, DisableWhiteBoxKeysResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";
import { assertKeyIdList } from "../validate.js";

/** DisableWhiteBoxKeys: DisableWhiteBoxKey for 1 to 50 distinct, existing keys in one batch; if one is missing, none changes. */
export async function disableWhiteBoxKeys(deps: WhiteBoxDeps, req: DisableWhiteBoxKeysRequest, call: CallContext): Promise<MessageInitShape<typeof DisableWhiteBoxKeysResponseSchema>> {
  assertKeyIdList(req.keyIds);
  await transitionKeys(deps, call.journal, scopeOf(call), req.keyIds, "DisableWhiteBoxKey");
  return {};
}
