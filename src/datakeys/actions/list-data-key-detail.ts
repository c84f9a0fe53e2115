import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DataKeyMetadataSchema, ListDataKeyDetailRequest, ListDataKeyDetailResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { TagFilter } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import { isUuid } from "../../crypto/ciphertext.js";
import { KmsError } from "../../errors.js";
import type { DataKeyOrigin, DataKeyState } from "../data-key.js";
import type { DataKeysDeps } from "../deps.js";
import type { DataKeyQuery, DataKeySummary } from "../listing-index.js";
import type { DataKeyScope } from "../data-key.js";
import { dataKeyMetadatas } from "../present.js";
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

/** A page's summaries by scope, in page order within each. */
function groupByScope(page: readonly [DataKeyScope, DataKeySummary][]): [DataKeyScope, DataKeySummary[]][] {
  const groups = new Map<string, [DataKeyScope, DataKeySummary[]]>();
  for (const [scope, s] of page) {
    const k = `${scope.account}/${scope.region}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = [scope, []]));
    g[1].push(s);
  }
  return [...groups.values()];
}

/** The call's scopes: its account, or each account MemberAccounts names (checked by the pipeline), in its region. */
function scopesOf(call: CallContext): DataKeyScope[] {
  return (call.accounts ?? [call.uin]).map((a) => ({ account: a.toString(), region: call.region }));
}

/**
 * One page over several scopes (MemberAccounts): every scope's matches,
 * merged in creation order, each with its scope. A single scope pages in its
 * own index without copying.
 */
async function pageOver(deps: DataKeysDeps, scopes: readonly DataKeyScope[], query: DataKeyQuery): Promise<{ total: number; page: [DataKeyScope, DataKeySummary][] }> {
  if (scopes.length === 1) {
    const scope = scopes[0] as DataKeyScope;
    const { total, page } = (await deps.repo.index(scope)).page(query);
    return { total, page: page.map((s) => [scope, s]) };
  }
  let total = 0;
  const all: [DataKeyScope, DataKeySummary][] = [];
  for (const scope of scopes) {
    const r = (await deps.repo.index(scope)).page({ ...query, offset: 0, limit: Number.POSITIVE_INFINITY });
    total += r.total;
    for (const s of r.page) all.push([scope, s]);
  }
  const sign = query.ascending ? 1 : -1;
  all.sort(([, a], [, b]) => sign * (a.createTime - b.createTime || (a.dataKeyId < b.dataKeyId ? -1 : a.dataKeyId > b.dataKeyId ? 1 : 0)));
  return { total, page: all.slice(query.offset, query.offset + query.limit) };
}

/**
 * ListDataKeyDetail: metadata with filters (AND), ordering and paging, from
 * the listing index; TotalCount counts every match. The data keys of the
 * call's account and region, or of the accounts MemberAccounts names.
 */
export async function listDataKeyDetail(deps: DataKeysDeps, req: ListDataKeyDetailRequest, call: CallContext): Promise<MessageInitShape<typeof ListDataKeyDetailResponseSchema>> {
  const query = queryOf(req);
  const cluster = assertHsmClusterId(deps.settings, req.hsmClusterId, true);
  // Role 1 (made by cloud products) has none here, nor has Tencent's shared edition ("default").
  if (req.role !== 0 || cluster === "none") return { dataKeyMetadatas: [], totalCount: 0 };
  // The summaries hold every field the metadata answers: no store read for the page.
  const { total, page } = await pageOver(deps, scopesOf(call), query);
  // Each scope's CMK names are looked up in that scope; the answer keeps the page's order.
  const metadataOf = new Map<DataKeySummary, MessageInitShape<typeof DataKeyMetadataSchema>>();
  for (const [scope, summaries] of groupByScope(page)) (await dataKeyMetadatas(deps, scope, summaries)).forEach((m, i) => metadataOf.set(summaries[i] as DataKeySummary, m));
  return { dataKeyMetadatas: page.map(([, s]) => metadataOf.get(s) as MessageInitShape<typeof DataKeyMetadataSchema>), totalCount: total };
}
