import type { MessageInitShape } from "@bufbuild/protobuf";
import type { BindCloudResourceRequest, BindCloudResourceResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { assertBinding, hasBinding, MAX_BINDINGS } from "../bindings.js";
import type { CallContext, KmsDeps } from "../deps.js";
import { keyLock } from "../locks.js";
import { loadKey } from "../resolve.js";
import { assertKeyId } from "../validate.js";

/** BindCloudResource: records that a resource uses the key; binding twice succeeds and changes nothing. */
export async function bindCloudResource(deps: KmsDeps, req: BindCloudResourceRequest, call: CallContext): Promise<MessageInitShape<typeof BindCloudResourceResponseSchema>> {
  assertKeyId(req.keyId);
  assertBinding(req.productId, req.resourceId);
  const binding = { productId: req.productId, resourceId: req.resourceId };
  await deps.locks.run([keyLock(req.keyId)], async () => {
    const key = await loadKey(deps, req.keyId);
    if (key.keyState === "PendingDelete") throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} is PendingDelete; cancel the deletion before binding it`);
    if (hasBinding(key, binding)) return;
    const bindings = key.bindings ?? [];
    if (bindings.length >= MAX_BINDINGS) throw new KmsError("LimitExceeded", `key ${key.keyId} already has ${MAX_BINDINGS} bindings`);
    await deps.repo.commit([deps.repo.putKey({ ...key, bindings: [...bindings, binding] })], call.journal);
  });
  return {};
}
