/**
 * A member account's keys and data keys, for its organisation's principals:
 * every call names the member (ListKeyDetail's and ListDataKeyDetail's
 * MemberAccounts, MemberAccount on the changes), so the service checks the
 * membership and the caller's policies on the member's resources, and audits
 * the call in both accounts. Crypto is not offered: an organisation manages
 * its members' keys, it does not use them.
 */
import { useState } from "preact/hooks";
import type { RouteContext } from "../../core/family.js";
import { count, time } from "../../core/format.js";
import { href, navigate } from "../../core/router.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, Pager, useLoad } from "../../core/ui.js";
import { DataKeyTable } from "../datakeys/table.js";
import { STATE_NAMES, usageInfo } from "../keys/enums.js";

const PAGE = 20;

function MemberForm({ current }: { current: string }) {
  const [uin, setUin] = useState(current);
  return (
    <Form label="Member account" class="filters" onSubmit={() => navigate(href("members", uin.trim()))}>
      <div class="grid">
        <Field label="Member account uin" inputMode="numeric" value={uin} onValue={setUin} required hint="An account of your organisation (the operator sets membership)." />
        <div class="actions-end">
          <button type="submit">Show its keys</button>
        </div>
      </div>
    </Form>
  );
}

function MemberKeys({ api, member }: Pick<RouteContext, "api"> & { member: bigint }) {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [done, setDone] = useState("");
  const page = useLoad(() => api.kms.listKeyDetail({ memberAccounts: [{ memberUin: member }], allKeyUsages: true, offset, limit: PAGE }), [String(member), offset]);
  const keys = page.data?.keyMetadatas ?? [];
  const ids = [...selected].filter((id) => keys.some((k) => k.keyId === id));
  const bulk = async (enable: boolean) => {
    const req = { keyIds: ids, memberAccount: { memberUin: member } };
    await (enable ? api.kms.enableKeys(req) : api.kms.disableKeys(req));
    setDone(`${enable ? "Enabled" : "Disabled"} ${ids.length} key(s) of ${String(member)}.`);
    setSelected(new Set());
    page.reload();
  };
  return (
    <section aria-labelledby="member-keys-h">
      <h2 id="member-keys-h">Keys{page.data ? ` (${count(page.data.totalCount)})` : ""}</h2>
      <div class="row">
        <span>{ids.length} selected</span>
        <ConfirmButton label="Enable selected keys" title={`Enable ${ids.length} key(s) of ${String(member)}?`} disabled={ids.length === 0} onConfirm={() => bulk(true)}>
          <p>EnableKeys with MemberAccount changes all of them or none.</p>
        </ConfirmButton>
        <ConfirmButton label="Disable selected keys" danger title={`Disable ${ids.length} key(s) of ${String(member)}?`} disabled={ids.length === 0} onConfirm={() => bulk(false)}>
          <p>The member's callers can then not use them until they are enabled again. DisableKeys changes all of them or none.</p>
        </ConfirmButton>
      </div>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={page.failure} />
      {page.loading && !page.data ? <Loading what="the member's keys" /> : null}
      {page.data ? (
        <>
          <div class="table-wrap">
            <table class="striped" aria-busy={page.loading ? "true" : undefined}>
              <caption class="visually-hidden">Keys of member account {String(member)}</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span class="visually-hidden">Select</span>
                  </th>
                  <th scope="col">Alias</th>
                  <th scope="col">Key ID</th>
                  <th scope="col">State</th>
                  <th scope="col">Usage</th>
                  <th scope="col">Created</th>
                  <th scope="col">Account</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.keyId}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select key ${k.alias || k.keyId}`}
                        checked={selected.has(k.keyId)}
                        onChange={(e) => {
                          const next = new Set(selected);
                          if (e.currentTarget.checked) next.add(k.keyId);
                          else next.delete(k.keyId);
                          setSelected(next);
                        }}
                      />
                    </td>
                    <td>{k.alias || "—"}</td>
                    <td>
                      <code>{k.keyId}</code>
                    </td>
                    <td>
                      <span class={`state state-${STATE_NAMES[k.keyState]}`}>{STATE_NAMES[k.keyState]}</span>
                    </td>
                    <td>{usageInfo(k.keyUsage).name}</td>
                    <td>{time(k.createTime)}</td>
                    <td>{String(k.accountUin)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Member key pages" offset={offset} limit={PAGE} total={page.data.totalCount} onOffset={setOffset} />
        </>
      ) : null}
    </section>
  );
}

function MemberDataKeys({ api, member }: Pick<RouteContext, "api"> & { member: bigint }) {
  const [offset, setOffset] = useState(0);
  const page = useLoad(() => api.datakeys.listDataKeyDetail({ memberAccounts: [{ memberUin: member }], offset, limit: PAGE }), [String(member), offset]);
  return (
    <section aria-labelledby="member-dk-h">
      <h2 id="member-dk-h">Data keys{page.data ? ` (${count(page.data.totalCount)})` : ""}</h2>
      <DataKeyTable api={api} page={page} offset={offset} limit={PAGE} onOffset={setOffset} member={member} label={`Data keys of member account ${String(member)}`} />
    </section>
  );
}

export function MemberAccount({ api, params }: RouteContext) {
  const raw = params.uin ?? "";
  const valid = /^\d{1,20}$/.test(raw);
  const member = valid ? BigInt(raw) : undefined;
  return (
    <>
      <hgroup>
        <h1>{member === undefined ? "Member accounts" : `Member account ${raw}`}</h1>
        <p>An organisation's principals manage its members' keys and data keys; the service checks the membership and the caller's policies on the member's resources.</p>
      </hgroup>
      <MemberForm key={raw} current={raw} />
      {raw !== "" && !valid ? (
        <div role="alert" class="failure" data-code="InvalidInput">
          A member account is named by its uin (digits).
        </div>
      ) : null}
      {member !== undefined ? (
        <>
          <MemberKeys key={`k${raw}`} api={api} member={member} />
          <MemberDataKeys key={`d${raw}`} api={api} member={member} />
        </>
      ) : null}
    </>
  );
}
