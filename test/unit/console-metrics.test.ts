/**
 * The console dashboard's metrics reading (console/families/dashboard):
 * the Prometheus text parser against prom-client's own output, histogram
 * quantiles as Prometheus estimates them, and call counts from successive
 * reads of cumulative counters (including a server restart).
 */
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CallHistory } from "../../console/families/dashboard/live.js";
import { callKey, callTotals, latencies, parseExposition, quantile, valueOf } from "../../console/families/dashboard/prometheus.js";

describe("parseExposition", () => {
  it("reads prom-client's exposition: counters with labels, escapes, histograms with +Inf", async () => {
    const registry = new Registry();
    const calls = new Counter({ name: "kms_calls_total", help: "calls", labelNames: ["action", "transport", "code"] as const, registers: [registry] });
    calls.labels("kms:Encrypt", "grpc", "Success").inc(5);
    calls.labels("kms:Encrypt", "connect", "Success").inc(2);
    calls.labels("kms:Decrypt", "api3", "FailedOperation.DecryptError").inc(3);
    const odd = new Counter({ name: "odd_total", help: "odd", labelNames: ["v"] as const, registers: [registry] });
    odd.labels('a "quoted" \\ back\nslash').inc();
    const h = new Histogram({ name: "kms_call_duration_seconds", help: "latency", labelNames: ["action"] as const, buckets: [0.001, 0.01, 0.1], registers: [registry] });
    for (const v of [0.0005, 0.0005, 0.005, 0.05, 0.5]) h.labels("kms:Encrypt").observe(v);

    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, "kms_calls_total", { action: "kms:Encrypt", transport: "grpc" })).toBe(5);
    expect(valueOf(samples, "odd_total")).toBe(1);
    expect(samples.find((s) => s.name === "odd_total")?.labels.v).toBe('a "quoted" \\ back\nslash');
    expect(valueOf(samples, "kms_call_duration_seconds_bucket", { action: "kms:Encrypt", le: "+Inf" })).toBe(5);
    expect(valueOf(samples, "kms_call_duration_seconds_count", { action: "kms:Encrypt" })).toBe(5);

    const totals = callTotals(samples);
    expect(totals.get(callKey("kms:Encrypt", "Success"))).toBe(7);
    expect(totals.get(callKey("kms:Decrypt", "FailedOperation.DecryptError"))).toBe(3);
    expect(totals.size).toBe(2);

    const [enc] = latencies(samples);
    expect(enc).toMatchObject({ action: "kms:Encrypt", count: 5 });
    // Rank 2.5 of 5 falls in (0.001, 0.01], which holds the third observation: 0.001 + 0.009 * 0.5.
    expect(enc!.p50).toBeCloseTo(0.0055, 10);
    // Rank 4.95 falls in +Inf: the largest finite bound.
    expect(enc!.p99).toBe(0.1);
  });

  it("skips comments, blank and malformed lines, and reads timestamps and special values", () => {
    const text = ["# HELP x y", "", "x 1 1712345678000", "y{a=\"1\"} +Inf", "z{a=\"1\" NaN", "w NaN", "not a sample line at all"].join("\n");
    expect(parseExposition(text)).toEqual([
      { name: "x", labels: {}, value: 1 },
      { name: "y", labels: { a: "1" }, value: Infinity },
    ]);
  });
});

describe("quantile", () => {
  it("interpolates linearly inside the bucket that holds the rank", () => {
    const buckets = [
      { le: 1, count: 10 },
      { le: 2, count: 30 },
      { le: Infinity, count: 40 },
    ];
    expect(quantile(0.25, buckets)).toBe(1); // rank 10 ends the first bucket
    expect(quantile(0.5, buckets)).toBe(1.5); // rank 20: half way through (1, 2]
    expect(quantile(0.9, buckets)).toBe(2); // rank 36 is in +Inf
    expect(quantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });
});

describe("CallHistory", () => {
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const totals = (entries: [string, string, number][]) => new Map(entries.map(([a, c, n]) => [callKey(a, c), n]));

  it("counts what happened between reads, bucketed by the read's time; the first read is the baseline", () => {
    const h = new CallHistory();
    h.add(t0, totals([["kms:Encrypt", "Success", 100]]), t0 - 60_000);
    expect(h.window(t0 - 60_000, t0 + 60_000, 4)).toMatchObject({ total: 0, errors: 0, firstMs: t0 });
    h.add(t0 + 10_000, totals([["kms:Encrypt", "Success", 105], ["kms:Decrypt", "FailedOperation.DecryptError", 2]]), t0 - 60_000);
    h.add(t0 + 40_000, totals([["kms:Encrypt", "Success", 106], ["kms:Decrypt", "FailedOperation.DecryptError", 2]]), t0 - 60_000);
    const w = h.window(t0, t0 + 60_000, 6);
    expect(w).toMatchObject({ total: 8, errors: 2, bucketMs: 10_000 });
    expect(w.errorCodes).toEqual([{ code: "FailedOperation.DecryptError", count: 2 }]);
    expect(w.actions).toEqual([
      { action: "kms:Encrypt", calls: 6, errors: 0 },
      { action: "kms:Decrypt", calls: 2, errors: 2 },
    ]);
    expect(w.buckets.map((b) => [b.success, b.errors])).toEqual([[0, 0], [5, 2], [0, 0], [0, 0], [1, 0], [0, 0]]);
    // A window that ends before the reads sees none of them.
    expect(h.window(t0 - 60_000, t0 + 5_000, 3).total).toBe(0);
  });

  it("a server restart (new start time, counters from zero) counts the new totals as new calls", () => {
    const h = new CallHistory();
    h.add(t0, totals([["kms:Encrypt", "Success", 50]]), t0 - 1000);
    h.add(t0 + 10_000, totals([["kms:Encrypt", "Success", 3]]), t0 + 5_000);
    expect(h.window(t0, t0 + 20_000, 2).total).toBe(3);
    // A counter that went down within one process start time (a reset) counts its new value.
    h.add(t0 + 20_000, totals([["kms:Encrypt", "Success", 1]]), t0 + 5_000);
    expect(h.window(t0, t0 + 30_000, 3).total).toBe(4);
  });
});
