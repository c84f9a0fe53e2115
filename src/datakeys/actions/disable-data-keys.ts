import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableDataKeysRequest, DisableDataKeysResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { transitionDataKeys } from "../records.js";
import { assertDataKeyIds } from "../validate.js";

/** DisableDataKeys: DisableDataKey for up to 100 data keys, all or nothing, in one batch. */
export async function disableDataKeys(deps: DataKeysDeps, req: DisableDataKeysRequest, call: CallContext): Promise<MessageInitShape<typeof DisableDataKeysResponseSchema>> {
  assertDataKeyIds(req.dataKeyIds);
  await transitionDataKeys(deps, call, req.dataKeyIds, "DisableDataKey");
  return {};
}
