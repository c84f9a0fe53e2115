import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListDataKeysRequest, ListDataKeysResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { scopeOf } from "../present.js";
import { assertHsmClusterId, assertRole, pageOf } from "../validate.js";

/** ListDataKeys: the account's data key ids in the region, newest first. Role 1 (made by cloud products) is always empty here. */
export async function listDataKeys(deps: DataKeysDeps, req: ListDataKeysRequest, call: CallContext): Promise<MessageInitShape<typeof ListDataKeysResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  assertHsmClusterId(deps.settings, req.hsmClusterId);
  if (req.role !== 0) return { dataKeys: [], totalCount: 0 };
  const { total, page } = (await deps.repo.index(scopeOf(call))).page({ ascending: false, offset, limit });
  return { dataKeys: page.map((s) => ({ dataKeyId: s.dataKeyId })), totalCount: total };
}
