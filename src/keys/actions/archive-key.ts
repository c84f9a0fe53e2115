import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ArchiveKeyRequest, ArchiveKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { transitionKeys } from "../transition.js";

/** ArchiveKey: one key through the state table (state.ts); a key bound to a cloud resource stays as it is. */
export async function archiveKey(deps: KmsDeps, req: ArchiveKeyRequest, call: CallContext): Promise<MessageInitShape<typeof ArchiveKeyResponseSchema>> {
  await transitionKeys(deps, call, [req.keyId], "ArchiveKey");
  return {};
}
