import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableKeyRotationRequest, EnableKeyRotationResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { changeKeys } from "../change.js";
import { resolveKey } from "../resolver.js";
import { DAY_MS, rescheduleOps } from "../rotation.js";
import { assertKeyId } from "../validate.js";

const DEFAULT_ROTATE_DAYS = 365;

/** EnableKeyRotation: rotate every RotateDays (7 to 365, default 365), the first time a full period from now. */
export async function enableKeyRotation(deps: KmsDeps, req: EnableKeyRotationRequest, call: CallContext): Promise<MessageInitShape<typeof EnableKeyRotationResponseSchema>> {
  assertKeyId(req.keyId);
  const days = req.rotateDays === 0 ? DEFAULT_ROTATE_DAYS : req.rotateDays;
  if (days < 7 || days > 365) throw new KmsError("InvalidParameterValue", "RotateDays must be 7 to 365");
  await changeKeys(deps, [req.keyId], async () => {
    const key = await resolveKey(deps, call, "rotation-settings", req.keyId);
    if (key.rotation.enabled && key.rotation.rotateDays === days) return;
    const next = deps.clock.now() + days * DAY_MS;
    const after = { ...key, rotation: { ...key.rotation, enabled: true, rotateDays: days, nextRotateTime: next } };
    await deps.repo.commit([...rescheduleOps(deps, key, next), deps.repo.putKey(after)], call.journal, [deps.repo.guardOf(key)]);
  });
  return {};
}
