/** A key's versions: which one encrypts, and enable, disable, schedule or cancel deletion of each (confirmed first). */
import { useState } from "preact/hooks";
import { KeyVersionState, type KeyVersionMetadata } from "../../../gen/kms/v1/versions_pb.js";
import { time } from "../../core/format.js";
import { ConfirmButton, Done, Failure, Field, Loading, useLoad } from "../../core/ui.js";
import { VERSION_STATE_NAMES } from "./enums.js";
import type { KeyTabProps } from "./key-page.js";

function VersionActions({ api, v, changed }: Pick<KeyTabProps, "api"> & { v: KeyVersionMetadata; changed: (m: string) => void }) {
  const [days, setDays] = useState("7");
  const id = { keyId: v.keyId, version: v.version };
  const name = `version ${v.version}`;
  return (
    <div class="row">
      {v.state === KeyVersionState.DISABLED ? (
        <ConfirmButton label={`Enable ${name}`} title={`Enable ${name}?`} confirmLabel="Enable" onConfirm={() => api.versions.enableKeyVersion(id).then(() => changed(`Version ${v.version} enabled.`))}>
          <p>Ciphertext made under it decrypts again; if it is the newest enabled version it also becomes primary.</p>
        </ConfirmButton>
      ) : null}
      {v.state === KeyVersionState.ENABLED ? (
        <ConfirmButton label={`Disable ${name}`} danger title={`Disable ${name}?`} confirmLabel="Disable" onConfirm={() => api.versions.disableKeyVersion(id).then(() => changed(`Version ${v.version} disabled.`))}>
          <p>Ciphertext made under it will answer ResourceUnavailable.KeyDisabled until it is enabled again.</p>
        </ConfirmButton>
      ) : null}
      {v.state !== KeyVersionState.PENDING_DELETE ? (
        <ConfirmButton
          label={`Schedule deletion of ${name}`}
          danger
          title={`Schedule deletion of ${name}?`}
          confirmLabel="Schedule deletion"
          onConfirm={() => api.versions.scheduleKeyVersionDeletion({ ...id, pendingWindowInDays: Number(days) }).then((r) => changed(`Version ${v.version} will be purged on ${time(r.deletionDate)}.`))}
        >
          <p>After the waiting period this version's material is purged: ciphertext made under it can never be decrypted again.</p>
          <Field label="Waiting period (days, 7 to 30)" type="number" min={7} max={30} value={days} onValue={setDays} />
        </ConfirmButton>
      ) : (
        <ConfirmButton label={`Cancel deletion of ${name}`} title={`Cancel the deletion of ${name}?`} confirmLabel="Cancel deletion" onConfirm={() => api.versions.cancelKeyVersionDeletion(id).then(() => changed(`Deletion of version ${v.version} cancelled; it is Disabled.`))} />
      )}
    </div>
  );
}

export function Versions({ api, meta, reload }: KeyTabProps) {
  const list = useLoad(() => api.versions.listKeyVersions({ keyId: meta.keyId }), [meta.keyId, meta.versionCount, meta.primaryVersion]);
  const [done, setDone] = useState("");
  const changed = (m: string) => {
    setDone(m);
    list.reload();
    reload();
  };
  return (
    <>
      <h2>Versions</h2>
      <p>The newest enabled version encrypts (primary); each ciphertext names the version that decrypts it.</p>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="versions" /> : null}
      {list.data ? (
        list.data.versions.length === 0 ? (
          <p>No versions yet: the key has no material.</p>
        ) : (
          <div class="table-wrap">
            <table class="striped">
              <caption class="visually-hidden">Versions of {meta.alias}</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">State</th>
                  <th scope="col">Primary</th>
                  <th scope="col">Created</th>
                  <th scope="col">Deletion date</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.versions.map((v) => (
                  <tr key={v.version}>
                    <td>{v.version}</td>
                    <td>
                      <span class={`state state-${VERSION_STATE_NAMES[v.state]}`}>{VERSION_STATE_NAMES[v.state]}</span>
                    </td>
                    <td>{v.primary ? "yes" : ""}</td>
                    <td>{time(v.createTime)}</td>
                    <td>{time(v.deletionDate)}</td>
                    <td>
                      <VersionActions api={api} v={v} changed={changed} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </>
  );
}
