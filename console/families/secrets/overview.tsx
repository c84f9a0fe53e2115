/** A secret's details, its description, and its state changes (each confirmed first): enable, disable, delete with a recovery window, restore. */
import { useState } from "preact/hooks";
import { SecretStatus } from "../../../gen/ssm/v1/ssm_pb.js";
import { time } from "../../core/format.js";
import { href, navigate } from "../../core/router.js";
import { TagList } from "../../core/tags.js";
import { ConfirmButton, Done, Failure, Field, Form, TextArea, useAction } from "../../core/ui.js";
import { KMS_KEY_TYPE_NAMES, STATUS_NAMES, typeName } from "./enums.js";
import type { SecretTabProps } from "./secret-page.js";

function DeleteSecret({ api, secret, after }: Pick<SecretTabProps, "api" | "secret"> & { after: (m: string) => void }) {
  const [days, setDays] = useState(secret.secretType === 2 ? "0" : "7");
  const [dropAccounts, setDropAccounts] = useState(false);
  const name = secret.secretName;
  return (
    <ConfirmButton
      label="Delete secret"
      danger
      title={`Delete ${name}?`}
      confirmLabel="Delete"
      onConfirm={async () => {
        const window = Number(days);
        const r = await api.ssm.deleteSecret({ secretName: name, recoveryWindowInDays: window, deleteMode: secret.secretType === 1 && dropAccounts ? 1 : 0 });
        if (window === 0) navigate("#/secrets");
        else after(`Deletion scheduled for ${time(r.deleteTime)}; restore it before then to keep it.`);
      }}
    >
      <p>With a recovery window the secret turns PendingDelete and is purged when the window ends, unless restored. With 0 it and every version are deleted now, for good.</p>
      <Field
        label="Recovery window (days, 0 to 30)"
        type="number"
        min={0}
        max={30}
        value={days}
        onValue={setDays}
        hint={secret.secretType === 2 ? "SSH key pair secrets take 0 only." : "0 deletes now."}
      />
      {secret.secretType === 1 ? (
        <label>
          <input type="checkbox" checked={dropAccounts} onChange={(e) => setDropAccounts(e.currentTarget.checked)} />
          Also drop both database accounts (DeleteMode 1)
        </label>
      ) : null}
    </ConfirmButton>
  );
}

export function SecretOverview({ api, secret, reload }: SecretTabProps) {
  const [description, setDescription] = useState(secret.description);
  const [done, setDone] = useState("");
  const descAction = useAction();
  const name = secret.secretName;
  const after = (message: string) => {
    setDone(message);
    reload();
  };
  const live = secret.status === SecretStatus.ENABLED || secret.status === SecretStatus.DISABLED;
  return (
    <>
      <h2>Details</h2>
      <dl class="meta">
        <dt>Name</dt>
        <dd>
          <code>{name}</code>
        </dd>
        <dt>State</dt>
        <dd>{STATUS_NAMES[secret.status]}</dd>
        <dt>Type</dt>
        <dd>
          {typeName(secret.secretType)} ({secret.secretType})
        </dd>
        <dt>KMS key</dt>
        <dd>
          <a href={href("keys", secret.kmsKeyId)}>
            <code>{secret.kmsKeyId}</code>
          </a>{" "}
          {KMS_KEY_TYPE_NAMES[secret.kmsKeyType]}
        </dd>
        <dt>Created</dt>
        <dd>{time(secret.createTime)}</dd>
        <dt>Creator</dt>
        <dd>{secret.createUinString}</dd>
        {secret.status === SecretStatus.PENDING_DELETE ? (
          <>
            <dt>Purged on</dt>
            <dd>{time(secret.deleteTime)}</dd>
          </>
        ) : null}
        {secret.secretType === 1 ? (
          <>
            <dt>Product</dt>
            <dd>
              {secret.productName} on instance <code>{secret.resourceId}</code>
            </dd>
            <dt>Automatic rotation</dt>
            <dd>{secret.rotationStatus ? `every ${secret.rotationFrequency} days, next ${secret.nextRotationTime || "—"} (UTC+8)` : "off"}</dd>
          </>
        ) : null}
        {secret.secretType === 2 ? (
          <>
            <dt>Key pair</dt>
            <dd>
              {secret.resourceName} (project {String(secret.projectId)})
            </dd>
          </>
        ) : null}
        {secret.additionalConfig ? (
          <>
            <dt>Additional config</dt>
            <dd>
              <code>{secret.additionalConfig}</code>
            </dd>
          </>
        ) : null}
        <dt>Tags</dt>
        <dd>
          <TagList tags={secret.tags} />
        </dd>
      </dl>

      <h2>State</h2>
      <div class="row">
        {secret.status === SecretStatus.DISABLED ? (
          <ConfirmButton label="Enable secret" title={`Enable ${name}?`} confirmLabel="Enable" onConfirm={() => api.ssm.enableSecret({ secretName: name }).then(() => after("Secret enabled."))}>
            <p>GetSecretValue serves its versions again.</p>
          </ConfirmButton>
        ) : null}
        {secret.status === SecretStatus.ENABLED ? (
          <ConfirmButton label="Disable secret" danger title={`Disable ${name}?`} confirmLabel="Disable" onConfirm={() => api.ssm.disableSecret({ secretName: name }).then(() => after("Secret disabled."))}>
            <p>Every read of its values is refused (ResourceUnavailable.ResourceDisabled) until it is enabled again. A secret must be disabled before it can be deleted.</p>
          </ConfirmButton>
        ) : null}
        {secret.status === SecretStatus.DISABLED || secret.status === SecretStatus.FAILED ? <DeleteSecret api={api} secret={secret} after={after} /> : null}
        {secret.status === SecretStatus.PENDING_DELETE ? (
          <ConfirmButton label="Restore secret" title={`Restore ${name}?`} confirmLabel="Restore" onConfirm={() => api.ssm.restoreSecret({ secretName: name }).then(() => after("Secret restored: it is Disabled."))}>
            <p>The deletion is cancelled and the secret returns as Disabled.</p>
          </ConfirmButton>
        ) : null}
      </div>
      {done ? <Done>{done}</Done> : null}

      {live ? (
        <>
          <h2>Edit</h2>
          <Form label="Change description" onSubmit={() => descAction.run(() => api.ssm.updateDescription({ secretName: name, description }).then(() => after("Description updated.")))}>
            <TextArea label="Description" value={description} onValue={setDescription} rows={2} hint="At most 2048 bytes." />
            <Failure failure={descAction.failure} />
            <button type="submit" class="secondary" aria-busy={descAction.busy ? "true" : undefined}>
              Save description
            </button>
          </Form>
        </>
      ) : null}
    </>
  );
}
