/**
 * One hosted data key (#/datakeys/<id>, or #/datakeys/<id>?member=<uin> for a
 * member account's, every call then carrying MemberAccount): its details,
 * name and description, state changes and deletion (each confirmed first),
 * the ciphertext blob as a file, and the plaintext, fetched
 * (GetDataKeyPlaintext) only when asked and held only while shown.
 */
import { useState } from "preact/hooks";
import { DataKeyState, type DataKeyMetadata } from "../../../gen/kms/v1/datakeys_pb.js";
import type { Api } from "../../core/api.js";
import { download, toBase64 } from "../../core/bytes.js";
import type { RouteContext } from "../../core/family.js";
import { count, time } from "../../core/format.js";
import { href } from "../../core/router.js";
import { TagList } from "../../core/tags.js";
import { ConfirmButton, CopyButton, Done, Failure, Field, Form, Loading, TextArea, useAction, useLoad } from "../../core/ui.js";
import { memberField, memberOf, ORIGIN_NAMES, STATE_NAMES } from "./enums.js";

interface Props {
  api: Api;
  meta: DataKeyMetadata;
  member: bigint | undefined;
  changed: (message: string) => void;
}

function Details({ meta, member }: Pick<Props, "meta" | "member">) {
  return (
    <dl class="meta">
      <dt>Data key ID</dt>
      <dd>
        <code>{meta.dataKeyId}</code>
      </dd>
      <dt>State</dt>
      <dd>{STATE_NAMES[meta.keyState]}</dd>
      <dt>CMK</dt>
      <dd>
        {member === undefined ? <a href={href("keys", meta.keyId)}>{meta.keyName || meta.keyId}</a> : meta.keyName || meta.keyId} (<code>{meta.keyId}</code>)
      </dd>
      <dt>Length</dt>
      <dd>{count(meta.numberOfBytes)} bytes</dd>
      <dt>Origin</dt>
      <dd>{ORIGIN_NAMES[meta.origin]}</dd>
      <dt>Description</dt>
      <dd>{meta.description || "—"}</dd>
      <dt>Created</dt>
      <dd>{time(meta.createTime)}</dd>
      <dt>Creator</dt>
      <dd>{meta.creatorUinString || String(meta.creatorUin)}</dd>
      <dt>Account</dt>
      <dd>{String(meta.accountUin)}</dd>
      {meta.keyState === DataKeyState.PENDING_DELETE ? (
        <>
          <dt>Deletion date</dt>
          <dd>{time(meta.deletionDate)}</dd>
        </>
      ) : null}
      <dt>HSM cluster</dt>
      <dd>
        <code>{meta.hsmClusterId}</code>
      </dd>
      <dt>Resource ID</dt>
      <dd>
        <code>{meta.resourceId}</code>
      </dd>
      <dt>Tags</dt>
      <dd>
        <TagList tags={meta.tags} />
      </dd>
    </dl>
  );
}

function Rename({ api, meta, member, changed }: Props) {
  const [name, setName] = useState(meta.dataKeyName);
  const [description, setDescription] = useState(meta.description);
  const rename = useAction();
  const describe = useAction();
  const id = { dataKeyId: meta.dataKeyId, ...memberField(member) };
  return (
    <div class="grid">
      <Form label="Rename data key" onSubmit={() => rename.run(() => api.datakeys.updateDataKeyName({ ...id, dataKeyName: name }).then(() => changed(`Renamed to ${name}.`)))}>
        <Field label="Name" value={name} onValue={setName} required maxLength={60} hint="1 to 60 letters, digits, - and _; unique in the account and region." />
        <Failure failure={rename.failure} />
        <button type="submit" aria-busy={rename.busy ? "true" : undefined}>
          Rename
        </button>
      </Form>
      <Form label="Data key description" onSubmit={() => describe.run(() => api.datakeys.updateDataKeyDescription({ ...id, description }).then(() => changed("Description saved.")))}>
        <TextArea label="New description" value={description} onValue={setDescription} rows={2} hint="At most 100 bytes." />
        <Failure failure={describe.failure} />
        <button type="submit" aria-busy={describe.busy ? "true" : undefined}>
          Save description
        </button>
      </Form>
    </div>
  );
}

function StateActions({ api, meta, member, changed }: Props) {
  const [days, setDays] = useState("7");
  const id = { dataKeyId: meta.dataKeyId, ...memberField(member) };
  const name = meta.dataKeyName;
  switch (meta.keyState) {
    case DataKeyState.ENABLED:
      return (
        <div class="row">
          <ConfirmButton label="Disable data key" danger title={`Disable ${name}?`} confirmLabel="Disable" onConfirm={() => api.datakeys.disableDataKey(id).then(() => changed("Data key disabled."))}>
            <p>It gives out neither its plaintext nor its ciphertext (ResourceUnavailable.DataKeyDisabled) until it is enabled again.</p>
          </ConfirmButton>
          <small>Only a Disabled data key can be scheduled for deletion.</small>
        </div>
      );
    case DataKeyState.DISABLED:
      return (
        <div class="row">
          <ConfirmButton label="Enable data key" title={`Enable ${name}?`} confirmLabel="Enable" onConfirm={() => api.datakeys.enableDataKey(id).then(() => changed("Data key enabled."))}>
            <p>It gives out its plaintext and ciphertext again.</p>
          </ConfirmButton>
          <ConfirmButton
            label="Schedule deletion"
            danger
            title={`Schedule the deletion of ${name}?`}
            confirmLabel="Schedule deletion"
            onConfirm={async () => {
              const r = await api.datakeys.scheduleDataKeyDeletion({ ...id, pendingWindowInDays: /^\d+$/.test(days) ? Number(days) : 0 });
              changed(`Deletion scheduled for ${time(r.deletionDate)}.`);
            }}
          >
            <p>The data key is purged for good at the end of the waiting period, unless its deletion is cancelled first.</p>
            <Field label="Days until it is purged" inputMode="numeric" value={days} onValue={setDays} hint="7 to 30." />
          </ConfirmButton>
        </div>
      );
    case DataKeyState.PENDING_DELETE:
      return (
        <div class="row">
          <ConfirmButton label="Cancel deletion" title={`Keep ${name}?`} confirmLabel="Cancel deletion" onConfirm={() => api.datakeys.cancelDataKeyDeletion(id).then(() => changed("Deletion cancelled: the data key is Disabled."))}>
            <p>The data key returns to Disabled and counts against the data key limit again.</p>
          </ConfirmButton>
        </div>
      );
    default:
      return null;
  }
}

/** The plaintext, asked for by a click and kept only while this section shows it. */
function Plaintext({ api, meta, member }: Pick<Props, "api" | "meta" | "member">) {
  const [shown, setShown] = useState<string | undefined>();
  const action = useAction();
  if (member !== undefined)
    return <p>GetDataKeyPlaintext carries no MemberAccount: an organisation manages its members' data keys, it does not use them. The ciphertext above is the member's to open.</p>;
  return (
    <>
      <p>The plaintext is never loaded with this page: it is fetched (GetDataKeyPlaintext) only when you reveal it, and forgotten when you hide it or leave the page.</p>
      {shown === undefined ? (
        <button
          type="button"
          class="secondary danger"
          aria-busy={action.busy ? "true" : undefined}
          onClick={() =>
            void action.run(async () => {
              const r = await api.datakeys.getDataKeyPlaintext({ dataKeyId: meta.dataKeyId });
              setShown(toBase64(r.plaintext));
              r.plaintext.fill(0);
            })
          }
        >
          Reveal plaintext
        </button>
      ) : (
        <div class="revealed">
          <pre class="secret" tabIndex={0} aria-label="Plaintext (base64)">
            {shown}
          </pre>
          <div class="row">
            <CopyButton text={shown} />
            <button type="button" class="secondary outline" onClick={() => setShown(undefined)}>
              Hide plaintext
            </button>
          </div>
        </div>
      )}
      <Failure failure={action.failure} />
    </>
  );
}

export function DataKeyPage({ api, params, query }: RouteContext) {
  const dataKeyId = params.dataKeyId ?? "";
  const member = memberOf(query);
  const [tick, setTick] = useState(0);
  const [done, setDone] = useState("");
  const blob = useAction();
  const key = useLoad(
    () => (member === null ? Promise.reject(new Error("unreachable")) : api.datakeys.describeDataKey({ dataKeyId, ...memberField(member) })),
    [dataKeyId, String(member), tick],
  );
  const meta = key.data?.dataKeyMetadata;
  const changed = (message: string) => {
    setDone(message);
    setTick((t) => t + 1);
  };
  if (member === null)
    return (
      <>
        <h1>Data key</h1>
        <div role="alert" class="failure" data-code="InvalidInput">
          The address names a member account that is not a uin.
        </div>
      </>
    );
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>{member === undefined ? <a href="#/datakeys">Data keys</a> : <a href={href("members", String(member))}>Member account {String(member)}</a>}</li>
          <li>{meta?.dataKeyName || dataKeyId}</li>
        </ul>
      </nav>
      <hgroup>
        <h1>{meta ? meta.dataKeyName : "Data key"}</h1>
        <p>
          <code>{dataKeyId}</code>
          {meta ? (
            <>
              {" "}
              · <span class={`state state-${STATE_NAMES[meta.keyState]}`}>{STATE_NAMES[meta.keyState]}</span>
            </>
          ) : null}
          {member !== undefined ? <> · member account {String(member)}</> : null}
        </p>
      </hgroup>
      <Failure failure={key.failure} />
      {key.loading && !meta ? <Loading what="the data key" /> : null}
      {meta ? (
        <>
          {done ? <Done>{done}</Done> : null}
          <section aria-labelledby="dk-details">
            <h2 id="dk-details">Details</h2>
            <Details meta={meta} member={member} />
          </section>
          <section aria-labelledby="dk-state">
            <h2 id="dk-state">State</h2>
            <StateActions key={`${meta.keyState}`} api={api} meta={meta} member={member} changed={changed} />
          </section>
          {meta.keyState !== DataKeyState.PENDING_DELETE ? (
            <section aria-labelledby="dk-name">
              <h2 id="dk-name">Name and description</h2>
              <Rename api={api} meta={meta} member={member} changed={changed} />
            </section>
          ) : null}
          <section aria-labelledby="dk-blob">
            <h2 id="dk-blob">Ciphertext</h2>
            <p>The data key encrypted under its CMK, as GenerateDataKey answered it: Decrypt opens it (with the encryption context it was made with, if any). Only an Enabled data key gives it out.</p>
            <button
              type="button"
              class="secondary"
              aria-busy={blob.busy ? "true" : undefined}
              onClick={() =>
                void blob.run(async () => {
                  const r = await api.datakeys.getDataKeyCiphertextBlob({ dataKeyId, ...memberField(member) });
                  download(`${meta.dataKeyName}.ciphertext`, r.ciphertextBlob);
                })
              }
            >
              Download ciphertext blob
            </button>
            <Failure failure={blob.failure} />
          </section>
          <section aria-labelledby="dk-plain">
            <h2 id="dk-plain">Plaintext</h2>
            {/* Keyed by state: a state change forgets a revealed plaintext. */}
            <Plaintext key={`${meta.keyState}`} api={api} meta={meta} member={member} />
          </section>
        </>
      ) : null}
    </>
  );
}
