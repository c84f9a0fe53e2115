/** Principals: the root and its sub-users; create and delete sub-users. */
import { useState } from "preact/hooks";
import type { RouteContext } from "../../core/family.js";
import { time } from "../../core/format.js";
import { href } from "../../core/router.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, TextArea, useAction, useLoad } from "../../core/ui.js";

export function Principals({ api }: RouteContext) {
  const list = useLoad(() => api.admin.listPrincipals({}), []);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [done, setDone] = useState("");
  const create = useAction();
  return (
    <>
      <h1>Principals</h1>
      <p>The account root may do everything; a sub-user may do only what its attached policies allow, and nothing until one is attached.</p>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="principals" /> : null}
      {list.data ? (
        <div class="table-wrap">
          <table class="striped">
            <caption class="visually-hidden">Principals</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">UIN</th>
                <th scope="col">Policies</th>
                <th scope="col">Created</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {list.data.principals.map((p) => (
                <tr key={String(p.uin)}>
                  <td>
                    <a href={href("access", "principals", String(p.uin))}>{p.name}</a>
                    {p.root ? " (root)" : ""}
                  </td>
                  <td>
                    <code>{String(p.uin)}</code>
                  </td>
                  <td>{p.root ? "all (root)" : p.policyNames.join(", ") || "none"}</td>
                  <td>{time(p.createTime)}</td>
                  <td>{p.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Form
        label="Create sub-user"
        onSubmit={() =>
          create.run(async () => {
            const r = await api.admin.createPrincipal({ name, description });
            setDone(`Created sub-user ${r.principal?.name ?? name} (${String(r.principal?.uin ?? "")}). Attach a policy to let it do anything.`);
            setName("");
            setDescription("");
            list.reload();
          })
        }
      >
        <h2>Create a sub-user</h2>
        <Field label="Name" value={name} onValue={setName} required maxLength={64} hint="1 to 64 of A-Z a-z 0-9 and _+=,.@-" />
        <TextArea label="Description" value={description} onValue={setDescription} rows={2} />
        <Failure failure={create.failure} />
        <button type="submit" aria-busy={create.busy ? "true" : undefined}>
          Create sub-user
        </button>
      </Form>
    </>
  );
}

