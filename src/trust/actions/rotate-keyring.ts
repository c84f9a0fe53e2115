import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RotateKeyringRequest, RotateKeyringResponseSchema } from "../../../gen/kms/v1/trust_pb.js";
import type { CallContext } from "../../call.js";
import { assertRoot, rotationMessage, type TrustServiceDeps } from "./common.js";

/** RotateKeyring: a new current version now; every stored record rewrapped in the background. */
export async function rotateKeyring(deps: TrustServiceDeps, _req: RotateKeyringRequest, call: CallContext): Promise<MessageInitShape<typeof RotateKeyringResponseSchema>> {
  assertRoot(call);
  return { rotation: rotationMessage(await deps.trust.rotateKeyring()) };
}
