import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListKeysRequest, ListKeysResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { callScope } from "../resolver.js";
import { assertHsmClusterId, assertRole, pageOf } from "../validate.js";

/** ListKeys: the ids of the keys of the call's account and region, newest first. Role 1 (keys made by cloud products) is always empty here. */
export async function listKeys(deps: KmsDeps, req: ListKeysRequest, call: CallContext): Promise<MessageInitShape<typeof ListKeysResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  assertHsmClusterId(deps.settings, req.hsmClusterId);
  if (req.role !== 0) return { keys: [], totalCount: 0 };
  const { total, page } = (await deps.repo.summaries()).in(callScope(call)).page({ ascending: false, offset, limit });
  const ids = page.map((k) => ({ keyId: k.keyId }));
  return { keys: ids, totalCount: total };
}
