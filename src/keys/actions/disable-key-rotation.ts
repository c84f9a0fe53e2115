import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DisableKeyRotationRequest, DisableKeyRotationResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyRecord } from "../key.js";
import { changeKeys } from "../change.js";
import { resolveKey } from "../resolver.js";
import { rescheduleOps } from "../rotation.js";
import { assertKeyId } from "../validate.js";

/** DisableKeyRotation: no more automatic rotations; every version stays. */
export async function disableKeyRotation(deps: KmsDeps, req: DisableKeyRotationRequest, call: CallContext): Promise<MessageInitShape<typeof DisableKeyRotationResponseSchema>> {
  assertKeyId(req.keyId);
  await changeKeys(deps, [req.keyId], async () => {
    const key = await resolveKey(deps, call, "rotation-settings", req.keyId);
    if (!key.rotation.enabled) return;
    const after: KeyRecord = { ...key, rotation: { ...key.rotation, enabled: false } };
    delete after.rotation.nextRotateTime;
    await deps.repo.commit([...rescheduleOps(deps, key, undefined), deps.repo.putKey(after)], call.journal, [deps.repo.guardOf(key)]);
  });
  return {};
}
