import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetKeyringStatusRequest, GetKeyringStatusResponseSchema } from "../../../gen/kms/v1/trust_pb.js";
import type { CallContext } from "../../call.js";
import { describeRoot } from "../trust.js";
import { assertRoot, rotationMessage, type TrustServiceDeps } from "./common.js";

/** GetKeyringStatus: the keyring's versions, its root, and a running rotation. */
export async function getKeyringStatus(deps: TrustServiceDeps, _req: GetKeyringStatusRequest, call: CallContext): Promise<MessageInitShape<typeof GetKeyringStatusResponseSchema>> {
  assertRoot(call);
  const s = await deps.trust.status();
  return {
    sealType: s.mode,
    root: describeRoot(s.root),
    currentVersion: s.current,
    versions: s.versions.map((v) => ({ version: v.version, createTime: BigInt(Math.floor(v.createTime / 1000)) })),
    ...(s.rotation ? { rotation: rotationMessage(s.rotation) } : {}),
  };
}
