/** Call rates and error codes over a recent window, from the MetricsSource (today: the audit trail). */
import { useMemo, useState } from "preact/hooks";
import type { RouteContext } from "../../core/family.js";
import { count, timeMs } from "../../core/format.js";
import { Failure, Loading, Select, useLoad } from "../../core/ui.js";
import { CallChart } from "./chart.js";
import { auditMetricsSource } from "./source.js";

const WINDOWS = [
  { value: "900000", label: "Last 15 minutes" },
  { value: "3600000", label: "Last hour" },
  { value: "21600000", label: "Last 6 hours" },
  { value: "86400000", label: "Last 24 hours" },
];
const BUCKETS = 30;

export function Dashboard({ api }: RouteContext) {
  const source = useMemo(() => auditMetricsSource(api), [api]);
  const [windowMs, setWindowMs] = useState("3600000");
  const [tick, setTick] = useState(0);
  const metrics = useLoad(() => {
    const to = Date.now() + 1;
    return source.load(to - Number(windowMs), to, BUCKETS);
  }, [source, windowMs, tick]);
  const m = metrics.data;
  const minutes = Number(windowMs) / 60_000;
  return (
    <>
      <h1>Dashboard</h1>
      <div class="grid">
        <Select label="Window" value={windowMs} onValue={setWindowMs} options={WINDOWS} />
        <div class="actions-end">
          <button type="button" class="secondary" onClick={() => setTick(tick + 1)} aria-busy={metrics.loading ? "true" : undefined}>
            Refresh
          </button>
        </div>
      </div>
      <Failure failure={metrics.failure} />
      {metrics.loading && !m ? <Loading what="call metrics" /> : null}
      {m ? (
        <>
          <div class="grid stats">
            <article>
              <header>Calls</header>
              <p class="stat" data-stat="calls">
                {count(m.total)}
              </p>
              <small>{(m.total / minutes).toFixed(1)} per minute</small>
            </article>
            <article>
              <header>Errors</header>
              <p class="stat" data-stat="errors">
                {count(m.errors)}
              </p>
              <small>{m.total ? ((100 * m.errors) / m.total).toFixed(1) : "0.0"}% of calls</small>
            </article>
            <article>
              <header>Distinct error codes</header>
              <p class="stat">{m.errorCodes.length}</p>
              <small>
                {timeMs(m.fromMs)} to {timeMs(m.toMs)}
              </small>
            </article>
          </div>
          <CallChart buckets={m.buckets} title={`Calls per ${Math.round(m.bucketMs / 60_000) || "<1"} minute(s), ${WINDOWS.find((w) => w.value === windowMs)?.label.toLowerCase() ?? ""}`} />
          <p>
            <small>
              {source.description} {m.partial ?? ""}
            </small>
          </p>
          <div class="grid">
            <section aria-labelledby="codes-h">
              <h2 id="codes-h">Error codes</h2>
              {m.errorCodes.length === 0 ? (
                <p>No errors in this window.</p>
              ) : (
                <table class="striped">
                  <caption class="visually-hidden">Error codes by count</caption>
                  <thead>
                    <tr>
                      <th scope="col">Code</th>
                      <th scope="col">Calls</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.errorCodes.map((c) => (
                      <tr key={c.code}>
                        <td>
                          <a href={`#/audit?result=${encodeURIComponent(c.code)}`}>{c.code}</a>
                        </td>
                        <td>{count(c.count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section aria-labelledby="actions-h">
              <h2 id="actions-h">Busiest actions</h2>
              <table class="striped">
                <caption class="visually-hidden">Actions by calls</caption>
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">Calls</th>
                    <th scope="col">Errors</th>
                  </tr>
                </thead>
                <tbody>
                  {m.actions.slice(0, 15).map((a) => (
                    <tr key={a.action}>
                      <td>{a.action}</td>
                      <td>{count(a.calls)}</td>
                      <td>{count(a.errors)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      ) : null}
    </>
  );
}
