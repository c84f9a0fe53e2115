import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  KeyState as KeyStateEnum,
  KeyUsage as KeyUsageEnum,
  Origin as OriginEnum,
  type ListKeyDetailRequest,
  type ListKeyDetailResponseSchema,
  type TagFilter,
} from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext, KmsDeps } from "../deps.js";
import type { KeyOrigin, KeyRecord, KeyState, KeyUsage } from "../key.js";
import type { KeySummary } from "../repository.js";
import { KEY_STATE_TO_ENUM, KEY_USAGE_TO_ENUM, ORIGIN_TO_ENUM, fromEnum, keyMetadata } from "../present.js";
import { assertRole, pageOf } from "../validate.js";

type Predicate = (key: KeySummary) => boolean;

function tagMatches(key: KeySummary, filter: TagFilter): boolean {
  const tag = key.tags.find((t) => t.key === filter.tagKey);
  return tag !== undefined && (filter.tagValue.length === 0 || filter.tagValue.includes(tag.value));
}

/** Every filter of the request as one predicate list (AND). Validates enum values on the way. */
function predicatesOf(req: ListKeyDetailRequest): Predicate[] {
  const out: Predicate[] = [];
  if (req.orderType !== 0 && req.orderType !== 1) throw new KmsError("InvalidParameterValue", "OrderType must be 0 or 1");
  if (req.keyState !== KeyStateEnum.UNSPECIFIED) {
    const state = fromEnum<KeyState>(KEY_STATE_TO_ENUM, req.keyState, "KeyState");
    out.push((k) => k.keyState === state);
  }
  if (req.origin !== OriginEnum.UNSPECIFIED) {
    const origin = fromEnum<KeyOrigin>(ORIGIN_TO_ENUM, req.origin, "Origin");
    out.push((k) => k.origin === origin);
  }
  if (!req.allKeyUsages) {
    const usage: KeyUsage =
      req.keyUsage === KeyUsageEnum.UNSPECIFIED ? "ENCRYPT_DECRYPT" : fromEnum<KeyUsage>(KEY_USAGE_TO_ENUM, req.keyUsage, "KeyUsage", "InvalidParameterValue.InvalidKeyUsage");
    out.push((k) => k.keyUsage === usage);
  }
  if (req.searchKeyAlias !== "") {
    const needle = req.searchKeyAlias.toLowerCase();
    out.push((k) => k.keyId.includes(needle) || k.alias.toLowerCase().includes(needle));
  }
  for (const filter of req.tagFilters) {
    if (filter.tagKey === "") throw new KmsError("InvalidParameterValue", "TagFilters.TagKey is required");
    out.push((k) => tagMatches(k, filter));
  }
  return out;
}

/** ListKeyDetail: metadata with filters (AND), ordering and paging; TotalCount counts every match. */
export async function listKeyDetail(deps: KmsDeps, req: ListKeyDetailRequest, _call: CallContext): Promise<MessageInitShape<typeof ListKeyDetailResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  const predicates = predicatesOf(req);
  // One pass over the summaries (oldest first) in the requested order: count every match, keep the page's ids.
  const all = req.role === 0 ? await deps.repo.listSummaries() : [];
  const ids: string[] = [];
  let total = 0;
  const visit = (k: KeySummary) => {
    if (!predicates.every((p) => p(k))) return;
    if (total >= offset && ids.length < limit) ids.push(k.keyId);
    total++;
  };
  if (req.orderType === 1) for (let i = 0; i < all.length; i++) visit(all[i] as KeySummary);
  else for (let i = all.length - 1; i >= 0; i--) visit(all[i] as KeySummary);
  const records = (await deps.repo.getKeys(ids)).filter((r): r is KeyRecord => r !== undefined);
  return { totalCount: total, keyMetadatas: records.map(keyMetadata) };
}
