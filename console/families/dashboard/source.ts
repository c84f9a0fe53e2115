/**
 * Where the dashboard's numbers come from, behind one interface. Today:
 * computed from the audit trail (QueryAuditEvents), which records every call
 * with its result. When the service exposes metrics, a second MetricsSource
 * reads them instead and nothing else in the dashboard changes.
 */
import type { Api } from "../../core/api.js";

export interface Bucket {
  startMs: number;
  success: number;
  errors: number;
}

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
}

export interface MetricsSource {
  /** Shown under the chart: where the figures come from. */
  readonly description: string;
  load(fromMs: number, toMs: number, buckets: number): Promise<CallMetrics>;
}

/** Events read at most per refresh (QueryAuditEvents pages of 1,000). */
const MAX_EVENTS = 20_000;
const PAGE = 1000;

export function auditMetricsSource(api: Api): MetricsSource {
  return {
    description: "Computed from the audit trail (QueryAuditEvents): every call with its result.",
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
