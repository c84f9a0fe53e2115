import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeKeyRequest, DescribeKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { keyMetadata } from "../present.js";
import { loadKey } from "../resolve.js";

/** DescribeKey: one key's metadata. */
export async function describeKey(deps: KmsDeps, req: DescribeKeyRequest, _call: CallContext): Promise<MessageInitShape<typeof DescribeKeyResponseSchema>> {
  return { keyMetadata: keyMetadata(await loadKey(deps, req.keyId)) };
}
