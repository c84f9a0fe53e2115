import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListKeyVersionsRequest, ListKeyVersionsResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { findKey } from "../resolver.js";
import { versionMetadata } from "../present.js";

/** ListKeyVersions: every version not yet purged, oldest first. */
export async function listKeyVersions(deps: KmsDeps, req: ListKeyVersionsRequest, call: CallContext): Promise<MessageInitShape<typeof ListKeyVersionsResponseSchema>> {
  const key = await findKey(deps, call, req.keyId);
  return { versions: key.versions.map((v) => versionMetadata(key, v)) };
}
