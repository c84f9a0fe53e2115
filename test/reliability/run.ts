/**
 * `npm run reliability`: tries to break the service (crash, corruption, disk
 * full, bad input, load, races), prints a table of figures, writes it as JSON
 * to test/reliability/results/<timestamp>.json, and exits non-zero if any
 * check failed.
 *
 *   npx tsx test/reliability/run.ts                       # full mode (by hand, ~10 min)
 *   RELIABILITY_SHORT=1 npx tsx test/reliability/run.ts   # short mode (CI=true too)
 *   RELIABILITY_ONLY=crash,fuzz-grpc npx tsx test/reliability/run.ts
 */
import { mkdir, writeFile } from "node:fs/promises";
import { attacksScenario } from "./attacks.js";
import { corruptionScenario } from "./corruption.js";
import { crashScenario } from "./crash.js";
import { diskFullScenario } from "./disk-full.js";
import { fuzzGatewayScenario } from "./fuzz-gateway.js";
import { fuzzGrpcScenario } from "./fuzz-grpc.js";
import { loadScenario } from "./load.js";
import { modeFromEnv, type Mode } from "./mode.js";
import { propertiesScenario } from "./properties.js";
import { racesScenario } from "./races.js";
import { replicasScenario } from "./replicas.js";
import { crashed, type ScenarioResult } from "./lib/report.js";

const SCENARIOS: [string, (mode: Mode) => Promise<ScenarioResult>][] = [
  ["properties", propertiesScenario],
  ["crash", crashScenario],
  ["corruption", corruptionScenario],
  ["disk-full", diskFullScenario],
  ["fuzz-gateway", fuzzGatewayScenario],
  ["fuzz-grpc", fuzzGrpcScenario],
  ["load", loadScenario],
  ["races", racesScenario],
  ["attacks", attacksScenario],
  ["replicas", replicasScenario],
];

function table(results: readonly ScenarioResult[]): string {
  const rows: [string, string, string][] = [];
  for (const r of results) {
    rows.push([r.scenario, r.ok ? "PASS" : "FAIL", `${(r.durationMs / 1000).toFixed(1)} s`]);
    for (const [k, v] of Object.entries(r.figures)) rows.push(["", k, String(v)]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length), 8);
  const w1 = Math.max(...rows.map((r) => r[1].length), 6);
  const line = `+${"-".repeat(w0 + 2)}+${"-".repeat(w1 + 2)}+${"-".repeat(30)}`;
  const out = [line, `| ${"scenario".padEnd(w0)} | ${"figure".padEnd(w1)} | value`, line];
  for (const [a, b, c] of rows) {
    if (a) out.push(line);
    out.push(`| ${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c}`);
  }
  out.push(line);
  return out.join("\n");
}

async function main(): Promise<void> {
  const mode = modeFromEnv();
  const only = (process.env.RELIABILITY_ONLY ?? "").split(",").filter(Boolean);
  const started = new Date();
  console.log(`reliability: ${mode.short ? "short" : "full"} mode`);
  const results: ScenarioResult[] = [];
  for (const [name, fn] of SCENARIOS) {
    if (only.length > 0 && !only.includes(name)) continue;
    const t0 = Date.now();
    console.log(`\n== ${name}`);
    let r: ScenarioResult;
    try {
      r = await fn(mode);
    } catch (err) {
      r = crashed(name, err, t0);
    }
    results.push(r);
    for (const c of r.checks) console.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.ok ? `: ${c.detail.slice(0, 600)}` : ""}`);
    for (const f of r.findings) console.log(`  finding: ${f}`);
  }
  console.log(`\n${table(results)}`);
  const failed = results.filter((r) => !r.ok);
  const findings = results.flatMap((r) => r.findings.map((f) => `[${r.scenario}] ${f}`));
  if (findings.length > 0) console.log(`\nfindings:\n${findings.map((f) => `  - ${f}`).join("\n")}`);
  const dir = new URL("./results/", import.meta.url);
  await mkdir(dir, { recursive: true });
  const file = new URL(`./${started.toISOString().replace(/[:.]/g, "-")}.json`, dir);
  await writeFile(file, `${JSON.stringify({ mode: mode.short ? "short" : "full", settings: mode, started: started.toISOString(), ok: failed.length === 0, results }, null, 2)}\n`);
  console.log(`\nresults: ${file.pathname}`);
  console.log(failed.length === 0 ? "reliability: all checks passed" : `reliability: FAILED in ${failed.map((r) => r.scenario).join(", ")}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
