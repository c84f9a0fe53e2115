/**
 * Policies: the list, and an editor whose save is the engine's own check: a
 * refused document is shown in place, with the engine's code and message.
 */
import { useEffect, useState } from "preact/hooks";
import { failureOf, type ApiFailure } from "../../core/api.js";
import type { RouteContext } from "../../core/family.js";
import { time } from "../../core/format.js";
import { href, navigate } from "../../core/router.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, TextArea, useLoad } from "../../core/ui.js";

const TEMPLATE = `{
  "version": "2.0",
  "statement": [
    {
      "effect": "allow",
      "action": ["kms:Encrypt", "kms:Decrypt"],
      "resource": ["qcs::kms::uin/*:key/*"]
    }
  ]
}`;

export function PolicyList({ api }: RouteContext) {
  const list = useLoad(() => api.admin.listPolicies({}), []);
  return (
    <>
      <h1>Policies</h1>
      <p>
        CAM-style JSON documents: <code>kms:&lt;Action&gt;</code> and <code>kmsadmin:&lt;Method&gt;</code> actions on key or account resources, with conditions; an explicit deny wins.
      </p>
      <p>
        <a href="#/access/new-policy" role="button">
          Create policy
        </a>
      </p>
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="policies" /> : null}
      {list.data ? (
        list.data.policies.length === 0 ? (
          <p>No policies yet.</p>
        ) : (
          <table class="striped">
            <caption class="visually-hidden">Policies</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Attached to</th>
                <th scope="col">Updated</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {list.data.policies.map((p) => (
                <tr key={p.name}>
                  <td>
                    <a href={href("access", "policies", p.name)}>{p.name}</a>
                  </td>
                  <td>{p.attachmentCount} principal(s)</td>
                  <td>{time(p.updateTime)}</td>
                  <td>{p.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </>
  );
}

/** Where the engine's refusal belongs: the name, the description, or the document. */
function fieldOf(f: ApiFailure): "name" | "description" | "document" {
  if (/^PolicyName\b|^a policy named /.test(f.message)) return "name";
  if (/^Description\b/.test(f.message)) return "description";
  return "document";
}

export function PolicyEditor({ api, params }: RouteContext) {
  const existing = params.name;
  const list = useLoad(() => (existing ? api.admin.listPolicies({}) : Promise.resolve(undefined)), [existing]);
  const policy = existing ? list.data?.policies.find((p) => p.name === existing) : undefined;
  const [name, setName] = useState(existing ?? "");
  const [description, setDescription] = useState("");
  const [document, setDocument] = useState(existing ? "" : TEMPLATE);
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  useEffect(() => {
    if (policy) {
      setDocument(policy.document);
      setDescription(policy.description);
    }
  }, [policy?.document]);

  const save = async () => {
    setBusy(true);
    setFailure(undefined);
    setDone("");
    try {
      if (existing) {
        await api.admin.updatePolicy({ name: existing, document });
        setDone("Saved: it applies to every attached principal from their next call.");
        list.reload();
      } else {
        await api.admin.createPolicy({ name, description, document });
        navigate(href("access", "policies", name));
      }
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  const where = failure ? fieldOf(failure) : undefined;
  const inPlace = failure ? `${failure.code}: ${failure.message}` : undefined;

  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/access/policies">Policies</a>
          </li>
          <li>{existing ?? "New policy"}</li>
        </ul>
      </nav>
      <h1>{existing ? `Policy ${existing}` : "Create policy"}</h1>
      {existing ? <Failure failure={list.failure} /> : null}
      {existing && list.data && !policy ? <p role="alert">No policy is named {existing}.</p> : null}
      {done ? <Done>{done}</Done> : null}
      {existing && !policy ? null : (
        <Form label={existing ? "Edit policy" : "Create policy"} onSubmit={save}>
          {existing ? (
            <p>
              Attached to {policy?.attachmentCount ?? 0} principal(s); created {time(policy?.createTime ?? 0n)}, updated {time(policy?.updateTime ?? 0n)}.
              {policy?.description ? ` ${policy.description}` : ""}
            </p>
          ) : (
            <>
              <Field label="Name" value={name} onValue={setName} required maxLength={128} hint="1 to 128 of A-Z a-z 0-9 and _+=,.@-" invalid={where === "name" ? inPlace : undefined} />
              <Field label="Description" value={description} onValue={setDescription} invalid={where === "description" ? inPlace : undefined} />
            </>
          )}
          <TextArea
            label="Policy document (JSON)"
            class="code-editor"
            value={document}
            onValue={(v) => {
              setDocument(v);
              setFailure(undefined);
            }}
            rows={16}
            hint="Checked by the policy engine when saved; nothing is stored if it refuses."
            invalid={where === "document" ? inPlace : undefined}
          />
          <div class="row">
            <button type="submit" aria-busy={busy ? "true" : undefined} disabled={busy}>
              {existing ? "Save policy" : "Create policy"}
            </button>
            <button
              type="button"
              class="secondary outline"
              onClick={() => {
                try {
                  setDocument(JSON.stringify(JSON.parse(document), null, 2));
                } catch {
                  // Not JSON yet: the engine will say where when saved.
                }
              }}
            >
              Format JSON
            </button>
          </div>
          {failure ? <p class="visually-hidden">The service refused the policy: {inPlace}</p> : null}
        </Form>
      )}
      {existing && policy ? (
        <section aria-labelledby="del-h">
          <h2 id="del-h">Delete</h2>
          <ConfirmButton label="Delete policy" danger title={`Delete ${existing}?`} onConfirm={() => api.admin.deletePolicy({ name: existing }).then(() => navigate("#/access/policies"))}>
            <p>A policy still attached to someone cannot be deleted (ResourceInUse): detach it first.</p>
          </ConfirmButton>
        </section>
      ) : null}
    </>
  );
}
