import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableKeyVersionRequest, DisableKeyVersionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { assertNotLastEnabled, changeVersion } from "./common.js";

/** DisableKeyVersion: Enabled → Disabled; ciphertext under it then answers ResourceUnavailable.KeyDisabled. */
export async function disableKeyVersion(deps: KmsDeps, req: DisableKeyVersionRequest, call: CallContext): Promise<MessageInitShape<typeof DisableKeyVersionResponseSchema>> {
  await changeVersion(deps, call.journal, req.keyId, req.version, (key, v) => {
    if (v.state === "Disabled") return undefined;
    if (v.state !== "Enabled") throw new KmsError("UnsupportedOperation", `version ${v.version} is pending deletion`);
    assertNotLastEnabled(key, v.version);
    return { info: { ...v, state: "Disabled" } };
  });
  return {};
}
