import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableWhiteBoxKeyRequest, DisableWhiteBoxKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";
import { assertKeyId } from "../validate.js";

/** DisableWhiteBoxKey: Enabled -> Disabled (Disabled stays Disabled); EncryptByWhiteBox then refuses it. */
export async function disableWhiteBoxKey(deps: WhiteBoxDeps, req: DisableWhiteBoxKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DisableWhiteBoxKeyResponseSchema>> {
  assertKeyId(req.keyId);
  await transitionKeys(deps, call.journal, scopeOf(call), [req.keyId], "DisableWhiteBoxKey");
  return {};
}
