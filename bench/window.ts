/**
 * Server CPU over a load run's measured window only: read once when the
 * warm-up ends and once when the load generator returns, so neither the
 * warm-up nor the generator's start and teardown dilute the figure. Threads'
 * CPU comes from /proc/<pid>/task/<tid>/schedstat (nanoseconds: a 0.3 s
 * window in ticks of 10 ms would be too coarse). A thread that ends inside the
 * window takes its time with it; the servers here keep their threads.
 */
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds of a process's live threads (schedstat), or its tick count where schedstat is missing. */
export function processCpuSeconds(pid: number): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  } catch {
    // no schedstat (kernel without CONFIG_SCHEDSTATS): ticks below
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export interface Window {
  /** CPU seconds of each watched process inside the measured window. */
  cpuS: number[];
  /** Wall seconds of the measured window (warm-up end to the generator's return). */
  wallS: number;
}

/**
 * Runs `load` and measures every process of `pids` from `warmupS` after the
 * start until `load` resolves. The run's result comes back with the window.
 */
export async function inWindow<T>(pids: readonly number[], warmupS: number, load: () => Promise<T>): Promise<{ result: T; window: Window }> {
  let from: { at: number; cpu: number[] } | undefined;
  const read = () => ({ at: performance.now(), cpu: pids.map(processCpuSeconds) });
  const start = read();
  const timer = warmupS > 0 ? setTimeout(() => (from = read()), warmupS * 1000) : undefined;
  if (!timer) from = start;
  try {
    const result = await load();
    const to = read();
    const base = from ?? start;
    return { result, window: { cpuS: to.cpu.map((c, i) => c - (base.cpu[i] ?? 0)), wallS: (to.at - base.at) / 1000 } };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
