/** The report: one table row per run, the targets, and the JSON in bench/results/<timestamp>.json. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadResult } from "./load.js";
import type { WhiteBoxBenchRow } from "./whitebox.js";
import { printReplicaBench, type ReplicaBench } from "./replicas.js";

export interface Ceiling {
  name: string;
  rps: number;
  /** An echo's server CPU per call in the same run (load ceilings only). */
  cpuUsPerCall?: number;
}

export interface Row {
  protocol: string;
  scenario: string;
  concurrency: number;
  load: LoadResult;
  /** Failures among the sample sent by a real client before the run. */
  sampleErrors: number;
  /** Server (or echo server) CPU seconds in the measured window (after the warm-up, bench/window.ts). */
  cpuS: number;
  /** cpuS / wall seconds of that window. */
  cores: number;
  /** cpuS / requests completed in the window, in µs. */
  cpuUsPerCall: number;
  /** Ceilings that bound this scenario (empty for a ceiling's own row). */
  bounds: Ceiling[];
  efficiency: number | undefined;
  boundBy: string | undefined;
  /** A target's interleaved rounds (the row shows the median one): the KMS and its bounding echo in each. */
  rounds?: { rps: number; echoRps: number; cpuUsPerCall: number; echoCpuUsPerCall: number }[];
}

export interface Target {
  name: string;
  measured: string;
  goal: string;
  met: boolean | undefined;
}

export interface Report {
  startedAt: string;
  mode: "short" | "full";
  machine: { cores: number; node: string; openssl: string; loadGenerator: string };
  settings: Record<string, number | string>;
  rows: Row[];
  primitives: Record<string, { label: string; perCoreOpsPerS: number }>;
  store: { syncedBatchesPerS: number; concurrency: number };
  population: { keys: number; seconds: number; rps: number; errors: number };
  /** Hosted data keys in the store (ImportDataKey over gRPC). */
  dataKeyPopulation: { dataKeys: number; seconds: number; rps: number; errors: number };
  coldStart: { keys: number; toListeningMs: number; toFirstDecryptMs: number; rssBytes: number } | undefined;
  rss: { emptyStoreBytes: number; populatedBytes: number; peakBytes: number; bytesPerKey: number } | undefined;
  rateLimit: { limit: number; drivenAt: number; seconds: number; sent: number; accepted: number; rejected: number; other: number; expectedAccepted: number } | undefined;
  profile: { protocol: string; file: string; top: { fn: string; where: string; share: number }[] } | undefined;
  /** White-box keys: table sizes, generation and opening time, table-based CBC decryption next to node:crypto (one core, in the bench process). */
  whiteBox: WhiteBoxBenchRow[] | undefined;
  /** Encrypt on etcd with 1 and 2 server processes (bench/replicas.ts), when etcd is installed. */
  replicas?: ReplicaBench | undefined;
  targets: Target[];
}

/** Bounds an efficiency by the smallest ceiling. */
export function efficiencyOf(rps: number, bounds: readonly Ceiling[]): { efficiency: number | undefined; boundBy: string | undefined } {
  const usable = bounds.filter((b) => Number.isFinite(b.rps) && b.rps > 0);
  if (usable.length === 0) return { efficiency: undefined, boundBy: undefined };
  const smallest = usable.reduce((a, b) => (b.rps < a.rps ? b : a));
  return { efficiency: rps / smallest.rps, boundBy: smallest.name };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-");
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : "-");

function table(header: string[], lines: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const render = (cells: string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ");
  return [render(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(render)].join("\n");
}

export function printReport(r: Report): string {
  const out: string[] = [];
  out.push(`tc-kms benchmark, ${r.mode} mode, ${r.startedAt}: ${r.machine.cores} cores, Node ${r.machine.node}, OpenSSL ${r.machine.openssl}, load: ${r.machine.loadGenerator}`);
  out.push(Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(" "));
  out.push("");
  const header = ["protocol", "scenario", "c", "driver", "req/s", "p50 ms", "p99 ms", "errors", "sample err", "srv cpu s", "cores", "cpu µs/req", "ceiling (req/s)", "efficiency"];
  const lines = r.rows.map((row) => [
    row.protocol,
    row.scenario,
    String(row.concurrency),
    row.load.driver,
    fmt(row.load.rps),
    ms(row.load.p50Ms),
    ms(row.load.p99Ms),
    `${row.load.errors}/${row.load.requests}`,
    String(row.sampleErrors),
    row.cpuS.toFixed(2),
    row.cores.toFixed(2),
    fmt(row.cpuUsPerCall),
    row.boundBy ? `${row.boundBy} ${fmt(row.bounds.find((b) => b.name === row.boundBy)?.rps ?? NaN)}` : "",
    row.efficiency === undefined ? "" : row.efficiency.toFixed(2),
  ]);
  out.push(table(header, lines, new Set([2, 4, 5, 6, 7, 8, 9, 10, 11, 13])));
  out.push("");
  out.push(
    table(
      ["raw primitive (one core)", "ops/s"],
      Object.values(r.primitives).map((p) => [p.label, fmt(p.perCoreOpsPerS)]),
      new Set([1]),
    ),
  );
  if (r.whiteBox) {
    out.push("");
    out.push(
      table(
        ["white-box (one core)", "table file B", "base64 B", "generate ms", "gen CPU ms", "open ms", `decrypt ${r.whiteBox[0]?.messageBytes ?? 0} B MB/s`, "node:crypto MB/s", "tables / node"],
        r.whiteBox.map((w) => [
          w.algorithm,
          fmt(w.tableBytes),
          fmt(w.tableBase64Bytes),
          fmt(w.generateMs),
          fmt(w.generateCpuMs),
          w.openMs.toFixed(1),
          fmt(w.tableDecryptBytesPerSecond / 1e6, 2),
          fmt(w.nodeDecryptBytesPerSecond / 1e6, 0),
          `${(w.ratio * 100).toFixed(2)}%`,
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7, 8]),
      ),
    );
  }
  out.push("");
  out.push(`store: ${fmt(r.store.syncedBatchesPerS)} synced LevelDB batches/s at concurrency ${r.store.concurrency}`);
  out.push(`population: ${fmt(r.population.keys)} keys in ${r.population.seconds.toFixed(1)} s (${fmt(r.population.rps)} CreateKey/s, ${r.population.errors} errors)`);
  const d = r.dataKeyPopulation;
  out.push(`hosted data keys: ${fmt(d.dataKeys)} in ${d.seconds.toFixed(1)} s (${fmt(d.rps)} ImportDataKey/s, ${d.errors} errors)`);
  if (r.coldStart)
    out.push(`cold start with ${fmt(r.coldStart.keys)} keys: listening after ${fmt(r.coldStart.toListeningMs)} ms, first Decrypt after ${fmt(r.coldStart.toFirstDecryptMs)} ms, RSS ${fmt(r.coldStart.rssBytes / 2 ** 20, 1)} MiB`);
  if (r.rss)
    out.push(`RSS: empty store ${fmt(r.rss.emptyStoreBytes / 2 ** 20, 1)} MiB, populated ${fmt(r.rss.populatedBytes / 2 ** 20, 1)} MiB (peak ${fmt(r.rss.peakBytes / 2 ** 20, 1)} MiB under load): ${fmt(r.rss.bytesPerKey)} bytes per key`);
  if (r.rateLimit) {
    const l = r.rateLimit;
    out.push(`rate limit ${l.limit}/s driven at ${l.drivenAt}/s for ${l.seconds} s: ${l.sent} sent, ${l.accepted} accepted (expected ${fmt(l.expectedAccepted)}), ${l.rejected} RequestLimitExceeded, ${l.other} other`);
  }
  if (r.profile) {
    out.push("", `server profile during ${r.profile.protocol} Encrypt 32 B (${r.profile.file}), top self time:`);
    for (const t of r.profile.top) out.push(`  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.fn}  ${t.where}`);
  }
  if (r.replicas) out.push("", printReplicaBench(r.replicas));
  out.push("", table(["target", "measured", "goal", "met"], r.targets.map((t) => [t.name, t.measured, t.goal, t.met === undefined ? "n/a" : t.met ? "yes" : "NO"]), new Set()));
  return out.join("\n");
}

export async function writeReport(dir: string, r: Report): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${r.startedAt.replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
