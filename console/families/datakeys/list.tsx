/**
 * The hosted data key list: every ListDataKeyDetail filter (state, origin,
 * the CMK, length, search by name or id, tag conditions, HSM cluster, role),
 * order and paging, done by the service a page at a time; bulk enable and
 * disable. Plaintexts are never read here.
 */
import { useState } from "preact/hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListDataKeyDetailRequestSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count } from "../../core/format.js";
import { TagFilterEditor, tagFiltersOf, type TagFilterInput } from "../../core/tags.js";
import { Failure, Field, Form, Select, useLoad } from "../../core/ui.js";
import { ORIGIN_FILTER_OPTIONS, STATE_FILTER_OPTIONS } from "./enums.js";
import { DataKeyTable } from "./table.js";

interface Filters {
  state: string;
  origin: string;
  search: string;
  keyId: string;
  /** "" or a length in bytes. */
  length: string;
  hsmClusterId: string;
  role: string;
  tags: TagFilterInput[];
  order: "0" | "1";
  limit: string;
  offset: number;
}

type Draft = Pick<Filters, "search" | "keyId" | "length" | "hsmClusterId" | "tags">;

/** The typed filters only (a whole Filters object would carry its order and page along). */
const draftOf = (f: Filters): Draft => ({ search: f.search, keyId: f.keyId, length: f.length, hsmClusterId: f.hsmClusterId, tags: f.tags });

const INITIAL: Filters = { state: "0", origin: "ALL", search: "", keyId: "", length: "", hsmClusterId: "", role: "0", tags: [], order: "0", limit: "20", offset: 0 };
/** Kept while the tab lives, so coming back from a data key's page finds the list as it was left. */
let remembered: Filters = INITIAL;

function request(f: Filters): MessageInitShape<typeof ListDataKeyDetailRequestSchema> {
  return {
    offset: f.offset,
    limit: Number(f.limit),
    orderType: Number(f.order),
    keyState: Number(f.state),
    origin: f.origin,
    searchKeyAlias: f.search.trim(),
    keyId: f.keyId.trim(),
    // A length that is not a number is sent as one the service refuses, not dropped.
    dataKeyLen: f.length.trim() === "" ? 0 : /^\d+$/.test(f.length.trim()) ? Number(f.length.trim()) : 0xffffffff,
    hsmClusterId: f.hsmClusterId.trim(),
    role: Number(f.role),
    tagFilters: tagFiltersOf(f.tags),
  };
}

export function DataKeyList({ api }: RouteContext) {
  const [filters, setFiltersState] = useState<Filters>(remembered);
  const [draft, setDraft] = useState<Draft>(() => draftOf(remembered));
  const setFilters = (f: Filters) => {
    remembered = f;
    setFiltersState(f);
  };
  const change = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch, offset: patch.offset ?? 0 });
  const page = useLoad(() => api.datakeys.listDataKeyDetail(request(filters)), [JSON.stringify(filters)]);
  const status = useLoad(() => api.kms.getServiceStatus({}), []);
  const s = status.data;

  return (
    <>
      <hgroup>
        <h1>Data keys</h1>
        <p>{page.data ? `${count(page.data.totalCount)} ${page.data.totalCount === 1 ? "data key matches" : "data keys match"}` : "Hosted data keys, each sealed under one of your CMKs"}</p>
      </hgroup>
      {s ? (
        <p data-hosted={String(s.isAllowedDataKeyHosted)}>
          {count(s.dataKeyUsedCount)} of {count(s.dataKeyLimit)} data keys used in this account and region (pending deletion not counted).
        </p>
      ) : null}
      <Failure failure={status.failure} label="Service status" />
      <div class="row">
        <a href="#/datakeys/new" role="button">
          Create data key
        </a>
        <a href="#/members" class="secondary" role="button">
          Member accounts
        </a>
      </div>
      <Form label="Data key filters" class="filters" onSubmit={() => change({ ...draft })}>
        <div class="grid">
          <Field label="Search name or data key id" type="search" value={draft.search} onValue={(search) => setDraft({ ...draft, search })} />
          <Select label="State" value={filters.state} onValue={(state) => change({ state })} options={STATE_FILTER_OPTIONS} />
          <Select label="Origin" value={filters.origin} onValue={(origin) => change({ origin })} options={ORIGIN_FILTER_OPTIONS} />
        </div>
        <div class="grid">
          <Field label="CMK (key ID)" value={draft.keyId} onValue={(keyId) => setDraft({ ...draft, keyId })} hint="Only data keys sealed under this CMK." />
          <Field label="Length in bytes" inputMode="numeric" value={draft.length} onValue={(length) => setDraft({ ...draft, length })} hint="1 to 1024; empty: any." />
          <Field label="HSM cluster" value={draft.hsmClusterId} onValue={(hsmClusterId) => setDraft({ ...draft, hsmClusterId })} hint="Empty or this service's cluster: all; default: none." />
          <Select
            label="Made by"
            value={filters.role}
            onValue={(role) => change({ role })}
            options={[
              { value: "0", label: "Users (Role 0)" },
              { value: "1", label: "Cloud products (Role 1)" },
            ]}
          />
        </div>
        <TagFilterEditor legend="Tag filters (a data key must carry every one)" tags={draft.tags} onTags={(tags) => setDraft({ ...draft, tags })} />
        <div class="grid">
          <Select label="Order" value={filters.order} onValue={(order) => change({ order: order === "1" ? "1" : "0" })} options={[{ value: "0", label: "Newest first" }, { value: "1", label: "Oldest first" }]} />
          <Select label="Data keys per page" value={filters.limit} onValue={(limit) => change({ limit })} options={["10", "20", "50", "100", "200"].map((v) => ({ value: v, label: v }))} />
          <div class="actions-end">
            <button type="submit">Apply filters</button>
            <button
              type="button"
              class="secondary outline"
              onClick={() => {
                setDraft(draftOf(INITIAL));
                setFilters(INITIAL);
              }}
            >
              Reset
            </button>
          </div>
        </div>
      </Form>
      <DataKeyTable api={api} page={page} offset={filters.offset} limit={Number(filters.limit)} onOffset={(offset) => change({ offset })} label="Data keys" />
    </>
  );
}
