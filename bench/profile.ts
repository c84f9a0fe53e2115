/**
 * Top self-time functions of a V8 .cpuprofile (as written by `node --cpu-prof`).
 * Also a command: `npx tsx bench/profile.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from "node:fs";
import { invokedDirectly } from "../src/cli/invoked.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

export function topSelfTime(file: string, top = 15): SelfTime[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { fn: string; where: string; us: number }>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const where = frame.url ? `${frame.url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|bench|gen)\//, "$1/")}:${frame.lineNumber + 1}` : "";
    const fn = frame.functionName || "(anonymous)";
    const key = `${fn}@${where}`;
    const t = totals.get(key) ?? { fn, where, us: 0 };
    t.us += us;
    totals.set(key, t);
    all += us;
  });
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((t) => ({ fn: t.fn, where: t.where, ms: t.us / 1000, share: all ? t.us / all : 0 }));
}

if (invokedDirectly(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: tsx bench/profile.ts <file.cpuprofile> [top]");
  for (const t of topSelfTime(file, Number(process.argv[3] ?? 20)))
    console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(7)} ms  ${t.fn}  ${t.where}`);
}
