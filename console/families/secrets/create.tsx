/** Create a secret: a user-defined one (a text or binary value) or an SSH key pair the service generates. */
import { useState } from "preact/hooks";
import { SshKeyType } from "../../../gen/ssm/v1/ssm_pb.js";
import type { RouteContext } from "../../core/family.js";
import { navigate } from "../../core/router.js";
import { TagEditor, tagsOf, type TagInput } from "../../core/tags.js";
import { Failure, Field, Form, Select, TextArea, useAction } from "../../core/ui.js";
import { KmsKeyField } from "./kms-key-field.js";
import { secretHref } from "./paths.js";
import { EMPTY_VALUE, SecretValueInput, valueFields, type ValueInput } from "./value-input.js";

export function CreateSecret({ api }: RouteContext) {
  const [kind, setKind] = useState<"value" | "ssh">("value");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [kmsKeyId, setKmsKeyId] = useState("");
  const [tags, setTags] = useState<TagInput[]>([]);
  const [versionId, setVersionId] = useState("");
  const [value, setValue] = useState<ValueInput>(EMPTY_VALUE);
  const [sshKeyName, setSshKeyName] = useState("");
  const [projectId, setProjectId] = useState("0");
  const [sshKeyType, setSshKeyType] = useState(String(SshKeyType.ED25519));
  const action = useAction();

  const submit = () =>
    action.run(async () => {
      const common = { secretName: name, description, kmsKeyId: kmsKeyId.trim(), tags: tagsOf(tags) };
      if (kind === "value") {
        await api.ssm.createSecret({ ...common, versionId, ...valueFields(value) });
        navigate(secretHref(name, "versions"));
      } else {
        if (!/^\d+$/.test(projectId)) throw new Error("Project ID must be a whole number");
        await api.ssm.createSSHKeyPairSecret({ ...common, sshKeyName, projectId: BigInt(projectId), sshKeyType: Number(sshKeyType) as SshKeyType });
        navigate(secretHref(name, "ssh-key"));
      }
    });

  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/secrets">Secrets</a>
          </li>
          <li>Create secret</li>
        </ul>
      </nav>
      <h1>Create secret</h1>
      <Form label="Create secret" onSubmit={submit}>
        <fieldset>
          <legend>Kind of secret</legend>
          <label>
            <input type="radio" name="secret-kind" checked={kind === "value"} onChange={() => setKind("value")} />
            A value you give (user-defined, SecretType 0)
          </label>
          <label>
            <input type="radio" name="secret-kind" checked={kind === "ssh"} onChange={() => setKind("ssh")} />
            An SSH key pair the service generates (SecretType 2)
          </label>
        </fieldset>
        <Field label="Secret name" value={name} onValue={setName} required maxLength={128} hint="1 to 128 letters, digits, - and _, starting with a letter or digit; unique in the account and region. It cannot change later." />
        <TextArea label="Description" value={description} onValue={setDescription} rows={2} hint="At most 2048 bytes." />
        <KmsKeyField api={api} label="KMS key that encrypts the value (key ID)" value={kmsKeyId} onValue={setKmsKeyId} hint="An Enabled ENCRYPT_DECRYPT key. Empty: Secrets Manager's default key for the account and region." />
        {kind === "value" ? (
          <>
            <Field label="Version ID" value={versionId} onValue={setVersionId} maxLength={64} hint="1 to 64 letters, digits, -, _ and ., starting with a letter or digit. Empty: SSM_Current." />
            <SecretValueInput value={value} onValue={setValue} />
          </>
        ) : (
          <div class="grid">
            <Field label="Key pair name" value={sshKeyName} onValue={setSshKeyName} maxLength={25} hint="1 to 25 letters, digits and _; the public key's comment. Empty: derived from the secret name." />
            <Field label="Project ID" type="number" min={0} value={projectId} onValue={setProjectId} />
            <Select
              label="Algorithm"
              value={sshKeyType}
              onValue={setSshKeyType}
              options={[
                { value: String(SshKeyType.ED25519), label: "Ed25519" },
                { value: String(SshKeyType.RSA_3072), label: "RSA-3072" },
              ]}
            />
          </div>
        )}
        <TagEditor tags={tags} onTags={setTags} />
        <Failure failure={action.failure} />
        <button type="submit" aria-busy={action.busy ? "true" : undefined} disabled={action.busy}>
          Create secret
        </button>
      </Form>
    </>
  );
}
