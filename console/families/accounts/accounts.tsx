/**
 * Accounts (OperatorService, the operator's alone): the list, create (the new
 * root's token and access key shown once), disable and enable, and
 * organisation membership. Anyone else who opens this page sees the
 * service's refusal.
 */
import { useState } from "preact/hooks";
import { AccountStatus, type Account, type CreateAccountResponse } from "../../../gen/kms/v1/operator_pb.js";
import { download } from "../../core/bytes.js";
import type { RouteContext } from "../../core/family.js";
import { time } from "../../core/format.js";
import { href } from "../../core/router.js";
import { ConfirmButton, CopyButton, Done, Failure, Field, Form, Loading, Select, TextArea, useAction, useLoad } from "../../core/ui.js";

const STATUS_NAMES: Record<AccountStatus, string> = {
  [AccountStatus.UNSPECIFIED]: "—",
  [AccountStatus.ENABLED]: "Enabled",
  [AccountStatus.DISABLED]: "Disabled",
};

/** A decimal uin or app id from a field: "" is 0; anything else that is not digits is sent as a value the service refuses. */
function uintOf(value: string, what: string): bigint {
  const v = value.trim();
  if (v === "") return 0n;
  if (!/^\d{1,20}$/.test(v) || BigInt(v) > 0xffff_ffff_ffff_ffffn) throw new Error(`${what} must be a number`);
  return BigInt(v);
}

/** The new root's credentials: shown here once, never again. */
function CredentialsOnce({ made, onDismiss }: { made: CreateAccountResponse; onDismiss: () => void }) {
  const uin = String(made.account?.uin ?? 0n);
  const rows: [string, string][] = [
    ["Root bearer token", made.rootToken],
    ["Root SecretId", made.rootSecretId],
    ["Root SecretKey", made.rootSecretKey],
  ];
  return (
    <section class="secret-once" aria-labelledby="creds-h">
      <h2 id="creds-h">Root credentials of account {uin}</h2>
      <p role="alert">
        <strong>Shown once.</strong> Store them now: they give unrestricted power over the new account, the service keeps only a hash of the token and a sealed copy of the key, and neither is ever shown again.
      </p>
      {rows.map(([label, value]) => (
        <div key={label}>
          <h3>{label}</h3>
          <pre class="secret" tabIndex={0} aria-label={label}>
            {value}
          </pre>
          <CopyButton text={value} label={`Copy ${label}`} />
        </div>
      ))}
      <div class="row">
        <button
          type="button"
          class="secondary"
          onClick={() => download(`account-${uin}-root-credentials.json`, `${JSON.stringify({ Uin: uin, Token: made.rootToken, SecretId: made.rootSecretId, SecretKey: made.rootSecretKey }, null, 2)}\n`, "application/json")}
        >
          Download as JSON
        </button>
        <button type="button" onClick={onDismiss}>
          I have stored them
        </button>
      </div>
    </section>
  );
}

function CreateAccount({ api, created }: Pick<RouteContext, "api"> & { created: (r: CreateAccountResponse) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [uin, setUin] = useState("");
  const [appId, setAppId] = useState("");
  const action = useAction();
  return (
    <Form
      label="Create account"
      onSubmit={() =>
        action.run(async () => {
          const r = await api.operator.createAccount({ name, description, uin: uintOf(uin, "Uin"), appId: uintOf(appId, "App id") });
          setName("");
          setDescription("");
          setUin("");
          setAppId("");
          created(r);
        })
      }
    >
      <h2>Create account</h2>
      <div class="grid">
        <Field label="Account name" value={name} onValue={setName} required maxLength={64} hint="1 to 64 of A-Z a-z 0-9 and _+=,.@-; unique." />
        <Field label="Uin (optional)" inputMode="numeric" value={uin} onValue={setUin} hint="5 to 20 digits, not starting with 0; empty: generated." />
        <Field label="App id (optional)" inputMode="numeric" value={appId} onValue={setAppId} hint="Tencent's MemberAppId; empty: none." />
      </div>
      <TextArea label="Account description" value={description} onValue={setDescription} rows={2} hint="At most 1024 bytes." />
      <Failure failure={action.failure} />
      <button type="submit" aria-busy={action.busy ? "true" : undefined} disabled={action.busy}>
        Create account
      </button>
    </Form>
  );
}

function OrganisationButton({ api, account, accounts, changed }: Pick<RouteContext, "api"> & { account: Account; accounts: readonly Account[]; changed: (m: string) => void }) {
  const [org, setOrg] = useState(String(account.organizationUin));
  const uin = String(account.uin);
  return (
    <ConfirmButton
      label={`Organisation of ${account.name}`}
      title={`Organisation of ${account.name}`}
      confirmLabel="Save organisation"
      onConfirm={async () => {
        const r = await api.operator.setAccountOrganization({ memberUin: account.uin, organizationUin: BigInt(org) });
        changed(r.account?.organizationUin ? `${account.name} is a member of ${String(r.account.organizationUin)}.` : `${account.name} is in no organisation.`);
      }}
    >
      <p>An organisation's principals manage its members' keys and data keys (MemberAccount), when their policies allow it; its root always may. One level deep: an organisation is no one's member.</p>
      <Select
        label="Organisation account"
        value={org}
        onValue={setOrg}
        options={[{ value: "0", label: "None" }, ...accounts.filter((a) => String(a.uin) !== uin).map((a) => ({ value: String(a.uin), label: `${a.name} (${String(a.uin)})` }))]}
      />
    </ConfirmButton>
  );
}

export function Accounts({ api }: RouteContext) {
  const [tick, setTick] = useState(0);
  const [done, setDone] = useState("");
  const [made, setMade] = useState<CreateAccountResponse | undefined>();
  const list = useLoad(() => api.operator.listAccounts({}), [tick]);
  const accounts = list.data?.accounts ?? [];
  const changed = (m: string) => {
    setDone(m);
    setTick((t) => t + 1);
  };
  const nameOf = (uin: bigint) => accounts.find((a) => a.uin === uin)?.name ?? String(uin);
  return (
    <>
      <hgroup>
        <h1>Accounts</h1>
        <p>Tenants of this deployment; only the operator (the default account's root) manages them.</p>
      </hgroup>
      {made ? <CredentialsOnce made={made} onDismiss={() => setMade(undefined)} /> : null}
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="accounts" /> : null}
      {list.data ? (
        <>
          <div class="table-wrap">
            <table class="striped">
              <caption class="visually-hidden">Accounts</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Uin</th>
                  <th scope="col">Status</th>
                  <th scope="col">Organisation</th>
                  <th scope="col">App id</th>
                  <th scope="col">Created</th>
                  <th scope="col">Description</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((a) => (
                  <tr key={String(a.uin)}>
                    <th scope="row">
                      {a.name}
                      {a.default ? <small> (default)</small> : null}
                    </th>
                    <td>
                      <code>{String(a.uin)}</code>
                    </td>
                    <td>
                      <span class={`state state-${STATUS_NAMES[a.status]}`}>{STATUS_NAMES[a.status]}</span>
                    </td>
                    <td>{a.organizationUin ? nameOf(a.organizationUin) : "—"}</td>
                    <td>{a.appId ? String(a.appId) : "—"}</td>
                    <td>{time(a.createTime)}</td>
                    <td>{a.description || "—"}</td>
                    <td class="row">
                      {a.default ? (
                        <small>The operator's account</small>
                      ) : (
                        <>
                          {a.status === AccountStatus.DISABLED ? (
                            <ConfirmButton label={`Enable ${a.name}`} title={`Enable ${a.name}?`} confirmLabel="Enable" onConfirm={() => api.operator.enableAccount({ uin: a.uin }).then(() => changed(`${a.name} enabled.`))}>
                              <p>Its credentials authenticate again.</p>
                            </ConfirmButton>
                          ) : (
                            <ConfirmButton label={`Disable ${a.name}`} danger title={`Disable ${a.name}?`} confirmLabel="Disable" onConfirm={() => api.operator.disableAccount({ uin: a.uin }).then(() => changed(`${a.name} disabled.`))}>
                              <p>Every credential of the account stops authenticating at its next call (AuthFailure). Its keys, secrets and records are kept; enabling it restores them.</p>
                            </ConfirmButton>
                          )}
                          <OrganisationButton key={`${String(a.uin)}/${String(a.organizationUin)}`} api={api} account={a} accounts={accounts} changed={changed} />
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            An organisation's principals see a member's keys and data keys on the <a href={href("members")}>member account page</a>, signed in as the organisation.
          </p>
          <CreateAccount api={api} created={(r) => (setMade(r), changed(`Account ${r.account?.name ?? ""} created.`))} />
        </>
      ) : null}
    </>
  );
}
