import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListDataKeyDetailRequest, ListDataKeyDetailResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { TagFilter } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import { isUuid } from "../../crypto/ciphertext.js";
import { KmsError } from "../../errors.js";
import type { DataKeyOrigin, DataKeyState } from "../data-key.js";
import type { DataKeysDeps } from "../deps.js";
import type { DataKeyQuery, DataKeySummary } from "../listing-index.js";
import { dataKeyMetadatas, scopeOf } from "../present.js";
import { assertHsmClusterId, assertRole, MAX_DATA_KEY_BYTES, pageOf } from "../validate.js";

/** The KeyState filter's numbers (0: every state). */
const STATES: readonly (DataKeyState | undefined)[] = [undefined, "Enabled", "Disabled", "PendingDelete"];
/** The Origin filter's values, case-sensitive as documented ("ALL" or empty: both). */
const ORIGINS: Readonly<Record<string, DataKeyOrigin | undefined>> = { "": undefined, ALL: undefined, TENCENT_KMS: "TENCENT_KMS", EXTERNAL: "EXTERNAL" };

function tagMatches(s: DataKeySummary, filter: TagFilter): boolean {
  const tag = s.tags.find((t) => t.key === filter.tagKey);
  return tag !== undefined && (filter.tagValue.length === 0 || filter.tagValue.includes(tag.value));
}

/** Search and tag filters: checked on the summary, after its coded fields matched. */
function extraOf(req: ListDataKeyDetailRequest): ((s: DataKeySummary) => boolean) | undefined {
  if (req.searchKeyAlias === "" && req.tagFilters.length === 0) return undefined;
  const needle = req.searchKeyAlias.toLowerCase();
  return (s) => (needle === "" || s.dataKeyId.includes(needle) || s.name.toLowerCase().includes(needle)) && req.tagFilters.every((t) => tagMatches(s, t));
}

/** The request's filters as an index query; every value is checked before anything is read. */
function queryOf(req: ListDataKeyDetailRequest): DataKeyQuery {
  assertRole(req.role);
  const { offset, limit } = pageOf(req.offset, req.limit);
  if (req.orderType !== 0 && req.orderType !== 1) throw new KmsError("InvalidParameterValue", "OrderType must be 0 or 1");
  if (req.keyState >= STATES.length) throw new KmsError("InvalidParameterValue", "KeyState must be 0 (all), 1 (Enabled), 2 (Disabled) or 3 (PendingDelete)");
  if (!Object.hasOwn(ORIGINS, req.origin)) throw new KmsError("InvalidParameterValue", "Origin must be TENCENT_KMS, EXTERNAL or ALL");
  if (req.keyId !== "" && !isUuid(req.keyId)) throw new KmsError("InvalidParameterValue.InvalidKeyId", `KeyId "${req.keyId.slice(0, 64)}" is not a valid key id`);
  if (req.dataKeyLen > MAX_DATA_KEY_BYTES) throw new KmsError("InvalidParameterValue", `DataKeyLen must be 1 to ${MAX_DATA_KEY_BYTES} (0: any)`);
  for (const filter of req.tagFilters) if (filter.tagKey === "") throw new KmsError("InvalidParameterValue", "TagFilters.TagKey is required");
  return {
    state: STATES[req.keyState],
    origin: ORIGINS[req.origin],
    keyId: req.keyId === "" ? undefined : req.keyId,
    numberOfBytes: req.dataKeyLen === 0 ? undefined : req.dataKeyLen,
    extra: extraOf(req),
    ascending: req.orderType === 1,
    offset,
    limit,
  };
}

/**
 * ListDataKeyDetail: metadata with filters (AND), ordering and paging, from
 * the listing index; TotalCount counts every match. MemberAccounts: see
 * member-accounts.ts.
 */
export async function listDataKeyDetail(deps: DataKeysDeps, req: ListDataKeyDetailRequest, call: CallContext): Promise<MessageInitShape<typeof ListDataKeyDetailResponseSchema>> {
  const query = queryOf(req);
  const cluster = assertHsmClusterId(deps.settings, req.hsmClusterId, true);
  // Role 1 (made by cloud products) has none here, nor has Tencent's shared edition ("default").
  if (req.role !== 0 || cluster === "none") return { dataKeyMetadatas: [], totalCount: 0 };
  const scope = scopeOf(call);
  // The summaries hold every field the metadata answers: no store read for the page.
  const { total, page } = (await deps.repo.index(scope)).page(query);
  return { dataKeyMetadatas: await dataKeyMetadatas(deps, scope, page), totalCount: total };
}
