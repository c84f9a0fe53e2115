/**
 * The key list: every ListKeyDetail filter (state, usage, origin, tags, search
 * by alias or id), order and paging, all done by the service: the page holds
 * one page of keys, so it is as fast at 100,000 keys as at ten.
 */
import { useState } from "preact/hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { KeyState, Origin, type KeyMetadata, type ListKeyDetailRequestSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count, time } from "../../core/format.js";
import { href } from "../../core/router.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, Pager, Select, useLoad } from "../../core/ui.js";
import { ORIGIN_NAMES, ORIGIN_OPTIONS, STATE_NAMES, STATE_OPTIONS, usageInfo, usageOptions } from "./enums.js";

interface TagRow {
  key: string;
  /** Comma-separated accepted values; empty accepts any value. */
  values: string;
}

interface Filters {
  state: string;
  /** "all" or a KeyUsage number. */
  usage: string;
  origin: string;
  search: string;
  tags: TagRow[];
  order: "0" | "1";
  limit: string;
  offset: number;
}

const INITIAL: Filters = { state: "0", usage: "all", origin: "0", search: "", tags: [], order: "0", limit: "20", offset: 0 };
/** Kept while the tab lives, so coming back from a key's page finds the list as it was left. */
let remembered: Filters = INITIAL;

function request(f: Filters): MessageInitShape<typeof ListKeyDetailRequestSchema> {
  return {
    offset: f.offset,
    limit: Number(f.limit),
    orderType: Number(f.order),
    keyState: Number(f.state) as KeyState,
    origin: Number(f.origin) as Origin,
    searchKeyAlias: f.search.trim(),
    ...(f.usage === "all" ? { allKeyUsages: true } : { keyUsage: Number(f.usage) }),
    tagFilters: f.tags
      .filter((t) => t.key.trim() !== "")
      .map((t) => ({
        tagKey: t.key.trim(),
        tagValue: t.values
          .split(",")
          .map((v) => v.trim())
          .filter(Boolean),
      })),
  };
}

function KeyRow({ k, selected, onSelect }: { k: KeyMetadata; selected: boolean; onSelect: (on: boolean) => void }) {
  const name = k.alias || k.keyId;
  return (
    <tr>
      <td>
        <input type="checkbox" aria-label={`Select ${name}`} checked={selected} onChange={(e) => onSelect(e.currentTarget.checked)} />
      </td>
      <td>
        <a href={href("keys", k.keyId)}>{k.alias}</a>
      </td>
      <td>
        <code>{k.keyId}</code>
      </td>
      <td>
        <span class={`state state-${STATE_NAMES[k.keyState]}`}>{STATE_NAMES[k.keyState]}</span>
      </td>
      <td>{usageInfo(k.keyUsage).name}</td>
      <td>{ORIGIN_NAMES[k.origin]}</td>
      <td>{k.keyRotationEnabled ? `every ${k.rotateDays} d` : "off"}</td>
      <td>{time(k.createTime)}</td>
    </tr>
  );
}

export function KeyList({ api }: RouteContext) {
  const [filters, setFiltersState] = useState<Filters>(remembered);
  const [draft, setDraft] = useState<Pick<Filters, "search" | "tags">>({ search: remembered.search, tags: remembered.tags });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [done, setDone] = useState("");
  const setFilters = (f: Filters) => {
    remembered = f;
    setFiltersState(f);
    setSelected(new Set());
  };
  const change = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch, offset: patch.offset ?? 0 });
  const page = useLoad(() => api.kms.listKeyDetail(request(filters)), [JSON.stringify(filters)]);
  const keys = page.data?.keyMetadatas ?? [];
  const ids = [...selected];

  return (
    <>
      <hgroup>
        <h1>Keys</h1>
        <p>{page.data ? `${count(page.data.totalCount)} ${page.data.totalCount === 1 ? "key matches" : "keys match"}` : "Customer master keys"}</p>
      </hgroup>
      <p>
        <a href="#/keys/new" role="button">
          Create key
        </a>{" "}
        <a href="#/members" role="button" class="secondary outline">
          Member accounts
        </a>
      </p>
      <Form label="Key filters" class="filters" onSubmit={() => change({ search: draft.search, tags: draft.tags })}>
        <div class="grid">
          <Field label="Search alias or key id" type="search" value={draft.search} onValue={(search) => setDraft({ ...draft, search })} />
          <Select label="State" value={filters.state} onValue={(state) => change({ state })} options={STATE_OPTIONS} />
          <Select label="Usage" value={filters.usage} onValue={(usage) => change({ usage })} options={[{ value: "all", label: "All usages" }, ...usageOptions()]} />
          <Select label="Origin" value={filters.origin} onValue={(origin) => change({ origin })} options={ORIGIN_OPTIONS} />
        </div>
        <fieldset>
          <legend>Tag filters (a key must carry every one)</legend>
          {draft.tags.map((t, i) => (
            <div class="grid tag-row" key={i}>
              <Field label={`Tag key ${i + 1}`} value={t.key} onValue={(key) => setDraft({ ...draft, tags: draft.tags.map((x, j) => (j === i ? { ...x, key } : x)) })} />
              <Field label={`Values of tag ${i + 1}`} hint="Comma-separated; empty: any value" value={t.values} onValue={(values) => setDraft({ ...draft, tags: draft.tags.map((x, j) => (j === i ? { ...x, values } : x)) })} />
              <button type="button" class="secondary outline" aria-label={`Remove tag filter ${i + 1}`} onClick={() => setDraft({ ...draft, tags: draft.tags.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" class="secondary outline" onClick={() => setDraft({ ...draft, tags: [...draft.tags, { key: "", values: "" }] })}>
            Add tag filter
          </button>
        </fieldset>
        <div class="grid">
          <Select label="Order" value={filters.order} onValue={(order) => change({ order: order === "1" ? "1" : "0" })} options={[{ value: "0", label: "Newest first" }, { value: "1", label: "Oldest first" }]} />
          <Select label="Keys per page" value={filters.limit} onValue={(limit) => change({ limit })} options={["10", "20", "50", "100", "200"].map((v) => ({ value: v, label: v }))} />
          <div class="actions-end">
            <button type="submit">Apply filters</button>
            <button
              type="button"
              class="secondary outline"
              onClick={() => {
                setDraft({ search: "", tags: [] });
                setFilters(INITIAL);
              }}
            >
              Reset
            </button>
          </div>
        </div>
      </Form>

      <div class="row">
        <span>{ids.length} selected</span>
        <ConfirmButton label="Enable selected" title={`Enable ${ids.length} key(s)?`} disabled={ids.length === 0} onConfirm={async () => (await api.kms.enableKeys({ keyIds: ids }), setDone(`Enabled ${ids.length} key(s).`), setSelected(new Set()), page.reload())}>
          <p>EnableKeys changes all of them or none.</p>
        </ConfirmButton>
        <ConfirmButton label="Disable selected" danger title={`Disable ${ids.length} key(s)?`} disabled={ids.length === 0} onConfirm={async () => (await api.kms.disableKeys({ keyIds: ids }), setDone(`Disabled ${ids.length} key(s).`), setSelected(new Set()), page.reload())}>
          <p>Disabled keys refuse every cryptographic operation until enabled again. DisableKeys changes all of them or none.</p>
        </ConfirmButton>
      </div>
      {done ? <Done>{done}</Done> : null}

      <Failure failure={page.failure} />
      {page.loading && !page.data ? <Loading what="keys" /> : null}
      {page.data ? (
        <>
          <div class="table-wrap">
            <table class="striped" aria-busy={page.loading ? "true" : undefined}>
              <caption class="visually-hidden">Keys, page starting at {filters.offset + 1}</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every key on this page"
                      checked={keys.length > 0 && keys.every((k) => selected.has(k.keyId))}
                      onChange={(e) => setSelected(e.currentTarget.checked ? new Set(keys.map((k) => k.keyId)) : new Set())}
                    />
                  </th>
                  <th scope="col">Alias</th>
                  <th scope="col">Key ID</th>
                  <th scope="col">State</th>
                  <th scope="col">Usage</th>
                  <th scope="col">Origin</th>
                  <th scope="col">Rotation</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <KeyRow
                    key={k.keyId}
                    k={k}
                    selected={selected.has(k.keyId)}
                    onSelect={(on) => {
                      const next = new Set(selected);
                      if (on) next.add(k.keyId);
                      else next.delete(k.keyId);
                      setSelected(next);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Key pages" offset={filters.offset} limit={Number(filters.limit)} total={page.data.totalCount} onOffset={(offset) => change({ offset })} />
        </>
      ) : null}
    </>
  );
}
