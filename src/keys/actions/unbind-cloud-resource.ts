import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UnbindCloudResourceRequest, UnbindCloudResourceResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { assertBinding, hasBinding } from "../bindings.js";
import type { CallContext, KmsDeps } from "../deps.js";
import type { KeyRecord } from "../key.js";
import { keyLock } from "../locks.js";
import { loadKey } from "../resolve.js";
import { assertKeyId } from "../validate.js";

/** UnbindCloudResource: removes one binding; the last one removed lets the key be deleted again. */
export async function unbindCloudResource(deps: KmsDeps, req: UnbindCloudResourceRequest, call: CallContext): Promise<MessageInitShape<typeof UnbindCloudResourceResponseSchema>> {
  assertKeyId(req.keyId);
  assertBinding(req.productId, req.resourceId);
  const binding = { productId: req.productId, resourceId: req.resourceId };
  await deps.locks.run([keyLock(req.keyId)], async () => {
    const key = await loadKey(deps, req.keyId);
    if (!hasBinding(key, binding)) throw new KmsError("ResourceNotFound", `key ${key.keyId} is not bound to ${req.productId}/${req.resourceId}`);
    const rest = (key.bindings ?? []).filter((b) => b.productId !== binding.productId || b.resourceId !== binding.resourceId);
    const after: KeyRecord = { ...key, bindings: rest };
    if (rest.length === 0) delete after.bindings;
    await deps.repo.commit([deps.repo.putKey(after)], call.journal);
  });
  return {};
}
