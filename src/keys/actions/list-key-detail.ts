import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  KeyUsage as KeyUsageEnum,
  type ListKeyDetailRequest,
  type ListKeyDetailResponseSchema,
  type TagFilter,
} from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyOrigin, KeyRecord, KeyState, KeyUsage } from "../key.js";
import type { KeySummary, PageQuery, ScopedSummaries } from "../summary-index.js";
import { KEY_STATE_TO_ENUM, KEY_USAGE_TO_ENUM, ORIGIN_TO_ENUM, filterOf, fromEnum, keyMetadata, metadataScope } from "../present.js";
import { callScopes, findKeys } from "../resolver.js";
import { assertHsmClusterId, assertRole, pageOf } from "../validate.js";

function tagMatches(key: KeySummary, filter: TagFilter): boolean {
  const tag = key.tags.find((t) => t.key === filter.tagKey);
  return tag !== undefined && (filter.tagValue.length === 0 || filter.tagValue.includes(tag.value));
}

/** Alias search and tag filters: checked on the summary, after its state, usage and origin codes matched. */
function extraOf(req: ListKeyDetailRequest): ((k: KeySummary) => boolean) | undefined {
  if (req.searchKeyAlias === "" && req.tagFilters.length === 0) return undefined;
  const needle = req.searchKeyAlias.toLowerCase();
  return (k) => (needle === "" || k.keyId.includes(needle) || k.alias.toLowerCase().includes(needle)) && req.tagFilters.every((t) => tagMatches(k, t));
}

/**
 * One page over several scopes (MemberAccounts): every scope's matches, merged
 * in creation order. An organisation's listing is rare; a single scope pages
 * in its own index without copying.
 */
function pageOver(index: ScopedSummaries, scopes: ReturnType<typeof callScopes>, query: PageQuery): { total: number; page: KeySummary[] } {
  if (scopes.length === 1) return index.in(scopes[0] as (typeof scopes)[number]).page(query);
  let total = 0;
  const all: KeySummary[] = [];
  for (const scope of scopes) {
    const r = index.in(scope).page({ ...query, offset: 0, limit: Number.POSITIVE_INFINITY });
    total += r.total;
    all.push(...r.page);
  }
  const sign = query.ascending ? 1 : -1;
  all.sort((a, b) => sign * (a.createTime - b.createTime || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0)));
  return { total, page: all.slice(query.offset, query.offset + query.limit) };
}

/**
 * ListKeyDetail: metadata with filters (AND), ordering and paging; TotalCount counts every match. The keys of
 * the call's account and region, or of the accounts MemberAccounts names (each checked by the pipeline).
 */
export async function listKeyDetail(deps: KmsDeps, req: ListKeyDetailRequest, call: CallContext): Promise<MessageInitShape<typeof ListKeyDetailResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  if (req.orderType !== 0 && req.orderType !== 1) throw new KmsError("InvalidParameterValue", "OrderType must be 0 or 1");
  for (const filter of req.tagFilters) if (filter.tagKey === "") throw new KmsError("InvalidParameterValue", "TagFilters.TagKey is required");
  const cluster = assertHsmClusterId(deps.settings, req.hsmClusterId, true);
  const query: PageQuery = {
    state: filterOf<KeyState>(KEY_STATE_TO_ENUM, req.keyState, "KeyState"),
    origin: filterOf<KeyOrigin>(ORIGIN_TO_ENUM, req.origin, "Origin"),
    usage: req.allKeyUsages
      ? undefined
      : req.keyUsage === KeyUsageEnum.UNSPECIFIED
        ? "ENCRYPT_DECRYPT"
        : fromEnum<KeyUsage>(KEY_USAGE_TO_ENUM, req.keyUsage, "KeyUsage", "InvalidParameterValue.InvalidKeyUsage"),
    extra: extraOf(req),
    ascending: req.orderType === 1,
    offset,
    limit,
  };
  // Role 1 (keys made by cloud products) has none here, nor has Tencent's shared edition ("default").
  if (req.role !== 0 || cluster === "none") return { totalCount: 0, keyMetadatas: [] };
  const { total, page } = pageOver(await deps.repo.summaries(), callScopes(call), query);
  const scope = metadataScope(deps);
  const records = (await findKeys(deps, call, page.map((k) => k.keyId))).filter((r): r is KeyRecord => r !== undefined);
  return { totalCount: total, keyMetadatas: records.map((r) => keyMetadata(r, scope)) };
}
