import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateDataKeyDescriptionRequest, UpdateDataKeyDescriptionResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { transitionDataKeys } from "../records.js";
import { assertDataKeyId, assertDescription } from "../validate.js";

/** UpdateDataKeyDescription: replaces the description (at most 100 bytes) of a data key not pending deletion. */
export async function updateDataKeyDescription(
  deps: DataKeysDeps,
  req: UpdateDataKeyDescriptionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof UpdateDataKeyDescriptionResponseSchema>> {
  assertDataKeyId(req.dataKeyId);
  assertDescription(req.description);
  await transitionDataKeys(deps, call, [req.dataKeyId], "UpdateDataKeyDescription", (_before, after) => {
    after.description = req.description;
    return [];
  });
  return {};
}
