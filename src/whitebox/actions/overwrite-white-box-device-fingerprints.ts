import type { MessageInitShape } from "@bufbuild/protobuf";
import type { OverwriteWhiteBoxDeviceFingerprintsRequest, OverwriteWhiteBoxDeviceFingerprintsResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { keyLock, scopeOf, type WhiteBoxDeps } from "../deps.js";
import { assertWhiteBoxAction } from "../state.js";
import { loadKey } from "../transition.js";
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
  await deps.locks.run([keyLock(scope, req.keyId)], async () => {
    const key = await loadKey(deps, scope, req.keyId);
    assertWhiteBoxAction(key, "OverwriteWhiteBoxDeviceFingerprints");
    await call.journal([deps.repo.putRecord({ ...key, fingerprintCount: list.length }), deps.repo.putFingerprints(scope, key.keyId, list)]);
  });
  return {};
}
