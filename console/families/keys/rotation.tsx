/** Rotation: status and settings (GetKeyRotationStatus, Enable/DisableKeyRotation), rotate now, and the history (one version per rotation). */
import { useState } from "preact/hooks";
import { time } from "../../core/format.js";
import { ConfirmButton, Done, Failure, Field, Form, useAction, useLoad } from "../../core/ui.js";
import type { KeyTabProps } from "./key-page.js";

export function Rotation({ api, meta, reload }: KeyTabProps) {
  const keyId = meta.keyId;
  const status = useLoad(() => api.kms.getKeyRotationStatus({ keyId }), [keyId, meta.keyRotationEnabled, meta.lastRotateTime]);
  const history = useLoad(() => api.versions.listKeyVersions({ keyId }), [keyId, meta.versionCount, meta.lastRotateTime]);
  const [days, setDays] = useState(String(meta.rotateDays || 365));
  const [done, setDone] = useState("");
  const enable = useAction();
  const after = (m: string) => {
    setDone(m);
    reload();
  };
  const enabled = status.data?.keyRotationEnabled ?? meta.keyRotationEnabled;

  return (
    <>
      <h2>Rotation</h2>
      <Failure failure={status.failure} />
      <dl class="meta">
        <dt>Automatic rotation</dt>
        <dd>{enabled ? `on, every ${meta.rotateDays} days` : "off"}</dd>
        <dt>Next rotation</dt>
        <dd>{enabled ? time(meta.nextRotateTime) : "—"}</dd>
        <dt>Last rotation</dt>
        <dd>{time(meta.lastRotateTime)}</dd>
      </dl>
      {done ? <Done>{done}</Done> : null}
      <Form label="Rotation settings" onSubmit={() => enable.run(() => api.kms.enableKeyRotation({ keyId, rotateDays: Number(days) }).then(() => after(`Automatic rotation every ${days} days.`)))}>
        <Field label="Rotate every (days, 7 to 365)" type="number" min={7} max={365} value={days} onValue={setDays} />
        <Failure failure={enable.failure} />
        <div class="row">
          <button type="submit" aria-busy={enable.busy ? "true" : undefined}>
            {enabled ? "Save period" : "Enable automatic rotation"}
          </button>
          {enabled ? (
            <ConfirmButton label="Disable automatic rotation" title="Disable automatic rotation?" onConfirm={() => api.kms.disableKeyRotation({ keyId }).then(() => after("Automatic rotation disabled."))}>
              <p>Existing versions stay and keep decrypting.</p>
            </ConfirmButton>
          ) : null}
          <ConfirmButton label="Rotate now" title={`Rotate ${meta.alias} now?`} onConfirm={() => api.kms.rotateKey({ keyId }).then(() => after("Rotated: a new version is primary."))}>
            <p>A new version becomes primary; older versions keep decrypting what they encrypted. Rotation on demand needs automatic rotation on, and is allowed once per interval (24 hours by default).</p>
          </ConfirmButton>
        </div>
      </Form>
      <h3>History</h3>
      <Failure failure={history.failure} />
      {history.data ? (
        <ol class="history">
          {history.data.versions.map((v) => (
            <li key={v.version}>
              Version {v.version}: created {time(v.createTime)}
              {v.primary ? " (primary)" : ""}
            </li>
          ))}
        </ol>
      ) : null}
    </>
  );
}
