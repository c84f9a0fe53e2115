import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableKeyVersionRequest, DisableKeyVersionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionVersion } from "../version-transition.js";

/** DisableKeyVersion: Enabled → Disabled (version-state.ts); ciphertext under it then answers ResourceUnavailable.KeyDisabled. */
export async function disableKeyVersion(deps: KmsDeps, req: DisableKeyVersionRequest, call: CallContext): Promise<MessageInitShape<typeof DisableKeyVersionResponseSchema>> {
  await transitionVersion(deps, call, req.keyId, req.version, "DisableKeyVersion");
  return {};
}
