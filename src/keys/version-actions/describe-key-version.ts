import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeKeyVersionRequest, DescribeKeyVersionResponseSchema } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { findKey } from "../resolver.js";
import { versionMetadata } from "../present.js";
import { findVersion } from "../version-transition.js";

/** DescribeKeyVersion: one version. */
export async function describeKeyVersion(deps: KmsDeps, req: DescribeKeyVersionRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeKeyVersionResponseSchema>> {
  const key = await findKey(deps, call, req.keyId);
  return { version: versionMetadata(key, findVersion(key, req.version)) };
}
