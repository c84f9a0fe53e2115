/**
 * A database (product) secret's rotation: its policy (DescribeRotationDetail,
 * UpdateRotationStatus), its history and accounts (DescribeRotationHistory),
 * rotate now (RotateProductSecret), and the flow each rotation runs as,
 * followed with DescribeAsyncRequestInfo until it ends.
 */
import { useEffect, useState } from "preact/hooks";
import type { DescribeAsyncRequestInfoResponse } from "../../../gen/ssm/v1/ssm_pb.js";
import type { Api, ApiFailure } from "../../core/api.js";
import { failureOf } from "../../core/api.js";
import { ConfirmButton, Done, Failure, Field, Form, Loading, useAction, useLoad } from "../../core/ui.js";
import { accountRole, taskStatusName } from "./enums.js";
import type { SecretTabProps } from "./secret-page.js";

const POLL_MS = 1000;

interface FlowView {
  flowId: bigint;
  info?: DescribeAsyncRequestInfoResponse;
  failure?: ApiFailure;
}

/** Follows one flow: asks again every second while it is in progress (TaskStatus 0). */
function useFlow(api: Api, flowId: bigint | undefined, onEnd: () => void): FlowView | undefined {
  const [view, setView] = useState<FlowView | undefined>();
  useEffect(() => {
    if (flowId === undefined) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const info = await api.ssm.describeAsyncRequestInfo({ flowId });
        if (!live) return;
        setView({ flowId, info });
        if (info.taskStatus === 0) timer = setTimeout(() => void ask(), POLL_MS);
        else onEnd();
      } catch (err) {
        if (live) setView({ flowId, failure: failureOf(err) });
      }
    };
    setView({ flowId });
    void ask();
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, flowId]);
  return view;
}

function FlowStatus({ view }: { view: FlowView | undefined }) {
  if (!view) return null;
  if (view.failure) return <Failure failure={view.failure} label={`Flow ${view.flowId}`} />;
  if (!view.info) return <Loading what={`flow ${view.flowId}`} />;
  return (
    <p role="status" class={view.info.taskStatus === 2 ? "verdict bad" : view.info.taskStatus === 1 ? "verdict ok" : "loading"} aria-busy={view.info.taskStatus === 0 ? "true" : undefined} data-task-status={view.info.taskStatus}>
      Flow {String(view.flowId)}: {taskStatusName(view.info.taskStatus)}. {view.info.description}
    </p>
  );
}

export function Rotation({ api, secret, reload }: SecretTabProps) {
  const name = secret.secretName;
  const [tick, setTick] = useState(0);
  const detail = useLoad(() => api.ssm.describeRotationDetail({ secretName: name }), [name, tick]);
  const history = useLoad(() => api.ssm.describeRotationHistory({ secretName: name }), [name, tick]);
  const [flowId, setFlowId] = useState<bigint | undefined>();
  const flow = useFlow(api, flowId, () => {
    setTick((t) => t + 1);
    reload();
  });
  const [lookup, setLookup] = useState("");
  const [lookupId, setLookupId] = useState<bigint | undefined>();
  const looked = useFlow(api, lookupId, () => undefined);
  const [enable, setEnable] = useState<boolean | undefined>();
  const [frequency, setFrequency] = useState("");
  const [begin, setBegin] = useState("");
  const [done, setDone] = useState("");
  const policy = useAction();
  const d = detail.data;
  const enabled = enable ?? d?.enableRotation ?? false;

  return (
    <>
      <h2>Rotation</h2>
      <p>Each rotation gives the standby database account a new password, checks that the database accepts it, and only then makes it current. Times are UTC+8, as Tencent's API shows them.</p>
      <Failure failure={detail.failure} />
      {d ? (
        <dl class="meta">
          <dt>Automatic rotation</dt>
          <dd>{d.enableRotation ? `on, every ${d.frequency} days` : "off"}</dd>
          <dt>Last rotated</dt>
          <dd>{d.latestRotateTime || "never"}</dd>
          <dt>Next rotation</dt>
          <dd>{d.nextRotateBeginTime || "—"}</dd>
        </dl>
      ) : null}

      <div class="row">
        <ConfirmButton
          label="Rotate now"
          title={`Rotate ${name} now?`}
          confirmLabel="Rotate"
          onConfirm={async () => {
            const r = await api.ssm.rotateProductSecret({ secretName: name });
            setFlowId(r.flowId);
          }}
        >
          <p>The standby account gets a new password and becomes current; clients holding the previous credentials keep working until the next rotation.</p>
        </ConfirmButton>
      </div>
      <FlowStatus view={flow} />

      <h3>Accounts and history</h3>
      <Failure failure={history.failure} />
      {history.data ? (
        <>
          <div class="table-wrap">
            <table class="striped">
              <caption class="visually-hidden">Database accounts of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Hosts</th>
                  <th scope="col">Role</th>
                  <th scope="col">Rotated (UTC+8)</th>
                </tr>
              </thead>
              <tbody>
                {history.data.accountInfoList.map((a) => (
                  <tr key={a.accountName}>
                    <td>
                      <code>{a.accountName}</code>
                    </td>
                    <td>{a.host.join(", ")}</td>
                    <td data-role={accountRole(a.version) ?? a.version}>
                      {accountRole(a.version) ?? ""} <span lang="zh">({a.version})</span>
                    </td>
                    <td>{a.rotatedTime || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            Committed values, newest first ({history.data.totalCount}):{" "}
            {history.data.versionIds.map((v, i) => (
              <span key={v}>
                {i > 0 ? ", " : ""}
                <code>{v}</code>
              </span>
            ))}
            . Reveal any of them on the Versions tab.
          </p>
        </>
      ) : history.loading ? (
        <Loading what="the rotation history" />
      ) : null}

      <Form
        label="Automatic rotation"
        onSubmit={() =>
          policy.run(async () => {
            await api.ssm.updateRotationStatus({
              secretName: name,
              enableRotation: enabled,
              ...(frequency.trim() ? { frequency: Number(frequency) } : {}),
              rotationBeginTime: begin.trim(),
            });
            setDone(enabled ? "Automatic rotation updated." : "Automatic rotation is off.");
            setEnable(undefined);
            setTick((t) => t + 1);
            reload();
          })
        }
      >
        <h3>Automatic rotation</h3>
        <label>
          <input type="checkbox" role="switch" checked={enabled} onChange={(e) => setEnable(e.currentTarget.checked)} />
          Rotate automatically
        </label>
        <div class="grid">
          <Field label="Every (days, 30 to 365)" type="number" min={30} max={365} value={frequency} onValue={setFrequency} hint={d ? `Empty keeps ${d.frequency}.` : "Empty keeps the current period."} />
          <Field label="Starting at (UTC+8)" value={begin} onValue={setBegin} placeholder="2030-01-01 03:00:00" hint="2006-01-02 15:04:05 form. Empty: now." />
        </div>
        <Failure failure={policy.failure} />
        <button type="submit" class="secondary" aria-busy={policy.busy ? "true" : undefined}>
          Save rotation policy
        </button>
      </Form>
      {done ? <Done>{done}</Done> : null}

      <Form
        label="Flow status"
        onSubmit={() => {
          if (/^\d+$/.test(lookup.trim())) setLookupId(BigInt(lookup.trim()));
        }}
      >
        <h3>Flow status</h3>
        <div class="grid">
          <Field label="Flow ID" inputMode="numeric" value={lookup} onValue={setLookup} hint="A FlowID of CreateProductSecret or RotateProductSecret." />
          <div class="actions-end">
            <button type="submit" class="secondary">
              Show flow
            </button>
          </div>
        </div>
        <FlowStatus view={looked} />
      </Form>
    </>
  );
}
