import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableKeyVersionRequest, EnableKeyVersionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionVersion } from "../version-transition.js";

/** EnableKeyVersion: Disabled → Enabled (version-state.ts). If it is the newest, it becomes primary again. */
export async function enableKeyVersion(deps: KmsDeps, req: EnableKeyVersionRequest, call: CallContext): Promise<MessageInitShape<typeof EnableKeyVersionResponseSchema>> {
  await transitionVersion(deps, call, req.keyId, req.version, "EnableKeyVersion");
  return {};
}
