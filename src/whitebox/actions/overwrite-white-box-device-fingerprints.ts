import type { MessageInitShape } from "@bufbuild/protobuf";
import type { OverwriteWhiteBoxDeviceFingerprintsRequest, OverwriteWhiteBoxDeviceFingerprintsResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { keyLock, scopeOf, type WhiteBoxDeps } from "../deps.js";
import { assertWhiteBoxAction } from "../state.js";
import { changeWhiteBox, loadKey } from "../transition.js";
import { assertFingerprints, assertKeyId } from "../validate.js";

/**
 * OverwriteWhiteBoxDeviceFingerprints: the key's device list becomes exactly
 * the one given (sealed at rest); an empty list removes every device, and the
 * DecryptKey is delivered unbound again.
 */
export async function overwriteWhiteBoxDeviceFingerprints(
  deps: WhiteBoxDeps,
  req: OverwriteWhiteBoxDeviceFingerprintsRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof OverwriteWhiteBoxDeviceFingerprintsResponseSchema>> {
  assertKeyId(req.keyId);
  const list = req.deviceFingerprints.map((d) => ({ identity: d.identity, description: d.description }));
  assertFingerprints(list);
  const scope = scopeOf(call);
  // Guarded by the record as read: a deletion or state change on another replica meanwhile re-runs it.
  await changeWhiteBox(deps, `white-box key ${req.keyId}`, [keyLock(scope, req.keyId)], async () => {
    const key = await loadKey(deps, scope, req.keyId);
    assertWhiteBoxAction(key, "OverwriteWhiteBoxDeviceFingerprints");
    const ops = [deps.repo.putRecord({ ...key, fingerprintCount: list.length }), deps.repo.putFingerprints(scope, key.keyId, list)];
    await deps.repo.commit(call.journal, ops, undefined, [deps.repo.guardOf(key)]);
  });
  return {};
}
