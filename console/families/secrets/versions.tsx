/**
 * A secret's versions: their state, validity window and whether they are
 * served now; a new version; per version enable, disable, window, new value
 * and deletion (each confirmed first); and the value itself, fetched only
 * when asked (GetSecretValue) and held only while this section is shown.
 */
import { useState } from "preact/hooks";
import { SecretStatus, SecretVersionState, type DescribeSecretVersionResponse, type VersionInfo } from "../../../gen/ssm/v1/ssm_pb.js";
import type { ApiFailure } from "../../core/api.js";
import { text, toBase64 } from "../../core/bytes.js";
import { parseUtcInput, time, utcInputOf } from "../../core/format.js";
import { ConfirmButton, CopyButton, Done, Failure, Field, Form, Loading, useAction, useLoad } from "../../core/ui.js";
import { failureOf } from "../../core/api.js";
import { VERSION_STATE_NAMES } from "./enums.js";
import type { SecretTabProps } from "./secret-page.js";
import { EMPTY_VALUE, SecretValueInput, valueFields, type ValueInput } from "./value-input.js";

/** A value the operator asked to see. */
type Revealed = { ok: true; text: string | undefined; base64: string | undefined } | { ok: false; failure: ApiFailure };

function RevealedValue({ versionId, value, onHide }: { versionId: string; value: Revealed; onHide: () => void }) {
  if (!value.ok) return <Failure failure={value.failure} />;
  const shown = value.text ?? value.base64 ?? "";
  return (
    <div class="revealed">
      <pre class="secret" tabIndex={0} aria-label={`Value of ${versionId}`}>
        {shown}
      </pre>
      <small>{value.text !== undefined ? (value.base64 !== undefined ? "Binary value, shown as UTF-8 text" : "Text value") : "Binary value, shown as base64"}</small>
      <div class="row">
        <CopyButton text={shown} />
        {value.base64 !== undefined && value.text !== undefined ? <CopyButton text={value.base64} label="Copy base64" /> : null}
        <button type="button" class="secondary outline" onClick={onHide}>
          Hide value of {versionId}
        </button>
      </div>
    </div>
  );
}

function WindowButton({ api, name, v, changed }: { api: SecretTabProps["api"]; name: string; v: VersionInfo; changed: (m: string) => void }) {
  const [from, setFrom] = useState(utcInputOf(v.validFrom));
  const [to, setTo] = useState(utcInputOf(v.validTo));
  return (
    <ConfirmButton
      label={`Set validity window of ${v.versionId}`}
      title={`Validity window of ${v.versionId}`}
      confirmLabel="Save window"
      onConfirm={async () => {
        const r = await api.ssm.updateSecretVersion({ secretName: name, versionId: v.versionId, validFrom: BigInt(Math.floor(parseUtcInput(from) / 1000)), validTo: BigInt(Math.floor(parseUtcInput(to) / 1000)) });
        changed(`Window of ${v.versionId}: ${time(r.validFrom)} to ${time(r.validTo)}.`);
      }}
    >
      <p>GetSecretValue serves the version only from the start (inclusive) to the end (exclusive). An empty bound is open.</p>
      <Field label="Valid from (UTC)" type="datetime-local" value={from} onValue={setFrom} />
      <Field label="Valid to (UTC)" type="datetime-local" value={to} onValue={setTo} />
    </ConfirmButton>
  );
}

function ReplaceValueButton({ api, name, v, changed }: { api: SecretTabProps["api"]; name: string; v: VersionInfo; changed: (m: string) => void }) {
  const [value, setValue] = useState<ValueInput>(EMPTY_VALUE);
  return (
    <ConfirmButton
      label={`Replace value of ${v.versionId}`}
      danger
      title={`Replace the value of ${v.versionId}?`}
      confirmLabel="Replace value"
      onConfirm={async () => {
        await api.ssm.updateSecret({ secretName: name, versionId: v.versionId, ...valueFields(value) });
        setValue(EMPTY_VALUE);
        changed(`Value of ${v.versionId} replaced.`);
      }}
    >
      <p>UpdateSecret replaces the value in place: readers of this version get the new value from now on.</p>
      <SecretValueInput value={value} onValue={setValue} label="New value" />
    </ConfirmButton>
  );
}

function VersionActions({ api, name, v, changed }: { api: SecretTabProps["api"]; name: string; v: VersionInfo; changed: (m: string) => void }) {
  const id = { secretName: name, versionId: v.versionId };
  return (
    <div class="row">
      {v.state === SecretVersionState.DISABLED ? (
        <ConfirmButton label={`Enable ${v.versionId}`} title={`Enable ${v.versionId}?`} confirmLabel="Enable" onConfirm={() => api.ssm.enableSecretVersion(id).then(() => changed(`${v.versionId} enabled.`))}>
          <p>GetSecretValue serves it again (inside its validity window).</p>
        </ConfirmButton>
      ) : (
        <ConfirmButton label={`Disable ${v.versionId}`} danger title={`Disable ${v.versionId}?`} confirmLabel="Disable" onConfirm={() => api.ssm.disableSecretVersion(id).then(() => changed(`${v.versionId} disabled.`))}>
          <p>GetSecretValue refuses it until it is enabled again.</p>
        </ConfirmButton>
      )}
      <WindowButton api={api} name={name} v={v} changed={changed} />
      <ReplaceValueButton api={api} name={name} v={v} changed={changed} />
      <ConfirmButton label={`Delete ${v.versionId}`} danger title={`Delete ${v.versionId}?`} confirmLabel="Delete" onConfirm={() => api.ssm.deleteSecretVersion(id).then(() => changed(`${v.versionId} deleted.`))}>
        <p>The version and its value are deleted now, for good.</p>
      </ConfirmButton>
    </div>
  );
}

function NewVersion({ api, name, changed }: { api: SecretTabProps["api"]; name: string; changed: (m: string) => void }) {
  const [versionId, setVersionId] = useState("");
  const [value, setValue] = useState<ValueInput>(EMPTY_VALUE);
  const action = useAction();
  return (
    <Form
      label="New version"
      onSubmit={() =>
        action.run(async () => {
          await api.ssm.putSecretValue({ secretName: name, versionId, ...valueFields(value) });
          setVersionId("");
          setValue(EMPTY_VALUE);
          changed(`Version ${versionId} created.`);
        })
      }
    >
      <h3>New version</h3>
      <Field label="New version ID" value={versionId} onValue={setVersionId} required maxLength={64} hint="Unique in the secret; a secret holds at most 10 versions." />
      <SecretValueInput value={value} onValue={setValue} label="Value of the new version" />
      <Failure failure={action.failure} />
      <button type="submit" aria-busy={action.busy ? "true" : undefined}>
        Create version
      </button>
    </Form>
  );
}

export function Versions({ api, secret, reload }: SecretTabProps) {
  const name = secret.secretName;
  const userDefined = secret.secretType === 0;
  const live = secret.status === SecretStatus.ENABLED || secret.status === SecretStatus.DISABLED;
  const [tick, setTick] = useState(0);
  const list = useLoad(async () => {
    const l = await api.ssm.listSecretVersionIds({ secretName: name });
    // Whether each version is served now is the service's answer (state, window, secret state), not the page's guess.
    const details = await Promise.all(l.versions.map((v) => api.ssm.describeSecretVersion({ secretName: name, versionId: v.versionId }).catch((e: unknown) => failureOf(e))));
    return { versions: l.versions, details };
  }, [name, secret.status, tick]);
  const [revealed, setRevealed] = useState<Map<string, Revealed>>(new Map());
  const [done, setDone] = useState("");
  const changed = (m: string) => {
    setDone(m);
    setRevealed(new Map());
    setTick((t) => t + 1);
    reload();
  };
  const reveal = async (versionId: string) => {
    let r: Revealed;
    try {
      const v = await api.ssm.getSecretValue({ secretName: name, versionId });
      r = v.secretBinary.length > 0 ? { ok: true, text: text(v.secretBinary), base64: toBase64(v.secretBinary) } : { ok: true, text: v.secretString, base64: undefined };
    } catch (err) {
      r = { ok: false, failure: failureOf(err) };
    }
    setRevealed((m) => new Map(m).set(versionId, r));
  };
  const hide = (versionId: string) =>
    setRevealed((m) => {
      const next = new Map(m);
      next.delete(versionId);
      return next;
    });
  const detail = (i: number): DescribeSecretVersionResponse | undefined => {
    const d = list.data?.details[i];
    return d && "servable" in d ? d : undefined;
  };
  const detailFailure = list.data?.details.find((d): d is ApiFailure => !("servable" in d));

  return (
    <>
      <h2>Versions</h2>
      <p>Values are never loaded with this page: each is fetched (GetSecretValue) only when you reveal it, and forgotten when you hide it or leave the page.</p>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {detailFailure ? <Failure failure={detailFailure} label="Version details" /> : null}
      {list.loading && !list.data ? <Loading what="versions" /> : null}
      {list.data ? (
        <div class="table-wrap">
          <table class="striped">
            <caption class="visually-hidden">Versions of {name}</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                {userDefined ? <th scope="col">State</th> : null}
                <th scope="col">Valid from</th>
                <th scope="col">Valid to</th>
                <th scope="col">Served now</th>
                <th scope="col">Created</th>
                <th scope="col">Value</th>
                {userDefined && live ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.versions.map((v, i) => {
                const shown = revealed.get(v.versionId);
                const d = detail(i);
                return (
                  <tr key={v.versionId}>
                    <th scope="row">
                      <code>{v.versionId}</code>
                    </th>
                    {userDefined ? (
                      <td>
                        <span class={`state state-${VERSION_STATE_NAMES[v.state]}`}>{VERSION_STATE_NAMES[v.state]}</span>
                      </td>
                    ) : null}
                    <td>{time(v.validFrom)}</td>
                    <td>{time(v.validTo)}</td>
                    <td data-servable={d ? String(d.servable) : undefined}>{d ? (d.servable ? "yes" : "no") : "—"}</td>
                    <td>{time(v.createTime)}</td>
                    <td>
                      {shown ? (
                        <RevealedValue versionId={v.versionId} value={shown} onHide={() => hide(v.versionId)} />
                      ) : (
                        <button type="button" class="secondary" onClick={() => void reveal(v.versionId)}>
                          Reveal value of {v.versionId}
                        </button>
                      )}
                    </td>
                    {userDefined && live ? (
                      <td>
                        <VersionActions api={api} name={name} v={v} changed={changed} />
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {userDefined && live ? <NewVersion api={api} name={name} changed={changed} /> : null}
    </>
  );
}
