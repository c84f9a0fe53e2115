/**
 * Call rates and error codes over a recent window, from a MetricsSource: the
 * server's metrics when it keeps them (read again every 10 s while shown),
 * else the audit trail; either can be chosen when both are there.
 */
import { Fragment } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { RouteContext } from "../../core/family.js";
import { count, timeMs } from "../../core/format.js";
import { Failure, Loading, Select, useLoad } from "../../core/ui.js";
import { CallChart } from "./chart.js";
import { auditMetricsSource, metricsApiSource, type ServerFigures } from "./source.js";

const WINDOWS = [
  { value: "900000", label: "Last 15 minutes" },
  { value: "3600000", label: "Last hour" },
  { value: "21600000", label: "Last 6 hours" },
  { value: "86400000", label: "Last 24 hours" },
];
const BUCKETS = 30;
/** How often a live source is read again while the dashboard is shown. */
const LIVE_REFRESH_MS = 10_000;

function ms(seconds: number): string {
  return seconds < 0.001 ? `${(seconds * 1e6).toFixed(0)} µs` : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
}

function ServerSection({ server }: { server: ServerFigures }) {
  return (
    <section aria-labelledby="server-h">
      <h2 id="server-h">Since the server started</h2>
      <p>
        Started {timeMs(server.startedMs)}: <span data-stat="server-calls">{count(server.calls)}</span> calls, <span data-stat="server-errors">{count(server.errors)}</span> errors.
      </p>
      <div class="grid">
        <dl class="meta">
          {server.gauges.map((g) => (
            <Fragment key={g.label}>
              <dt>{g.label}</dt>
              <dd>{g.value}</dd>
            </Fragment>
          ))}
        </dl>
        <section aria-labelledby="server-codes-h">
          <h3 id="server-codes-h">Error codes</h3>
          {server.errorCodes.length === 0 ? (
            <p>No errors since the server started.</p>
          ) : (
            <table class="striped server-codes">
              <caption class="visually-hidden">Error codes since the server started</caption>
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Calls</th>
                </tr>
              </thead>
              <tbody>
                {server.errorCodes.map((c) => (
                  <tr key={c.code}>
                    <td>{c.code}</td>
                    <td>{count(c.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <section aria-labelledby="latency-h">
        <h3 id="latency-h">Latency by action</h3>
        <div class="table-wrap">
          <table class="striped latency">
            <caption class="visually-hidden">Call latency per action since the server started</caption>
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Calls</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
                <th scope="col">p99</th>
              </tr>
            </thead>
            <tbody>
              {server.latency.map((l) => (
                <tr key={l.action}>
                  <td>{l.action}</td>
                  <td>{count(l.count)}</td>
                  <td>{ms(l.p50)}</td>
                  <td>{ms(l.p95)}</td>
                  <td>{ms(l.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </section>
  );
}

export function Dashboard({ api }: RouteContext) {
  // Does the server keep metrics, and may this caller read them? (Off is an answer; a refusal falls back to the audit trail.)
  const probe = useLoad(() => api.metrics.getMetrics({}).then((r) => r.enabled), [api]);
  const decided = !probe.loading;
  const metricsOn = probe.data === true;
  const [choice, setChoice] = useState<string | undefined>();
  const sourceId = choice ?? (metricsOn ? "metrics" : "audit");
  const source = useMemo(() => (sourceId === "metrics" ? metricsApiSource(api) : auditMetricsSource(api)), [api, sourceId]);
  const [windowMs, setWindowMs] = useState("3600000");
  const [tick, setTick] = useState(0);
  const metrics = useLoad(() => {
    if (!decided) return Promise.resolve(undefined);
    const to = Date.now() + 1;
    return source.load(to - Number(windowMs), to, BUCKETS);
  }, [decided, source, windowMs, tick]);
  useEffect(() => {
    if (!source.live) return;
    const timer = setInterval(() => setTick((t) => t + 1), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [source]);
  const m = metrics.data;
  const minutes = Number(windowMs) / 60_000;
  return (
    <>
      <h1>Dashboard</h1>
      <div class="grid">
        {metricsOn ? (
          <Select
            label="Source"
            value={sourceId}
            onValue={setChoice}
            options={[
              { value: "metrics", label: "Server metrics (live)" },
              { value: "audit", label: "Audit trail" },
            ]}
          />
        ) : null}
        <Select label="Window" value={windowMs} onValue={setWindowMs} options={WINDOWS} />
        <div class="actions-end">
          <button type="button" class="secondary" onClick={() => setTick(tick + 1)} aria-busy={metrics.loading ? "true" : undefined}>
            Refresh
          </button>
        </div>
      </div>
      {probe.failure ? <Failure failure={probe.failure} label="Server metrics (showing the audit trail instead)" /> : null}
      <Failure failure={metrics.failure} />
      {metrics.loading && !m ? <Loading what="call metrics" /> : null}
      {m ? (
        <>
          <div class="grid stats" data-source={source.id}>
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
            <small class="source-description">
              {source.description} {m.partial ?? ""}
            </small>
          </p>
          <div class="grid">
            <section aria-labelledby="codes-h">
              <h2 id="codes-h">Error codes</h2>
              {m.errorCodes.length === 0 ? (
                <p>No errors in this window.</p>
              ) : (
                <table class="striped window-codes">
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
              <table class="striped window-actions">
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
          {m.server ? <ServerSection server={m.server} /> : null}
        </>
      ) : null}
    </>
  );
}
