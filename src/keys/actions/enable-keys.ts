import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableKeysRequest, EnableKeysResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";
import { assertKeyIdList } from "../validate.js";

/** EnableKeys: EnableKey for up to 100 keys in one batch; if one key refuses, none changes. */
export async function enableKeys(deps: KmsDeps, req: EnableKeysRequest, call: CallContext): Promise<MessageInitShape<typeof EnableKeysResponseSchema>> {
  assertKeyIdList(req.keyIds);
  await transitionKeys(deps, call, req.keyIds, "EnableKey");
  return {};
}
