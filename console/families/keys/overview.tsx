/** A key's metadata, its alias and description, and its state changes (each confirmed first). */
import { useState } from "preact/hooks";
import { KeyState } from "../../../gen/kms/v1/kms_pb.js";
import { count, time } from "../../core/format.js";
import { ConfirmButton, Done, Failure, Field, Form, TextArea, useAction } from "../../core/ui.js";
import { ORIGIN_NAMES, STATE_NAMES, usageInfo } from "./enums.js";
import type { KeyTabProps } from "./key-page.js";

export function Overview({ api, meta, reload }: KeyTabProps) {
  const [alias, setAlias] = useState(meta.alias);
  const [description, setDescription] = useState(meta.description);
  const [days, setDays] = useState("7");
  const [done, setDone] = useState("");
  const aliasAction = useAction();
  const descAction = useAction();
  const keyId = meta.keyId;
  const after = (message: string) => () => {
    setDone(message);
    reload();
  };

  return (
    <>
      <h2>Details</h2>
      <dl class="meta">
        <dt>Key ID</dt>
        <dd>
          <code>{meta.keyId}</code>
        </dd>
        <dt>State</dt>
        <dd>{STATE_NAMES[meta.keyState]}</dd>
        <dt>Usage</dt>
        <dd>
          {usageInfo(meta.keyUsage).name} ({usageInfo(meta.keyUsage).label})
        </dd>
        <dt>Origin</dt>
        <dd>{ORIGIN_NAMES[meta.origin]}</dd>
        <dt>Algorithm family</dt>
        <dd>{meta.type === 4 ? "GM (Type 4)" : "FIPS (Type 2)"}</dd>
        <dt>Created</dt>
        <dd>{time(meta.createTime)}</dd>
        <dt>Creator</dt>
        <dd>{meta.creatorUinString}</dd>
        <dt>Resource ID</dt>
        <dd>
          <code>{meta.resourceId}</code>
        </dd>
        <dt>Versions</dt>
        <dd>
          {count(meta.versionCount)} (primary: {meta.primaryVersion || "none"})
        </dd>
        <dt>Rotation</dt>
        <dd>{meta.keyRotationEnabled ? `every ${meta.rotateDays} days, next ${time(meta.nextRotateTime)}` : "off"}</dd>
        {meta.keyState === KeyState.PENDING_DELETE ? (
          <>
            <dt>Deletion date</dt>
            <dd>{time(meta.deletionDate)}</dd>
          </>
        ) : null}
        {meta.validTo ? (
          <>
            <dt>Material valid to</dt>
            <dd>{time(meta.validTo)}</dd>
          </>
        ) : null}
        <dt>Tags</dt>
        <dd>
          {meta.tags.length === 0 ? (
            "none"
          ) : (
            <ul class="tags">
              {meta.tags.map((t) => (
                <li key={t.tagKey}>
                  <code>
                    {t.tagKey}={t.tagValue}
                  </code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>

      <h2>State</h2>
      <div class="row">
        {meta.keyState === KeyState.DISABLED ? (
          <ConfirmButton label="Enable key" title={`Enable ${meta.alias}?`} onConfirm={() => api.kms.enableKey({ keyId }).then(after("Key enabled."))}>
            <p>The key will encrypt, decrypt, sign and verify again.</p>
          </ConfirmButton>
        ) : null}
        {meta.keyState === KeyState.ENABLED ? (
          <ConfirmButton label="Disable key" danger title={`Disable ${meta.alias}?`} onConfirm={() => api.kms.disableKey({ keyId }).then(after("Key disabled."))}>
            <p>Every cryptographic operation with this key will be refused until it is enabled again.</p>
          </ConfirmButton>
        ) : null}
        {meta.keyState === KeyState.ENABLED ? (
          <ConfirmButton label="Archive key" title={`Archive ${meta.alias}?`} onConfirm={() => api.kms.archiveKey({ keyId }).then(after("Key archived."))}>
            <p>An archived key decrypts existing ciphertext but encrypts nothing new.</p>
          </ConfirmButton>
        ) : null}
        {meta.keyState === KeyState.ARCHIVED ? (
          <ConfirmButton label="Cancel archive" title={`Return ${meta.alias} to Enabled?`} onConfirm={() => api.kms.cancelKeyArchive({ keyId }).then(after("Archive cancelled: the key is Enabled."))} />
        ) : null}
        {meta.keyState === KeyState.DISABLED || meta.keyState === KeyState.PENDING_IMPORT ? (
          <ConfirmButton
            label="Schedule deletion"
            danger
            title={`Schedule deletion of ${meta.alias}?`}
            onConfirm={() => api.kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: Number(days) }).then((r) => after(`Deletion scheduled for ${time(r.deletionDate)}.`)())}
          >
            <p>After the waiting period the key and all its versions are purged for good, and nothing encrypted under it can be decrypted again. Until then the deletion can be cancelled.</p>
            <Field label="Waiting period (days, 7 to 30)" type="number" min={7} max={30} value={days} onValue={setDays} />
          </ConfirmButton>
        ) : null}
        {meta.keyState === KeyState.PENDING_DELETE ? (
          <ConfirmButton label="Cancel deletion" title={`Cancel the deletion of ${meta.alias}?`} onConfirm={() => api.kms.cancelKeyDeletion({ keyId }).then(after("Deletion cancelled."))}>
            <p>The key returns to Disabled (PendingImport if it has no material yet).</p>
          </ConfirmButton>
        ) : null}
      </div>
      {done ? <Done>{done}</Done> : null}

      <h2>Edit</h2>
      <div class="grid">
        <Form label="Change alias" onSubmit={() => aliasAction.run(() => api.kms.updateAlias({ keyId, alias }).then(after("Alias updated.")))}>
          <Field label="Alias" value={alias} onValue={setAlias} required maxLength={60} />
          <Failure failure={aliasAction.failure} />
          <button type="submit" class="secondary" aria-busy={aliasAction.busy ? "true" : undefined}>
            Save alias
          </button>
        </Form>
        <Form label="Change description" onSubmit={() => descAction.run(() => api.kms.updateKeyDescription({ keyId, description }).then(after("Description updated.")))}>
          <TextArea label="Description" value={description} onValue={setDescription} rows={2} />
          <Failure failure={descAction.failure} />
          <button type="submit" class="secondary" aria-busy={descAction.busy ? "true" : undefined}>
            Save description
          </button>
        </Form>
      </div>
    </>
  );
}
