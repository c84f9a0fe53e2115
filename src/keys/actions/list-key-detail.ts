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

/** The request's filters (AND); undefined means any. */
interface Filter {
  state: KeyState | undefined;
  origin: KeyOrigin | undefined;
  usage: KeyUsage | undefined;
  /** Lower-cased SearchKeyAlias. */
  needle: string | undefined;
  tags: readonly TagFilter[];
}

function tagMatches(key: KeySummary, filter: TagFilter): boolean {
  const tag = key.tags.find((t) => t.key === filter.tagKey);
  return tag !== undefined && (filter.tagValue.length === 0 || filter.tagValue.includes(tag.value));
}

/**
 * One plain function over one filter object: it runs for every stored key on
 * every call, and a list of predicate closures cost 140 ns per key (14 ms at
 * 100,000 keys) where this costs a few.
 */
function matches(k: KeySummary, f: Filter): boolean {
  return (
    (f.state === undefined || k.keyState === f.state) &&
    (f.origin === undefined || k.origin === f.origin) &&
    (f.usage === undefined || k.keyUsage === f.usage) &&
    (f.needle === undefined || k.keyId.includes(f.needle) || k.alias.toLowerCase().includes(f.needle)) &&
    (f.tags.length === 0 || f.tags.every((t) => tagMatches(k, t)))
  );
}

/** The request's filters; validates enum values on the way. */
function filterOf(req: ListKeyDetailRequest): Filter {
  if (req.orderType !== 0 && req.orderType !== 1) throw new KmsError("InvalidParameterValue", "OrderType must be 0 or 1");
  for (const filter of req.tagFilters) if (filter.tagKey === "") throw new KmsError("InvalidParameterValue", "TagFilters.TagKey is required");
  return {
    state: req.keyState === KeyStateEnum.UNSPECIFIED ? undefined : fromEnum<KeyState>(KEY_STATE_TO_ENUM, req.keyState, "KeyState"),
    origin: req.origin === OriginEnum.UNSPECIFIED ? undefined : fromEnum<KeyOrigin>(ORIGIN_TO_ENUM, req.origin, "Origin"),
    usage: req.allKeyUsages
      ? undefined
      : req.keyUsage === KeyUsageEnum.UNSPECIFIED
        ? "ENCRYPT_DECRYPT"
        : fromEnum<KeyUsage>(KEY_USAGE_TO_ENUM, req.keyUsage, "KeyUsage", "InvalidParameterValue.InvalidKeyUsage"),
    needle: req.searchKeyAlias === "" ? undefined : req.searchKeyAlias.toLowerCase(),
    tags: req.tagFilters,
  };
}

/** ListKeyDetail: metadata with filters (AND), ordering and paging; TotalCount counts every match. */
export async function listKeyDetail(deps: KmsDeps, req: ListKeyDetailRequest, _call: CallContext): Promise<MessageInitShape<typeof ListKeyDetailResponseSchema>> {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  const filter = filterOf(req);
  // One pass over the summaries (oldest first) in the requested order: count every match, keep the page's ids.
  const all = req.role === 0 ? await deps.repo.listSummaries() : [];
  const ids: string[] = [];
  let total = 0;
  const ascending = req.orderType === 1;
  for (let n = 0; n < all.length; n++) {
    const k = all[ascending ? n : all.length - 1 - n] as KeySummary;
    if (!matches(k, filter)) continue;
    if (total >= offset && ids.length < limit) ids.push(k.keyId);
    total++;
  }
  const records = (await deps.repo.getKeys(ids)).filter((r): r is KeyRecord => r !== undefined);
  return { totalCount: total, keyMetadatas: records.map(keyMetadata) };
}
