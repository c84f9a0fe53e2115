/**
 * Call counts over time from successive reads of cumulative counters: each
 * read is compared with the one before, and the increase is what happened in
 * between (a counter that went down means the server restarted: its new value
 * is all new). Pure, so tested in test/unit/console-metrics.test.ts.
 */
import { splitCallKey } from "./prometheus.js";

/** Calls in one interval of the chart. */
export interface Bucket {
  startMs: number;
  success: number;
  errors: number;
}

/** What one read added since the previous one: "action\u0000code" → calls. */
interface Step {
  atMs: number;
  added: Map<string, number>;
}

export interface LiveWindow {
  buckets: Bucket[];
  bucketMs: number;
  total: number;
  errors: number;
  errorCodes: { code: string; count: number }[];
  actions: { action: string; calls: number; errors: number }[];
  /** When the first read was taken (counts start there). */
  firstMs: number | undefined;
}

/** Reads kept: a day at one read every 10 s. */
const MAX_STEPS = 8640;
const DAY_MS = 86_400_000;

export class CallHistory {
  private last: { atMs: number; totals: Map<string, number>; startMs: number } | undefined;
  private readonly steps: Step[] = [];
  private first: number | undefined;

  /** One read: the counters' totals at `atMs`, from a server process that started at `startMs`. */
  add(atMs: number, totals: ReadonlyMap<string, number>, startMs: number): void {
    const prev = this.last;
    if (prev) {
      const sameProcess = startMs === prev.startMs;
      const added = new Map<string, number>();
      for (const [key, value] of totals) {
        const before = sameProcess ? (prev.totals.get(key) ?? 0) : 0;
        const delta = value >= before ? value - before : value;
        if (delta > 0) added.set(key, delta);
      }
      this.steps.push({ atMs, added });
      while (this.steps.length > MAX_STEPS || (this.steps[0] && this.steps[0].atMs < atMs - DAY_MS)) this.steps.shift();
    } else {
      this.first = atMs;
    }
    this.last = { atMs, totals: new Map(totals), startMs };
  }

  /** The calls counted between reads whose time falls in [fromMs, toMs], in `count` buckets. */
  window(fromMs: number, toMs: number, count: number): LiveWindow {
    const bucketMs = Math.max(1, Math.ceil((toMs - fromMs) / count));
    const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({ startMs: fromMs + i * bucketMs, success: 0, errors: 0 }));
    const codes = new Map<string, number>();
    const actions = new Map<string, { calls: number; errors: number }>();
    let total = 0;
    let errors = 0;
    for (const step of this.steps) {
      if (step.atMs < fromMs || step.atMs > toMs) continue;
      const b = buckets[Math.min(count - 1, Math.floor((step.atMs - fromMs) / bucketMs))];
      for (const [key, n] of step.added) {
        const { action, code } = splitCallKey(key);
        const failed = code !== "Success";
        total += n;
        const a = actions.get(action) ?? { calls: 0, errors: 0 };
        a.calls += n;
        if (failed) {
          errors += n;
          a.errors += n;
          codes.set(code, (codes.get(code) ?? 0) + n);
        }
        actions.set(action, a);
        if (b) {
          if (failed) b.errors += n;
          else b.success += n;
        }
      }
    }
    return {
      buckets,
      bucketMs,
      total,
      errors,
      errorCodes: [...codes].map(([code, n]) => ({ code, count: n })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      actions: [...actions].map(([action, v]) => ({ action, ...v })).sort((a, b) => b.calls - a.calls || a.action.localeCompare(b.action)),
      firstMs: this.first,
    };
  }
}
