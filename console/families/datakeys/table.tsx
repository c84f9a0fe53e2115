/**
 * A page of hosted data keys (ListDataKeyDetail's answer) with bulk enable
 * and disable (EnableDataKeys / DisableDataKeys, all or nothing): shared by
 * the data key list and a member account's page, where every call carries
 * MemberAccount.
 */
import { useState } from "preact/hooks";
import type { ListDataKeyDetailResponse } from "../../../gen/kms/v1/datakeys_pb.js";
import type { Api } from "../../core/api.js";
import { count, time } from "../../core/format.js";
import { ConfirmButton, Done, Failure, Loading, Pager, type Loaded } from "../../core/ui.js";
import { dataKeyHref, memberField, ORIGIN_NAMES, STATE_NAMES } from "./enums.js";

export function DataKeyTable({
  api,
  page,
  offset,
  limit,
  onOffset,
  member,
  label,
}: {
  api: Api;
  page: Loaded<ListDataKeyDetailResponse>;
  offset: number;
  limit: number;
  onOffset: (offset: number) => void;
  /** The member account the rows belong to (MemberAccounts), if not the caller's own. */
  member?: bigint | undefined;
  /** Names the table, its pager and its bulk actions ("Data keys", "Data keys of 100…"). */
  label: string;
}) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [done, setDone] = useState("");
  const rows = page.data?.dataKeyMetadatas ?? [];
  // Only what is on this page can be selected: a new page starts empty.
  const ids = [...selected].filter((id) => rows.some((r) => r.dataKeyId === id));
  const bulk = async (enable: boolean) => {
    const req = { dataKeyIds: ids, ...memberField(member) };
    await (enable ? api.datakeys.enableDataKeys(req) : api.datakeys.disableDataKeys(req));
    setDone(`${enable ? "Enabled" : "Disabled"} ${ids.length} data key(s).`);
    setSelected(new Set());
    page.reload();
  };
  return (
    <>
      <div class="row">
        <span>{ids.length} selected</span>
        <ConfirmButton label="Enable selected" title={`Enable ${ids.length} data key(s)?`} disabled={ids.length === 0} onConfirm={() => bulk(true)}>
          <p>EnableDataKeys changes all of them or none.</p>
        </ConfirmButton>
        <ConfirmButton label="Disable selected" danger title={`Disable ${ids.length} data key(s)?`} disabled={ids.length === 0} onConfirm={() => bulk(false)}>
          <p>A disabled data key gives out neither its plaintext nor its ciphertext until it is enabled again. DisableDataKeys changes all of them or none.</p>
        </ConfirmButton>
      </div>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={page.failure} />
      {page.loading && !page.data ? <Loading what="data keys" /> : null}
      {page.data ? (
        <>
          <div class="table-wrap">
            <table class="striped" aria-busy={page.loading ? "true" : undefined}>
              <caption class="visually-hidden">
                {label}, page starting at {offset + 1}
              </caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every data key on this page"
                      checked={rows.length > 0 && rows.every((r) => selected.has(r.dataKeyId))}
                      onChange={(e) => setSelected(e.currentTarget.checked ? new Set(rows.map((r) => r.dataKeyId)) : new Set())}
                    />
                  </th>
                  <th scope="col">Name</th>
                  <th scope="col">Data key ID</th>
                  <th scope="col">State</th>
                  <th scope="col">CMK</th>
                  <th scope="col">Bytes</th>
                  <th scope="col">Origin</th>
                  <th scope="col">Created</th>
                  {member !== undefined ? <th scope="col">Account</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={d.dataKeyId}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${d.dataKeyName}`}
                        checked={selected.has(d.dataKeyId)}
                        onChange={(e) => {
                          const next = new Set(selected);
                          if (e.currentTarget.checked) next.add(d.dataKeyId);
                          else next.delete(d.dataKeyId);
                          setSelected(next);
                        }}
                      />
                    </td>
                    <td>
                      <a href={dataKeyHref(d.dataKeyId, member)}>{d.dataKeyName}</a>
                    </td>
                    <td>
                      <code>{d.dataKeyId}</code>
                    </td>
                    <td>
                      <span class={`state state-${STATE_NAMES[d.keyState]}`}>{STATE_NAMES[d.keyState]}</span>
                    </td>
                    <td>{d.keyName || <code>{d.keyId}</code>}</td>
                    <td>{count(d.numberOfBytes)}</td>
                    <td>{ORIGIN_NAMES[d.origin]}</td>
                    <td>{time(d.createTime)}</td>
                    {member !== undefined ? <td>{String(d.accountUin)}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label={`${label} pages`} offset={offset} limit={limit} total={page.data.totalCount} onOffset={onOffset} />
        </>
      ) : null}
    </>
  );
}
