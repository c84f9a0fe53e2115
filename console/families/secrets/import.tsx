/** Import a secret (ImportSecret) from a package file that ExportSecret made, here or on another instance. */
import { useState } from "preact/hooks";
import type { RouteContext } from "../../core/family.js";
import { navigate } from "../../core/router.js";
import { Failure, Field, Form, useAction } from "../../core/ui.js";
import { KmsKeyField } from "./kms-key-field.js";
import { secretHref } from "./paths.js";

export function ImportSecret({ api }: RouteContext) {
  const [pkg, setPkg] = useState<Uint8Array | undefined>();
  const [openKey, setOpenKey] = useState("");
  const [name, setName] = useState("");
  const [valueKey, setValueKey] = useState("");
  const [overwrite, setOverwrite] = useState(false);
  const action = useAction();
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/secrets">Secrets</a>
          </li>
          <li>Import secret</li>
        </ul>
      </nav>
      <h1>Import secret</h1>
      <Form
        label="Import secret"
        onSubmit={() =>
          action.run(async () => {
            if (!pkg) throw new Error("choose the package file");
            const r = await api.ssm.importSecret({ package: pkg, kmsKeyId: openKey.trim(), secretName: name.trim(), secretKmsKeyId: valueKey.trim(), overwrite });
            navigate(secretHref(r.secretName, "versions"));
          })
        }
      >
        <label>
          Package file
          <input
            type="file"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              setPkg(file ? new Uint8Array(await file.arrayBuffer()) : undefined);
            }}
          />
          <small>{pkg ? `${pkg.length} bytes` : "A .ssmpkg file from Export."}</small>
        </label>
        <KmsKeyField api={api} label="KMS key that opens the package (key ID)" value={openKey} onValue={setOpenKey} hint="One holding the material of the key that sealed it. Empty: the key the package names." />
        <Field label="Name of the imported secret" value={name} onValue={setName} maxLength={128} hint="Empty: the name in the package." />
        <KmsKeyField api={api} label="KMS key that encrypts the imported values (key ID)" value={valueKey} onValue={setValueKey} hint="Empty: Secrets Manager's default key." />
        <label>
          <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.currentTarget.checked)} />
          Replace an existing secret of that name, whole, in one change
        </label>
        <Failure failure={action.failure} />
        <button type="submit" aria-busy={action.busy ? "true" : undefined}>
          Import secret
        </button>
      </Form>
    </>
  );
}
