import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeKeyRequest, DescribeKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { keyMetadata, metadataScope } from "../present.js";
import { findKey } from "../resolver.js";

/** DescribeKey: one key's metadata. */
export async function describeKey(deps: KmsDeps, req: DescribeKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeKeyResponseSchema>> {
  return { keyMetadata: keyMetadata(await findKey(deps, call, req.keyId), metadataScope(deps)) };
}
