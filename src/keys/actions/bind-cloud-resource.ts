import type { MessageInitShape } from "@bufbuild/protobuf";
import type { BindCloudResourceRequest, BindCloudResourceResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { changeBindings, hasBinding, MAX_BINDINGS } from "../bindings.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";

/** BindCloudResource: records that a resource uses the key; binding twice succeeds and changes nothing. */
export async function bindCloudResource(deps: KmsDeps, req: BindCloudResourceRequest, call: CallContext): Promise<MessageInitShape<typeof BindCloudResourceResponseSchema>> {
  await changeBindings(deps, req, call, "bind", (key, binding) => {
    if (hasBinding(key, binding)) return undefined;
    const bindings = key.bindings ?? [];
    if (bindings.length >= MAX_BINDINGS) throw new KmsError("LimitExceeded", `key ${key.keyId} already has ${MAX_BINDINGS} bindings`);
    return [...bindings, binding];
  });
  return {};
}
