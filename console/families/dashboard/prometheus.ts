/**
 * The Prometheus text exposition format (0.0.4), read: samples with their
 * labels, and the few figures the dashboard derives from them. Pure
 * functions, no DOM: tested in test/unit/console-metrics.test.ts.
 */

export interface PromSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** `a="x",b="y\"z"` → { a: "x", b: 'y"z' } (escapes: \\, \", \n). */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    if (re.lastIndex >= text.length) break;
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** Every sample line of an exposition (comments, blank and malformed lines skipped). */
export function parseExposition(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!m) continue;
    const value = parseValue(m[3] as string);
    if (Number.isNaN(value)) continue;
    out.push({ name: m[1] as string, labels: m[2] ? parseLabels(m[2]) : {}, value });
  }
  return out;
}

/** kms_calls_total summed over transports: "action\u0000code" → count. */
export function callTotals(samples: readonly PromSample[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== "kms_calls_total") continue;
    const key = callKey(s.labels.action ?? "", s.labels.code ?? "");
    totals.set(key, (totals.get(key) ?? 0) + s.value);
  }
  return totals;
}

export function callKey(action: string, code: string): string {
  return `${action}\u0000${code}`;
}

export function splitCallKey(key: string): { action: string; code: string } {
  const i = key.indexOf("\u0000");
  return { action: key.slice(0, i), code: key.slice(i + 1) };
}

/** The value of the one sample of `name` whose labels include `labels`, if any. */
export function valueOf(samples: readonly PromSample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/**
 * The q-quantile of a cumulative histogram (`le` upper bounds, counts), as
 * Prometheus' histogram_quantile estimates it: linear within the bucket that
 * holds the rank; the largest finite bound when the rank falls in +Inf.
 */
export function quantile(q: number, buckets: readonly { le: number; count: number }[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export interface ActionLatency {
  action: string;
  count: number;
  /** Seconds. */
  p50: number;
  p95: number;
  p99: number;
}

/** Per action, its call count and latency quantiles from kms_call_duration_seconds (since the server started). */
export function latencies(samples: readonly PromSample[]): ActionLatency[] {
  const byAction = new Map<string, { le: number; count: number }[]>();
  for (const s of samples) {
    if (s.name !== "kms_call_duration_seconds_bucket") continue;
    const action = s.labels.action ?? "";
    const le = parseValue(s.labels.le ?? "");
    if (Number.isNaN(le)) continue;
    const list = byAction.get(action) ?? [];
    list.push({ le, count: s.value });
    byAction.set(action, list);
  }
  const out: ActionLatency[] = [];
  for (const [action, buckets] of byAction) {
    const count = Math.max(0, ...buckets.map((b) => b.count));
    if (count === 0) continue;
    out.push({ action, count, p50: quantile(0.5, buckets) ?? 0, p95: quantile(0.95, buckets) ?? 0, p99: quantile(0.99, buckets) ?? 0 });
  }
  return out.sort((a, b) => b.count - a.count);
}
