/**
 * The white-box key list (DescribeWhiteBoxKeyDetails): filtered by state and
 * tags, oldest first, with bulk enable and disable. The API answers every
 * key with its table files (about 1.5 MB for AES_256), so a page holds at
 * most 2 keys, as the service allows.
 */
import { useState } from "preact/hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeWhiteBoxKeyDetailsRequestSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count, time } from "../../core/format.js";
import { href } from "../../core/router.js";
import { TagFilterEditor, tagFiltersOf, type TagFilterInput } from "../../core/tags.js";
import { ConfirmButton, Done, Failure, Form, Loading, Pager, Select, useLoad } from "../../core/ui.js";
import { ALGORITHM_NAMES, STATUS_NAMES } from "./enums.js";

const PAGE = 2;

interface Filters {
  /** "all", "1" Enabled, "0" Disabled (the API's KeyStatus). */
  status: string;
  tags: TagFilterInput[];
  offset: number;
}

const INITIAL: Filters = { status: "all", tags: [], offset: 0 };
let remembered: Filters = INITIAL;

function request(f: Filters): MessageInitShape<typeof DescribeWhiteBoxKeyDetailsRequestSchema> {
  return { offset: f.offset, limit: PAGE, tagFilters: tagFiltersOf(f.tags), ...(f.status === "all" ? {} : { keyStatus: Number(f.status) }) };
}

/** Whether the white-box service is on for the account (DescribeWhiteBoxServiceStatus). */
export function ServiceStatus({ api }: Pick<RouteContext, "api">) {
  const status = useLoad(() => api.whitebox.describeWhiteBoxServiceStatus({}), [api]);
  if (status.failure) return <Failure failure={status.failure} label="Service status" />;
  if (!status.data) return null;
  return (
    <p data-service-enabled={String(status.data.serviceEnabled)}>
      Service status: <strong class={status.data.serviceEnabled ? "state state-Enabled" : "state state-Disabled"}>{status.data.serviceEnabled ? "enabled" : "not enabled (KMS_WHITEBOX_ENABLED=false)"}</strong>
    </p>
  );
}

export function WhiteBoxList({ api }: RouteContext) {
  const [filters, setFiltersState] = useState<Filters>(remembered);
  const [draftTags, setDraftTags] = useState<TagFilterInput[]>(remembered.tags);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [done, setDone] = useState("");
  const setFilters = (f: Filters) => {
    remembered = f;
    setFiltersState(f);
    setSelected(new Set());
  };
  const change = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch, offset: patch.offset ?? 0 });
  const page = useLoad(() => api.whitebox.describeWhiteBoxKeyDetails(request(filters)), [JSON.stringify(filters)]);
  const keys = page.data?.keyInfos ?? [];
  const ids = [...selected];

  return (
    <>
      <hgroup>
        <h1>White-box keys</h1>
        <p>{page.data ? `${count(page.data.totalCount)} ${page.data.totalCount === 1 ? "key matches" : "keys match"}` : "Keys whose devices decrypt with lookup tables"}</p>
      </hgroup>
      <ServiceStatus api={api} />
      <p>
        <a href="#/whitebox/new" role="button">
          Create white-box key
        </a>
      </p>
      <Form label="White-box key filters" class="filters" onSubmit={() => change({ tags: draftTags })}>
        <Select
          label="State"
          value={filters.status}
          onValue={(status) => change({ status })}
          options={[
            { value: "all", label: "Every state" },
            { value: "1", label: "Enabled" },
            { value: "0", label: "Disabled" },
          ]}
        />
        <TagFilterEditor legend="Tag filters (a key must carry every one)" tags={draftTags} onTags={setDraftTags} />
        <div class="actions-end">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            class="secondary outline"
            onClick={() => {
              setDraftTags([]);
              setFilters(INITIAL);
            }}
          >
            Reset
          </button>
        </div>
      </Form>

      <div class="row">
        <span>{ids.length} selected</span>
        <ConfirmButton label="Enable selected" title={`Enable ${ids.length} key(s)?`} disabled={ids.length === 0} onConfirm={async () => (await api.whitebox.enableWhiteBoxKeys({ keyIds: ids }), setDone(`Enabled ${ids.length} key(s).`), setSelected(new Set()), page.reload())}>
          <p>EnableWhiteBoxKeys changes all of them or none.</p>
        </ConfirmButton>
        <ConfirmButton label="Disable selected" danger title={`Disable ${ids.length} key(s)?`} disabled={ids.length === 0} onConfirm={async () => (await api.whitebox.disableWhiteBoxKeys({ keyIds: ids }), setDone(`Disabled ${ids.length} key(s).`), setSelected(new Set()), page.reload())}>
          <p>A disabled key encrypts nothing until enabled again. DisableWhiteBoxKeys changes all of them or none.</p>
        </ConfirmButton>
      </div>
      {done ? <Done>{done}</Done> : null}

      <Failure failure={page.failure} />
      {page.loading && !page.data ? <Loading what="white-box keys" /> : null}
      {page.data ? (
        <>
          <div class="table-wrap">
            <table class="striped" aria-busy={page.loading ? "true" : undefined}>
              <caption class="visually-hidden">White-box keys, page starting at {filters.offset + 1}</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span class="visually-hidden">Select</span>
                  </th>
                  <th scope="col">Alias</th>
                  <th scope="col">Key ID</th>
                  <th scope="col">Algorithm</th>
                  <th scope="col">State</th>
                  <th scope="col">Devices bound</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.keyId}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${k.alias}`}
                        checked={selected.has(k.keyId)}
                        onChange={(e) => {
                          const next = new Set(selected);
                          if (e.currentTarget.checked) next.add(k.keyId);
                          else next.delete(k.keyId);
                          setSelected(next);
                        }}
                      />
                    </td>
                    <td>
                      <a href={href("whitebox", k.keyId)}>{k.alias}</a>
                    </td>
                    <td>
                      <code>{k.keyId}</code>
                    </td>
                    <td>{ALGORITHM_NAMES[k.algorithm]}</td>
                    <td>
                      <span class={`state state-${STATUS_NAMES[k.status]}`}>{STATUS_NAMES[k.status]}</span>
                    </td>
                    <td>{k.deviceFingerprintBind ? "yes" : "no"}</td>
                    <td>{time(k.createTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="White-box key pages" offset={filters.offset} limit={PAGE} total={page.data.totalCount} onOffset={(offset) => change({ offset })} />
        </>
      ) : null}
    </>
  );
}
