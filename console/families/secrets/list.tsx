/**
 * The secret list: every ListSecrets filter (state, name search, tags, type,
 * product, encryption type, instance), order and paging, all done by the
 * service one page at a time.
 */
import { useState } from "preact/hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListSecretsRequestSchema, SecretMetadata } from "../../../gen/ssm/v1/ssm_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count, time } from "../../core/format.js";
import { TagFilterEditor, tagFiltersOf, type TagFilterInput } from "../../core/tags.js";
import { Failure, Field, Form, Loading, Pager, Select, useLoad } from "../../core/ui.js";
import { SECRET_TYPES, STATE_FILTER_OPTIONS, STATUS_NAMES } from "./enums.js";
import { secretHref } from "./paths.js";

interface Filters {
  state: string;
  type: string;
  search: string;
  product: string;
  instance: string;
  encryptType: string;
  tags: TagFilterInput[];
  order: "0" | "1";
  limit: string;
  offset: number;
}

const INITIAL: Filters = { state: "0", type: "0", search: "", product: "", instance: "", encryptType: "0", tags: [], order: "0", limit: "20", offset: 0 };
/** Kept while the tab lives, so coming back from a secret's page finds the list as it was left. */
let remembered: Filters = INITIAL;

function request(f: Filters): MessageInitShape<typeof ListSecretsRequestSchema> {
  return {
    offset: f.offset,
    limit: Number(f.limit),
    orderType: Number(f.order),
    state: Number(f.state),
    secretType: Number(f.type),
    searchSecretName: f.search.trim(),
    productName: f.type === "1" ? f.product.trim() : "",
    instanceId: f.instance.trim(),
    encryptType: Number(f.encryptType),
    tagFilters: tagFiltersOf(f.tags),
  };
}

function detailOf(s: SecretMetadata): string {
  if (s.secretType === 1) return `${s.productName} ${s.resourceId}${s.rotationStatus === 1 ? `, rotates every ${s.rotationFrequency} d` : ""}`;
  if (s.secretType === 2) return `key pair ${s.resourceName}`;
  return s.description;
}

export function SecretList({ api }: RouteContext) {
  const [filters, setFiltersState] = useState<Filters>(remembered);
  const [draft, setDraft] = useState<Pick<Filters, "search" | "tags" | "product" | "instance">>(remembered);
  const setFilters = (f: Filters) => {
    remembered = f;
    setFiltersState(f);
  };
  const change = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch, offset: patch.offset ?? 0 });
  const page = useLoad(() => api.ssm.listSecrets(request(filters)), [JSON.stringify(filters)]);
  const secrets = page.data?.secretMetadatas ?? [];

  return (
    <>
      <hgroup>
        <h1>Secrets</h1>
        <p>{page.data ? `${count(page.data.totalCount)} ${page.data.totalCount === 1 ? "secret matches" : "secrets match"}` : "Secrets Manager"}</p>
      </hgroup>
      <div class="row">
        <a href="#/secrets/new" role="button">
          Create secret
        </a>
        <a href="#/secrets/import" role="button" class="secondary">
          Import secret
        </a>
        <a href="#/secrets/databases" role="button" class="secondary outline">
          Database instances
        </a>
      </div>
      <Form label="Secret filters" class="filters" onSubmit={() => change({ search: draft.search, tags: draft.tags, product: draft.product, instance: draft.instance })}>
        <div class="grid">
          <Field label="Search secret name" type="search" value={draft.search} onValue={(search) => setDraft({ ...draft, search })} />
          <Select label="Secret type" value={filters.type} onValue={(type) => change({ type })} options={SECRET_TYPES} />
          <Select label="State" value={filters.state} onValue={(state) => change({ state })} options={STATE_FILTER_OPTIONS} />
          <Select
            label="Encryption"
            value={filters.encryptType}
            onValue={(encryptType) => change({ encryptType })}
            options={[
              { value: "0", label: "KMS key (0)" },
              { value: "1", label: "Software key (1)" },
            ]}
          />
        </div>
        <div class="grid">
          <Field label="Products (comma-separated, database secrets)" value={draft.product} onValue={(product) => setDraft({ ...draft, product })} placeholder="Mysql" />
          <Field label="Instance ID" value={draft.instance} onValue={(instance) => setDraft({ ...draft, instance })} />
        </div>
        <TagFilterEditor legend="Tag filters (a secret must carry every one)" tags={draft.tags} onTags={(tags) => setDraft({ ...draft, tags })} />
        <div class="grid">
          <Select label="Order" value={filters.order} onValue={(order) => change({ order: order === "1" ? "1" : "0" })} options={[{ value: "0", label: "Newest first" }, { value: "1", label: "Oldest first" }]} />
          <Select label="Secrets per page" value={filters.limit} onValue={(limit) => change({ limit })} options={["10", "20", "50", "100"].map((v) => ({ value: v, label: v }))} />
          <div class="actions-end">
            <button type="submit">Apply filters</button>
            <button
              type="button"
              class="secondary outline"
              onClick={() => {
                setDraft(INITIAL);
                setFilters(INITIAL);
              }}
            >
              Reset
            </button>
          </div>
        </div>
      </Form>

      <Failure failure={page.failure} />
      {page.loading && !page.data ? <Loading what="secrets" /> : null}
      {page.data ? (
        <>
          <div class="table-wrap">
            <table class="striped" aria-busy={page.loading ? "true" : undefined}>
              <caption class="visually-hidden">Secrets, page starting at {filters.offset + 1}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Details</th>
                  <th scope="col">KMS key</th>
                  <th scope="col">Created</th>
                  <th scope="col">Deletion</th>
                </tr>
              </thead>
              <tbody>
                {secrets.map((s) => (
                  <tr key={s.secretName}>
                    <td>
                      <a href={secretHref(s.secretName)}>{s.secretName}</a>
                    </td>
                    <td>
                      <span class={`state state-${STATUS_NAMES[s.status]}`}>{STATUS_NAMES[s.status]}</span>
                    </td>
                    <td>{detailOf(s)}</td>
                    <td>
                      <code>{s.kmsKeyId}</code>
                    </td>
                    <td>{time(s.createTime)}</td>
                    <td>{time(s.deleteTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Secret pages" offset={filters.offset} limit={Number(filters.limit)} total={page.data.totalCount} onOffset={(offset) => change({ offset })} />
        </>
      ) : null}
    </>
  );
}
