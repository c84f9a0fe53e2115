import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListKeysRequest, ListKeysResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext, KmsDeps } from "../deps.js";
import { assertRole, pageOf } from "../validate.js";

/** ListKeys: key ids, newest first. Role 1 (keys made by cloud products) is always empty here. */
export async function listKeys(deps: KmsDeps, req: ListKeysRequest, _call: CallContext): Promise<MessageInitShape<typeof ListKeysResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  // Newest first: the summaries are oldest first. Role 1 (keys made by cloud products) has none here.
  const all = req.role === 0 ? await deps.repo.listSummaries() : [];
  const total = all.length;
  const ids: { keyId: string }[] = [];
  for (let i = total - 1 - offset; i >= 0 && ids.length < limit; i--) ids.push({ keyId: all[i]!.keyId });
  return { keys: ids, totalCount: total };
}
