import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableWhiteBoxKeyRequest, EnableWhiteBoxKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";
import { assertKeyId } from "../validate.js";

/** EnableWhiteBoxKey: Disabled -> Enabled (Enabled stays Enabled). */
export async function enableWhiteBoxKey(deps: WhiteBoxDeps, req: EnableWhiteBoxKeyRequest, call: CallContext): Promise<MessageInitShape<typeof EnableWhiteBoxKeyResponseSchema>> {
  assertKeyId(req.keyId);
  await transitionKeys(deps, call.journal, scopeOf(call), [req.keyId], "EnableWhiteBoxKey");
  return {};
}
