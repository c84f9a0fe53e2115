/** One principal: attached policies, bearer tokens and access keys (secrets shown once), and deletion of a sub-user. */
import { useState } from "preact/hooks";
import { AccessKeyStatus } from "../../../gen/kms/v1/admin_pb.js";
import type { RouteContext } from "../../core/family.js";
import { time } from "../../core/format.js";
import { navigate } from "../../core/router.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, SecretOnce, Select, useAction, useLoad } from "../../core/ui.js";

function Policies({ api, uin, names, root, changed }: Pick<RouteContext, "api"> & { uin: bigint; names: string[]; root: boolean; changed: (m: string) => void }) {
  const all = useLoad(() => api.admin.listPolicies({}), []);
  const [choice, setChoice] = useState("");
  const attach = useAction();
  const available = (all.data?.policies ?? []).filter((p) => !names.includes(p.name));
  return (
    <section aria-labelledby="policies-h">
      <h2 id="policies-h">Policies</h2>
      {root ? <p>The root is not restricted by policies.</p> : null}
      {names.length === 0 && !root ? <p>No policy attached: this sub-user may do nothing.</p> : null}
      <ul class="chips">
        {names.map((n) => (
          <li key={n}>
            <a href={`#/access/policies/${encodeURIComponent(n)}`}>{n}</a>{" "}
            <ConfirmButton label={`Detach ${n}`} title={`Detach ${n}?`} confirmLabel="Detach" onConfirm={() => api.admin.detachPolicy({ principalUin: uin, policyName: n }).then(() => changed(`Detached ${n}.`))}>
              <p>It takes effect on the principal's next call.</p>
            </ConfirmButton>
          </li>
        ))}
      </ul>
      {root ? null : (
        <Form
          label="Attach a policy"
          onSubmit={() =>
            attach.run(async () => {
              const name = choice || available[0]?.name || "";
              await api.admin.attachPolicy({ principalUin: uin, policyName: name });
              changed(`Attached ${name}.`);
            })
          }
        >
          <Failure failure={all.failure} />
          <div class="grid">
            <Select label="Policy to attach" value={choice || available[0]?.name || ""} onValue={setChoice} options={available.map((p) => ({ value: p.name, label: p.name }))} />
            <div class="actions-end">
              <button type="submit" disabled={available.length === 0} aria-busy={attach.busy ? "true" : undefined}>
                Attach policy
              </button>
            </div>
          </div>
          <Failure failure={attach.failure} />
        </Form>
      )}
    </section>
  );
}

function Tokens({ api, uin }: Pick<RouteContext, "api"> & { uin: bigint }) {
  const list = useLoad(() => api.admin.listTokens({ principalUin: uin }), [uin]);
  const [description, setDescription] = useState("");
  const [secret, setSecret] = useState("");
  const [done, setDone] = useState("");
  const create = useAction();
  return (
    <section aria-labelledby="tokens-h">
      <h2 id="tokens-h">Bearer tokens</h2>
      <p>For gRPC, gRPC-Web, Connect and this console.</p>
      {secret ? <SecretOnce label="New bearer token" value={secret} onDismiss={() => setSecret("")} /> : null}
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.data ? (
        list.data.tokens.length === 0 ? (
          <p>No tokens.</p>
        ) : (
          <table class="striped">
            <caption class="visually-hidden">Bearer tokens</caption>
            <thead>
              <tr>
                <th scope="col">Token ID</th>
                <th scope="col">Created</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.tokens.map((t) => (
                <tr key={t.tokenId}>
                  <td>
                    <code>{t.tokenId}</code>
                  </td>
                  <td>{time(t.createTime)}</td>
                  <td>{t.description}</td>
                  <td>
                    <ConfirmButton label={`Revoke ${t.tokenId}`} danger title={`Revoke token ${t.tokenId}?`} confirmLabel="Revoke" onConfirm={() => api.admin.deleteToken({ tokenId: t.tokenId }).then(() => (setDone(`Revoked ${t.tokenId}.`), list.reload()))}>
                      <p>Calls with it answer AuthFailure.TokenFailure from now on. This cannot be undone.</p>
                    </ConfirmButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <Form
        label="Create token"
        onSubmit={() =>
          create.run(async () => {
            const r = await api.admin.createToken({ principalUin: uin, description });
            setSecret(r.secret);
            setDescription("");
            setDone("");
            list.reload();
          })
        }
      >
        <div class="grid">
          <Field label="Token description" value={description} onValue={setDescription} />
          <div class="actions-end">
            <button type="submit" aria-busy={create.busy ? "true" : undefined}>
              Create token
            </button>
          </div>
        </div>
        <Failure failure={create.failure} />
      </Form>
    </section>
  );
}

function AccessKeys({ api, uin }: Pick<RouteContext, "api"> & { uin: bigint }) {
  const list = useLoad(() => api.admin.listAccessKeys({ principalUin: uin }), [uin]);
  const [description, setDescription] = useState("");
  const [secret, setSecret] = useState<{ id: string; key: string } | undefined>();
  const [done, setDone] = useState("");
  const create = useAction();
  const changed = (m: string) => {
    setDone(m);
    list.reload();
  };
  return (
    <section aria-labelledby="aks-h">
      <h2 id="aks-h">Access keys</h2>
      <p>SecretId and SecretKey for the Tencent Cloud SDKs (API 3.0 signatures).</p>
      {secret ? <SecretOnce label={`SecretKey of ${secret.id}`} value={secret.key} onDismiss={() => setSecret(undefined)} /> : null}
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.data ? (
        list.data.accessKeys.length === 0 ? (
          <p>No access keys.</p>
        ) : (
          <table class="striped">
            <caption class="visually-hidden">Access keys</caption>
            <thead>
              <tr>
                <th scope="col">SecretId</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.accessKeys.map((k) => (
                <tr key={k.secretId}>
                  <td>
                    <code>{k.secretId}</code>
                  </td>
                  <td>{k.status === AccessKeyStatus.ENABLED ? "Enabled" : "Disabled"}</td>
                  <td>{time(k.createTime)}</td>
                  <td>{k.description}</td>
                  <td class="row">
                    {k.status === AccessKeyStatus.ENABLED ? (
                      <ConfirmButton label={`Disable ${k.secretId}`} title={`Disable ${k.secretId}?`} confirmLabel="Disable" onConfirm={() => api.admin.disableAccessKey({ secretId: k.secretId }).then(() => changed(`Disabled ${k.secretId}.`))}>
                        <p>Requests signed with it answer AuthFailure.SecretIdNotFound until it is enabled again.</p>
                      </ConfirmButton>
                    ) : (
                      <ConfirmButton label={`Enable ${k.secretId}`} title={`Enable ${k.secretId}?`} confirmLabel="Enable" onConfirm={() => api.admin.enableAccessKey({ secretId: k.secretId }).then(() => changed(`Enabled ${k.secretId}.`))} />
                    )}
                    <ConfirmButton label={`Delete ${k.secretId}`} danger title={`Delete ${k.secretId}?`} confirmLabel="Delete" onConfirm={() => api.admin.deleteAccessKey({ secretId: k.secretId }).then(() => changed(`Deleted ${k.secretId}.`))}>
                      <p>This cannot be undone.</p>
                    </ConfirmButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <Form
        label="Create access key"
        onSubmit={() =>
          create.run(async () => {
            const r = await api.admin.createAccessKey({ principalUin: uin, description });
            setSecret({ id: r.accessKey?.secretId ?? "", key: r.secretKey });
            setDescription("");
            setDone(`Created ${r.accessKey?.secretId ?? ""}.`);
            list.reload();
          })
        }
      >
        <div class="grid">
          <Field label="Access key description" value={description} onValue={setDescription} />
          <div class="actions-end">
            <button type="submit" aria-busy={create.busy ? "true" : undefined}>
              Create access key
            </button>
          </div>
        </div>
        <Failure failure={create.failure} />
      </Form>
    </section>
  );
}

export function PrincipalPage({ api, params }: RouteContext) {
  const uinText = params.uin ?? "";
  const uin = /^\d{1,20}$/.test(uinText) ? BigInt(uinText) : 0n;
  const list = useLoad(() => api.admin.listPrincipals({}), [uinText]);
  const [done, setDone] = useState("");
  const principal = list.data?.principals.find((p) => p.uin === uin);
  const changed = (m: string) => {
    setDone(m);
    list.reload();
  };
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/access/principals">Principals</a>
          </li>
          <li>{principal?.name ?? uinText}</li>
        </ul>
      </nav>
      <hgroup>
        <h1>{principal ? principal.name : "Principal"}</h1>
        <p>
          UIN <code>{uinText}</code>
          {principal?.root ? " · account root" : ""}
        </p>
      </hgroup>
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="the principal" /> : null}
      {list.data && !principal ? <p role="alert">No principal has UIN {uinText}.</p> : null}
      {done ? <Done>{done}</Done> : null}
      {principal ? (
        <>
          {principal.description ? <p>{principal.description}</p> : null}
          <Policies api={api} uin={uin} names={principal.policyNames} root={principal.root} changed={changed} />
          <Tokens api={api} uin={uin} />
          <AccessKeys api={api} uin={uin} />
          {principal.root ? null : (
            <section aria-labelledby="delete-h">
              <h2 id="delete-h">Delete</h2>
              <ConfirmButton label="Delete sub-user" danger title={`Delete ${principal.name}?`} onConfirm={() => api.admin.deletePrincipal({ uin }).then(() => navigate("#/access/principals"))}>
                <p>Its tokens and access keys are deleted with it, in one change. This cannot be undone.</p>
              </ConfirmButton>
            </section>
          )}
        </>
      ) : null}
    </>
  );
}
