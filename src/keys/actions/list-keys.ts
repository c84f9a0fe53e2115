import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListKeysRequest, ListKeysResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext, KmsDeps } from "../deps.js";
import type { KeyRecord } from "../key.js";
import { page, sortByCreateTime } from "../list.js";
import { assertRole, pageOf } from "../validate.js";

/** ListKeys: key ids, newest first. Role 1 (keys made by cloud products) is always empty here. */
export async function listKeys(deps: KmsDeps, req: ListKeysRequest, _call: CallContext): Promise<MessageInitShape<typeof ListKeysResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  const keys: KeyRecord[] = [];
  if (req.role === 0) for await (const key of deps.repo.allKeys()) keys.push(key);
  const sorted = sortByCreateTime(keys, false);
  return { keys: page(sorted, offset, limit).map((k) => ({ keyId: k.keyId })), totalCount: sorted.length };
}
