import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeKeyRequest, DescribeKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { keyMetadata } from "../present.js";
import { findKey } from "../resolver.js";

/** DescribeKey: one key's metadata. */
export async function describeKey(deps: KmsDeps, req: DescribeKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeKeyResponseSchema>> {
  const key = await findKey(deps, call, req.keyId);
  return { keyMetadata: keyMetadata(key, deps.accountLabel?.(key.account)) };
}
