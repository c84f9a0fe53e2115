import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeKeysRequest, DescribeKeysResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyRecord } from "../key.js";
import { keyMetadata, metadataScope } from "../present.js";
import { findKeys } from "../resolver.js";
import { assertKeyIdList } from "../validate.js";

/** DescribeKeys: metadata of up to 100 keys, in request order; ids that match no key are left out. */
export async function describeKeys(deps: KmsDeps, req: DescribeKeysRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeKeysResponseSchema>> {
  assertKeyIdList(req.keyIds);
  const found = await findKeys(deps, call, req.keyIds);
  const scope = metadataScope(deps);
  return { keyMetadatas: found.filter((k): k is KeyRecord => k !== undefined).map((k) => keyMetadata(k, scope)) };
}
