import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableDataKeysRequest, EnableDataKeysResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { transitionDataKeys } from "../records.js";
import { assertDataKeyIds } from "../validate.js";

/** EnableDataKeys: EnableDataKey for up to 100 data keys, all or nothing, in one batch. */
export async function enableDataKeys(deps: DataKeysDeps, req: EnableDataKeysRequest, call: CallContext): Promise<MessageInitShape<typeof EnableDataKeysResponseSchema>> {
  assertDataKeyIds(req.dataKeyIds);
  await transitionDataKeys(deps, call, req.dataKeyIds, "EnableDataKey");
  return {};
}
