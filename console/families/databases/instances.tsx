/**
 * Database instances product secrets are created on (Secrets Manager's
 * RegisterDatabaseInstance, ListDatabaseInstances, DeregisterDatabaseInstance).
 * The admin password goes out in the register call and nowhere else: the
 * field is a password input, emptied once the call returns (done or refused),
 * and the service never answers it.
 */
import { useState } from "preact/hooks";
import type { DatabaseInstance } from "../../../gen/ssm/v1/ssm_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count, time } from "../../core/format.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, Select, TextArea, useAction, useLoad } from "../../core/ui.js";

function Register({ api, instances, changed }: Pick<RouteContext, "api"> & { instances: readonly DatabaseInstance[]; changed: (m: string) => void }) {
  const [instanceId, setInstanceId] = useState("");
  const [product, setProduct] = useState("Mysql");
  const [host, setHost] = useState("");
  const [port, setPort] = useState("3306");
  const [adminUser, setAdminUser] = useState("");
  const [adminPassword, setAdminPassword] = useState("");
  const [description, setDescription] = useState("");
  const products = useLoad(() => api.ssm.describeSupportedProducts({}), [api]);
  const action = useAction();
  const existing = instances.some((i) => i.instanceId === instanceId.trim());
  return (
    <Form
      label="Register database instance"
      onSubmit={() =>
        void action.run(async () => {
          const password = adminPassword;
          // The field forgets the password as soon as it is sent, whatever the answer.
          setAdminPassword("");
          const r = await api.ssm.registerDatabaseInstance({
            instanceId: instanceId.trim(),
            productName: product,
            host: host.trim(),
            port: /^\d+$/.test(port) ? Number(port) : 0,
            adminUser,
            adminPassword: password,
            description,
          });
          changed(`${r.instance?.instanceId ?? instanceId} ${r.replaced ? "registered again (the previous registration was replaced)" : "registered"}.`);
        })
      }
    >
      <h2>Register an instance</h2>
      <p>The service logs in as the admin first and refuses the registration if it cannot. The password is stored sealed under the root key and never shown again; registering an existing id replaces it.</p>
      <div class="grid">
        <Field label="Instance ID" value={instanceId} onValue={setInstanceId} required maxLength={64} hint={existing ? "Registered already: this replaces it." : "1 to 64 letters, digits, - and _."} />
        <Select label="Product" value={product} onValue={setProduct} options={(products.data?.products ?? ["Mysql"]).map((p) => ({ value: p, label: p }))} />
      </div>
      <div class="grid">
        <Field label="Host" value={host} onValue={setHost} required hint="An IP address or DNS name." />
        <Field label="Port" inputMode="numeric" value={port} onValue={setPort} required hint="1 to 65535." />
      </div>
      <div class="grid">
        <Field label="Admin user" value={adminUser} onValue={setAdminUser} required autocomplete="off" hint="Needs CREATE USER, GRANT OPTION, the privileges it grants and SELECT on mysql.user." />
        <Field label="Admin password" type="password" value={adminPassword} onValue={setAdminPassword} required autocomplete="new-password" hint="At most 256 characters; sent once, never shown." />
      </div>
      <TextArea label="Instance description" value={description} onValue={setDescription} rows={2} hint="At most 2048 characters." />
      <Failure failure={action.failure} />
      <button type="submit" aria-busy={action.busy ? "true" : undefined} disabled={action.busy}>
        Register instance
      </button>
    </Form>
  );
}

export function DatabaseInstances({ api }: RouteContext) {
  const [tick, setTick] = useState(0);
  const [done, setDone] = useState("");
  const list = useLoad(() => api.ssm.listDatabaseInstances({}), [tick]);
  const changed = (m: string) => {
    setDone(m);
    setTick((t) => t + 1);
  };
  const instances = list.data?.instances ?? [];
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/secrets">Secrets</a>
          </li>
          <li>Database instances</li>
        </ul>
      </nav>
      <hgroup>
        <h1>Database instances</h1>
        <p>{list.data ? `${count(list.data.totalCount)} registered in this account and region` : "Where product secrets create and rotate their database accounts"}</p>
      </hgroup>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="database instances" /> : null}
      {list.data ? (
        instances.length === 0 ? (
          <p>No instance is registered.</p>
        ) : (
          <div class="table-wrap">
            <table class="striped">
              <caption class="visually-hidden">Database instances</caption>
              <thead>
                <tr>
                  <th scope="col">Instance ID</th>
                  <th scope="col">Product</th>
                  <th scope="col">Host</th>
                  <th scope="col">Port</th>
                  <th scope="col">Admin user</th>
                  <th scope="col">Registered</th>
                  <th scope="col">Updated</th>
                  <th scope="col">Description</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {instances.map((i) => (
                  <tr key={i.instanceId}>
                    <th scope="row">
                      <code>{i.instanceId}</code>
                    </th>
                    <td>{i.productName}</td>
                    <td>{i.host}</td>
                    <td>{i.port}</td>
                    <td>{i.adminUser}</td>
                    <td>{time(i.createTime)}</td>
                    <td>{time(i.updateTime)}</td>
                    <td>{i.description || "—"}</td>
                    <td>
                      <ConfirmButton
                        label={`Deregister ${i.instanceId}`}
                        danger
                        title={`Deregister ${i.instanceId}?`}
                        confirmLabel="Deregister"
                        onConfirm={() => api.ssm.deregisterDatabaseInstance({ instanceId: i.instanceId }).then(() => changed(`${i.instanceId} deregistered.`))}
                      >
                        <p>The service forgets the instance and its admin password. It refuses while a product secret uses the instance; the accounts it made on the database stay there.</p>
                      </ConfirmButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Register api={api} instances={instances} changed={changed} />
    </>
  );
}
