import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableKeyVersionRequest, EnableKeyVersionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { changeVersion } from "./common.js";

/** EnableKeyVersion: Disabled → Enabled. If it is the newest, it becomes primary again. */
export async function enableKeyVersion(deps: KmsDeps, req: EnableKeyVersionRequest, call: CallContext): Promise<MessageInitShape<typeof EnableKeyVersionResponseSchema>> {
  await changeVersion(deps, call.journal, req.keyId, req.version, (_key, v) => {
    if (v.state === "Enabled") return undefined;
    if (v.state !== "Disabled") throw new KmsError("UnsupportedOperation", `version ${v.version} is pending deletion: cancel the deletion first`);
    return { info: { ...v, state: "Enabled" } };
  });
  return {};
}
