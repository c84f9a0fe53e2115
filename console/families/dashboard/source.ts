/**
 * Where the dashboard's numbers come from, behind one interface:
 * - the server's metrics (MetricsService/GetMetrics, the registry that
 *   KMS_METRICS_ADDR serves, read through the authenticated API on the
 *   console's own origin): call counts between successive reads, and the
 *   server's own figures since it started (latency quantiles, keys by state,
 *   queue, scheduler lag, memory);
 * - the audit trail (QueryAuditEvents), which records every call with its
 *   result: any past window, when metrics are off or not allowed.
 */
import type { Api } from "../../core/api.js";
import { CallHistory, type Bucket } from "./live.js";
import { callTotals, latencies, parseExposition, valueOf, type ActionLatency, type PromSample } from "./prometheus.js";

export type { Bucket } from "./live.js";

export interface CallMetrics {
  fromMs: number;
  toMs: number;
  bucketMs: number;
  buckets: Bucket[];
  total: number;
  errors: number;
  /** Error codes by count, largest first. */
  errorCodes: { code: string; count: number }[];
  /** Actions by calls, largest first. */
  actions: { action: string; calls: number; errors: number }[];
  /** Set when the source read only part of the window (it says how much). */
  partial?: string;
  /** The server's own figures, when the source is its metrics. */
  server?: ServerFigures;
}

/** What the metrics registry says of the server as a whole, since it started. */
export interface ServerFigures {
  startedMs: number;
  calls: number;
  errors: number;
  errorCodes: { code: string; count: number }[];
  /** Call latency per action, busiest first. */
  latency: ActionLatency[];
  /** Gauges worth a glance, already formatted. */
  gauges: { label: string; value: string }[];
}

export interface MetricsSource {
  /** "metrics" or "audit". */
  readonly id: string;
  /** Shown under the chart: where the figures come from. */
  readonly description: string;
  /** Whether the figures move by themselves (the dashboard then reads again every few seconds). */
  readonly live: boolean;
  load(fromMs: number, toMs: number, buckets: number): Promise<CallMetrics>;
}

/** Events read at most per refresh (QueryAuditEvents pages of 1,000). */
const MAX_EVENTS = 20_000;
const PAGE = 1000;

export function auditMetricsSource(api: Api): MetricsSource {
  return {
    id: "audit",
    description: "Computed from the audit trail (QueryAuditEvents): every call with its result.",
    live: false,
    async load(fromMs, toMs, bucketCount) {
      const bucketMs = Math.max(1, Math.ceil((toMs - fromMs) / bucketCount));
      const buckets: Bucket[] = Array.from({ length: bucketCount }, (_, i) => ({ startMs: fromMs + i * bucketMs, success: 0, errors: 0 }));
      const codes = new Map<string, number>();
      const actions = new Map<string, { calls: number; errors: number }>();
      let total = 0;
      let errors = 0;
      let afterSeq = 0n;
      let partial: string | undefined;
      for (;;) {
        const page = await api.admin.queryAuditEvents({ fromTimeMs: BigInt(fromMs), toTimeMs: BigInt(toMs), afterSeq, limit: PAGE });
        for (const e of page.events) {
          const t = Number(e.timeMs);
          const b = buckets[Math.min(bucketCount - 1, Math.floor((t - fromMs) / bucketMs))];
          const failed = e.result !== "Success";
          if (b) {
            if (failed) b.errors++;
            else b.success++;
          }
          total++;
          const a = actions.get(e.action) ?? { calls: 0, errors: 0 };
          a.calls++;
          if (failed) {
            errors++;
            a.errors++;
            codes.set(e.result, (codes.get(e.result) ?? 0) + 1);
          }
          actions.set(e.action, a);
        }
        afterSeq = page.nextAfterSeq;
        if (afterSeq === 0n) break;
        if (total >= MAX_EVENTS) {
          partial = `Only the first ${total.toLocaleString("en-US")} events of the window were read.`;
          break;
        }
      }
      return {
        fromMs,
        toMs,
        bucketMs,
        buckets,
        total,
        errors,
        errorCodes: [...codes].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count),
        actions: [...actions].map(([action, v]) => ({ action, ...v })).sort((a, b) => b.calls - a.calls),
        ...(partial ? { partial } : {}),
      };
    },
  };
}

/** Call counts per read, per signed-in session (a new sign-in starts afresh). */
const histories = new WeakMap<Api, CallHistory>();

const KEY_STATES = ["Enabled", "Disabled", "PendingDelete", "PendingImport", "Archived"];

function mib(bytes: number | undefined): string {
  return bytes === undefined ? "—" : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function seconds(s: number | undefined): string {
  return s === undefined ? "—" : s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(1)} s`;
}

function serverFigures(samples: readonly PromSample[], totals: ReadonlyMap<string, number>, startedMs: number): ServerFigures {
  let calls = 0;
  let errors = 0;
  const codes = new Map<string, number>();
  for (const [key, n] of totals) {
    const code = key.slice(key.indexOf("\u0000") + 1);
    calls += n;
    if (code !== "Success") {
      errors += n;
      codes.set(code, (codes.get(code) ?? 0) + n);
    }
  }
  const lag = samples.filter((s) => s.name === "kms_scheduler_lag_seconds").reduce((m, s) => Math.max(m, s.value), 0);
  const keys = KEY_STATES.map((state) => `${state} ${valueOf(samples, "kms_keys", { state }) ?? 0}`).join(", ");
  return {
    startedMs,
    calls,
    errors,
    errorCodes: [...codes].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    latency: latencies(samples),
    gauges: [
      { label: "Keys by state", value: keys },
      { label: "Asymmetric operations queued", value: String(valueOf(samples, "kms_asymmetric_queue_length") ?? "—") },
      { label: "Oldest due scheduled work waiting", value: seconds(lag) },
      { label: "Resident memory", value: mib(valueOf(samples, "process_resident_memory_bytes")) },
      { label: "Event loop lag (p99)", value: seconds(valueOf(samples, "nodejs_eventloop_lag_p99_seconds")) },
    ],
  };
}

/**
 * The server's metrics through MetricsService/GetMetrics. Counters are totals
 * since the server started, so calls per interval come from comparing this
 * read with the previous ones (kept per signed-in session while the tab
 * lives); the dashboard reads again every few seconds while it is shown.
 */
export function metricsApiSource(api: Api): MetricsSource {
  let history = histories.get(api);
  if (!history) histories.set(api, (history = new CallHistory()));
  const h = history;
  return {
    id: "metrics",
    description: "From the server's metrics (MetricsService/GetMetrics: the Prometheus registry of KMS_METRICS_ADDR, read through the API): calls counted between this tab's reads.",
    live: true,
    async load(fromMs, toMs, bucketCount) {
      const r = await api.metrics.getMetrics({});
      if (!r.enabled) throw new Error("the server keeps no metrics (KMS_METRICS_ADDR is not set)");
      const atMs = Date.now();
      const samples = parseExposition(r.text);
      const totals = callTotals(samples);
      const startedMs = Math.round((valueOf(samples, "process_start_time_seconds") ?? 0) * 1000);
      h.add(atMs, totals, startedMs);
      const w = h.window(fromMs, Math.max(toMs, atMs), bucketCount);
      const partial =
        w.firstMs !== undefined && w.firstMs > fromMs
          ? `Counted since ${new Date(w.firstMs).toISOString().slice(11, 19)} UTC, when this tab first read the metrics; the totals below cover the server's whole run.`
          : undefined;
      return {
        fromMs,
        toMs,
        bucketMs: w.bucketMs,
        buckets: w.buckets,
        total: w.total,
        errors: w.errors,
        errorCodes: w.errorCodes,
        actions: w.actions,
        server: serverFigures(samples, totals, startedMs),
        ...(partial ? { partial } : {}),
      };
    },
  };
}
