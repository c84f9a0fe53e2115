/** The one timing loop of the benchmarks: operations per second of a synchronous operation on this thread. */

const MAX_OPS = 100_000_000;

/** Operations per second of `op`, over about `seconds` after a short warm-up (bounded in count too). */
export function opsPerSecond(op: () => unknown, seconds: number): number {
  const warm = performance.now() + Math.min(200, seconds * 200);
  while (performance.now() < warm) op();
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  let now = start;
  while (now < end && n < MAX_OPS) {
    for (let i = 0; i < 8; i++) op();
    n += 8;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}
