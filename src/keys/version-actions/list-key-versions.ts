import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListKeyVersionsRequest, ListKeyVersionsResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { versionMetadata } from "../present.js";

/** ListKeyVersions: every version not yet purged, oldest first. */
export async function listKeyVersions(deps: KmsDeps, req: ListKeyVersionsRequest, _call: CallContext): Promise<MessageInitShape<typeof ListKeyVersionsResponseSchema>> {
  const key = await loadKey(deps, req.keyId);
  return { versions: key.versions.map((v) => versionMetadata(key, v)) };
}
