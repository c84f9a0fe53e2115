/** Export a secret (ExportSecret): the whole secret sealed in a package under a KMS key you name, downloaded as a file. */
import { useState } from "preact/hooks";
import { download } from "../../core/bytes.js";
import { Done, Failure, Form, useAction } from "../../core/ui.js";
import { KmsKeyField } from "./kms-key-field.js";
import type { SecretTabProps } from "./secret-page.js";

export function ExportSecret({ api, secret }: SecretTabProps) {
  const [kmsKeyId, setKmsKeyId] = useState(secret.kmsKeyId);
  const [done, setDone] = useState("");
  const action = useAction();
  const name = secret.secretName;
  return (
    <>
      <h2>Export</h2>
      <p>
        The package holds the whole secret (its versions with their states, windows and values), the values encrypted under a fresh data key that the KMS key below wraps. It is safe to store; whoever can
        decrypt with that key's material can import it, here or on another instance (Import secret on the secret list).
      </p>
      <Form
        label="Export secret"
        onSubmit={() =>
          action.run(async () => {
            const r = await api.ssm.exportSecret({ secretName: name, kmsKeyId: kmsKeyId.trim() });
            download(`${name}.ssmpkg`, r.package);
            setDone(`Exported ${r.versionCount} version(s) under key ${r.kmsKeyId}: ${name}.ssmpkg (${r.package.length} bytes).`);
          })
        }
      >
        <KmsKeyField api={api} label="KMS key that seals the package (key ID)" value={kmsKeyId} onValue={setKmsKeyId} hint="An Enabled ENCRYPT_DECRYPT key." />
        <Failure failure={action.failure} />
        <button type="submit" aria-busy={action.busy ? "true" : undefined}>
          Export and download
        </button>
      </Form>
      {done ? <Done>{done}</Done> : null}
    </>
  );
}
