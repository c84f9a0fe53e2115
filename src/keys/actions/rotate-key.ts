import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RotateKeyRequest, RotateKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { newRequestId } from "../../crypto/random.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { changeKeys } from "../change.js";
import { resolveKey } from "../resolver.js";
import { rotateNow } from "../rotation.js";
import { assertKeyId } from "../validate.js";

/**
 * RotateKey: a new version now, postponing the next automatic rotation by a
 * full period. As in Tencent: only with rotation enabled, never for EXTERNAL
 * keys, and at most once per interval (24 h unless configured).
 */
export async function rotateKey(deps: KmsDeps, req: RotateKeyRequest, call: CallContext): Promise<MessageInitShape<typeof RotateKeyResponseSchema>> {
  assertKeyId(req.keyId);
  await changeKeys(deps, [req.keyId], async () => {
    const key = await resolveKey(deps, call, "rotate", req.keyId);
    if (!key.rotation.enabled) throw new KmsError("UnsupportedOperation", `key rotation is not enabled for key ${key.keyId}: call EnableKeyRotation first`);
    const now = deps.clock.now();
    const last = key.rotation.lastManualRotateTime;
    const interval = deps.settings.manualRotationIntervalMs;
    if (last !== undefined && now - last < interval)
      throw new KmsError("LimitExceeded", `RotateKey may run once every ${interval / 3_600_000} hours per key; next at ${new Date(last + interval).toISOString()}`);
    await deps.repo.commit(rotateNow(deps, key, now, true).ops, call.journal, [deps.repo.guardOf(key)]);
  });
  return { taskId: newRequestId() };
}
