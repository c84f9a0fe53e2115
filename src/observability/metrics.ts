/**
 * Prometheus metrics (prom-client), one registry per server. What is
 * measured, and where from:
 *
 * - kms_calls_total{action,transport,code} and
 *   kms_call_duration_seconds{action}: the pipeline's call observer.
 * - kms_store_batch_duration_seconds{durable}: every write batch of the store
 *   (timed-store.ts); kms_audit_commit_duration_seconds: the audit log's group
 *   commits, each one batch of events (and of the change they record).
 * - kms_asymmetric_queue_length: asymmetric operations submitted to the worker
 *   pool and not yet answered (counted-engine.ts).
 * - kms_scheduler_lag_seconds{kind}: how long the oldest due piece of
 *   scheduled work has waited (0: none is waiting).
 * - kms_keys{state}: keys per state, counted from the listing index.
 * - Node's process metrics (CPU, memory, event-loop lag, GC), as prom-client names them.
 *
 * Labels carry only names from fixed sets (actions of registered routes,
 * transports, API codes, key states, schedule kinds), never request content.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Call, CallObserver } from "../pipeline/pipeline.js";

/** Where the gauges read their values, at scrape time. */
export interface MetricSources {
  /** Keys per state (every state present, zeros included). */
  keysByState(): Promise<Record<string, number>>;
  /** Per schedule kind, the due date (ms) of the oldest entry still waiting, undefined when none is. */
  oldestDue(): Promise<Record<string, number | undefined>>;
  /** Operations queued or running in the asymmetric worker pool. */
  asymmetricQueue(): number;
  /** Wall clock (ms) for the scheduler's lag: the domain clock. */
  now(): number;
}

/** Latency buckets (seconds) from 250 µs to 10 s: a symmetric call is sub-millisecond, a synced write a few ms. */
const LATENCY_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  /** The pipeline's observer: counts and times each call. */
  readonly calls: CallObserver;
  /** Times one store write batch. */
  storeBatch(seconds: number, durable: boolean): void;
  /** Times one audit group commit. */
  auditCommit(seconds: number): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string>;
  readonly contentType: string;
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const calls = new Counter({ name: "kms_calls_total", help: "Calls answered, by action, transport and API code (Success for none).", labelNames: ["action", "transport", "code"] as const, registers: [registry] });
  const latency = new Histogram({ name: "kms_call_duration_seconds", help: "Time from a call's arrival to its answer being decided, by action.", labelNames: ["action"] as const, buckets: LATENCY_BUCKETS, registers: [registry] });
  const batches = new Histogram({ name: "kms_store_batch_duration_seconds", help: "Time to write one store batch; durable batches are synced to disk.", labelNames: ["durable"] as const, buckets: LATENCY_BUCKETS, registers: [registry] });
  const commits = new Histogram({ name: "kms_audit_commit_duration_seconds", help: "Time to write one audit group commit (its events, and the change they record, in one batch).", buckets: LATENCY_BUCKETS, registers: [registry] });
  new Gauge({
    name: "kms_asymmetric_queue_length",
    help: "Asymmetric operations submitted to the worker pool and not yet answered.",
    registers: [registry],
    collect() {
      this.set(sources.asymmetricQueue());
    },
  });
  new Gauge({
    name: "kms_scheduler_lag_seconds",
    help: "How long the oldest due piece of scheduled work (purges, rotations, expiries) has waited, by kind; 0 when none waits.",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      const due = await sources.oldestDue();
      const now = sources.now();
      for (const [kind, dateMs] of Object.entries(due)) this.set({ kind }, dateMs === undefined ? 0 : Math.max(0, now - dateMs) / 1000);
    },
  });
  new Gauge({
    name: "kms_keys",
    help: "Keys by state, from the listing index.",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      for (const [state, n] of Object.entries(await sources.keysByState())) this.set({ state }, n);
    },
  });

  // Label children cached by their values: the call path then does one map lookup per metric.
  const callChildren = new Map<string, Counter.Internal>();
  const latencyChildren = new Map<string, Histogram.Internal<"action">>();
  const observer: CallObserver = {
    onCallEnd(call: Call, code: string, latencyMs: number) {
      const key = `${call.action}\u0000${call.transport}\u0000${code}`;
      let counter = callChildren.get(key);
      if (!counter) callChildren.set(key, (counter = calls.labels(call.action, call.transport, code)));
      counter.inc();
      let histogram = latencyChildren.get(call.action);
      if (!histogram) latencyChildren.set(call.action, (histogram = latency.labels(call.action)));
      histogram.observe(latencyMs / 1000);
    },
  };
  const durable = batches.labels("true");
  const lazy = batches.labels("false");
  return {
    registry,
    calls: observer,
    storeBatch: (seconds, isDurable) => (isDurable ? durable : lazy).observe(seconds),
    auditCommit: (seconds) => commits.observe(seconds),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
