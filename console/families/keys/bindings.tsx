/** Product resources bound to the key (BindCloudResource): a bound key cannot be deleted or archived. */
import { useState } from "preact/hooks";
import { ConfirmButton, Done, Failure, Field, Form, useAction } from "../../core/ui.js";
import type { KeyTabProps } from "./key-page.js";

export function Bindings({ api, meta, reload }: KeyTabProps) {
  const [productId, setProductId] = useState("");
  const [resourceId, setResourceId] = useState("");
  const [done, setDone] = useState("");
  const bind = useAction();
  const keyId = meta.keyId;
  return (
    <>
      <h2>Bindings</h2>
      <p>A key bound to a product's resource cannot be scheduled for deletion or archived until every binding is removed.</p>
      {done ? <Done>{done}</Done> : null}
      {meta.bindings.length === 0 ? (
        <p>No bindings.</p>
      ) : (
        <table class="striped">
          <caption class="visually-hidden">Bindings of {meta.alias}</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Resource</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {meta.bindings.map((b) => (
              <tr key={`${b.productId}/${b.resourceId}`}>
                <td>{b.productId}</td>
                <td>
                  <code>{b.resourceId}</code>
                </td>
                <td>
                  <ConfirmButton
                    label={`Unbind ${b.productId} ${b.resourceId}`}
                    title={`Unbind ${b.productId} ${b.resourceId}?`}
                    confirmLabel="Unbind"
                    onConfirm={() =>
                      api.kms.unbindCloudResource({ keyId, productId: b.productId, resourceId: b.resourceId }).then(() => {
                        setDone(`Unbound ${b.productId} ${b.resourceId}.`);
                        reload();
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form
        label="Bind a resource"
        onSubmit={() =>
          bind.run(async () => {
            await api.kms.bindCloudResource({ keyId, productId, resourceId });
            setDone(`Bound ${productId} ${resourceId}.`);
            setProductId("");
            setResourceId("");
            reload();
          })
        }
      >
        <h3>Bind a resource</h3>
        <div class="grid">
          <Field label="Product ID" value={productId} onValue={setProductId} required hint="1 to 64 printable characters, e.g. cos" />
          <Field label="Resource ID" value={resourceId} onValue={setResourceId} required hint="1 to 256 printable characters" />
        </div>
        <Failure failure={bind.failure} />
        <button type="submit" aria-busy={bind.busy ? "true" : undefined}>
          Bind
        </button>
      </Form>
    </>
  );
}
