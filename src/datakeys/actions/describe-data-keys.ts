import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeDataKeysRequest, DescribeDataKeysResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeyRecord } from "../data-key.js";
import type { DataKeysDeps } from "../deps.js";
import { dataKeyMetadatas, scopeOf } from "../present.js";
import { assertDataKeyIds } from "../validate.js";

/** DescribeDataKeys: metadata of up to 100 data keys, in request order; ids that match no data key are left out. */
export async function describeDataKeys(deps: DataKeysDeps, req: DescribeDataKeysRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeDataKeysResponseSchema>> {
  assertDataKeyIds(req.dataKeyIds);
  const scope = scopeOf(call);
  const found = (await deps.repo.getMany(scope, req.dataKeyIds)).filter((r): r is DataKeyRecord => r !== undefined);
  return { dataKeyMetadatas: await dataKeyMetadatas(deps, scope, found) };
}
