import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeWhiteBoxDeviceFingerprintsRequest, DescribeWhiteBoxDeviceFingerprintsResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { assertWhiteBoxAction } from "../state.js";
import { loadKey } from "../transition.js";
import { assertKeyId } from "../validate.js";

/** DescribeWhiteBoxDeviceFingerprints: the key's devices, in the order they were given. */
export async function describeWhiteBoxDeviceFingerprints(
  deps: WhiteBoxDeps,
  req: DescribeWhiteBoxDeviceFingerprintsRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeWhiteBoxDeviceFingerprintsResponseSchema>> {
  assertKeyId(req.keyId);
  const key = await loadKey(deps, scopeOf(call), req.keyId);
  assertWhiteBoxAction(key, "DescribeWhiteBoxDeviceFingerprints");
  return { deviceFingerprints: await deps.repo.fingerprints(key) };
}
