import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UnbindCloudResourceRequest, UnbindCloudResourceResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { changeBindings, hasBinding } from "../bindings.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";

/** UnbindCloudResource: removes one binding; the last one removed lets the key be deleted again. */
export async function unbindCloudResource(deps: KmsDeps, req: UnbindCloudResourceRequest, call: CallContext): Promise<MessageInitShape<typeof UnbindCloudResourceResponseSchema>> {
  await changeBindings(deps, req, call, "describe", (key, binding) => {
    if (!hasBinding(key, binding)) throw new KmsError("ResourceNotFound", `key ${key.keyId} is not bound to ${binding.productId}/${binding.resourceId}`);
    return (key.bindings ?? []).filter((b) => b.productId !== binding.productId || b.resourceId !== binding.resourceId);
  });
  return {};
}
