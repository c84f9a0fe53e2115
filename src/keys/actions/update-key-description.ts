import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateKeyDescriptionRequest, UpdateKeyDescriptionResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { changeKeys } from "../change.js";
import { findKey } from "../resolver.js";
import { assertDescription, assertKeyId } from "../validate.js";

/** UpdateKeyDescription: replaces the description (empty clears it). */
export async function updateKeyDescription(
  deps: KmsDeps,
  req: UpdateKeyDescriptionRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof UpdateKeyDescriptionResponseSchema>> {
  assertKeyId(req.keyId);
  assertDescription(req.description);
  await changeKeys(deps, [req.keyId], async () => {
    const key = await findKey(deps, call, req.keyId);
    if (key.description !== req.description) await deps.repo.commit([deps.repo.putKey({ ...key, description: req.description })], call.journal, [deps.repo.guardOf(key)]);
  });
  return {};
}
