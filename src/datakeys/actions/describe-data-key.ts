import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeDataKeyRequest, DescribeDataKeyResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { dataKeyMetadatas, scopeOf } from "../present.js";
import { findDataKey } from "../records.js";
import { assertDataKeyAction } from "../state.js";

/** DescribeDataKey: one data key's metadata, in any state. */
export async function describeDataKey(deps: DataKeysDeps, req: DescribeDataKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeDataKeyResponseSchema>> {
  const record = await findDataKey(deps, call, req.dataKeyId);
  assertDataKeyAction(record, "DescribeDataKey");
  const [metadata] = await dataKeyMetadatas(deps, scopeOf(call), [record]);
  return { dataKeyMetadata: metadata };
}
