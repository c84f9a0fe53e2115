/** A stacked bar chart of calls per interval (successes and errors), drawn as SVG with classes only (no inline style). */
import type { Bucket } from "./source.js";

const W = 720;
const H = 220;
const PAD = { left: 44, right: 8, top: 10, bottom: 28 };

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

export function CallChart({ buckets, title }: { buckets: readonly Bucket[]; title: string }) {
  const max = Math.max(1, ...buckets.map((b) => b.success + b.errors));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / Math.max(1, buckets.length);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const total = buckets.reduce((a, b) => a + b.success + b.errors, 0);
  const errors = buckets.reduce((a, b) => a + b.errors, 0);
  const ticks = [0, Math.round(max / 2), max];
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="none">
        <title id="chart-title">{title}</title>
        <desc id="chart-desc">
          {total} calls, {errors} of them errors, over {buckets.length} intervals; the busiest interval had {max === 1 && total === 0 ? 0 : max} calls.
        </desc>
        {ticks.map((t) => (
          <g key={t}>
            <line class="grid-line" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text class="axis" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {t}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          const x = PAD.left + i * bw + 1;
          const w = Math.max(1, bw - 2);
          return (
            <g key={b.startMs}>
              <rect class="bar-success" x={x} width={w} y={y(b.success)} height={plotH + PAD.top - y(b.success)}>
                <title>{`${clock(b.startMs)} UTC: ${b.success} succeeded, ${b.errors} failed`}</title>
              </rect>
              <rect class="bar-error" x={x} width={w} y={y(b.success + b.errors)} height={y(b.success) - y(b.success + b.errors)} />
              {i % labelEvery === 0 ? (
                <text class="axis" x={x + w / 2} y={H - 8} text-anchor="middle">
                  {clock(b.startMs)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="legend legend-success">Succeeded</span> <span class="legend legend-error">Failed</span> (times in UTC)
      </figcaption>
    </figure>
  );
}
