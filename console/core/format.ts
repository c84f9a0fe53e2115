/** Display helpers shared by every family. */

/** Unix seconds (bigint, 0 = not set) as an ISO-like UTC time. */
export function time(seconds: bigint | number): string {
  const s = typeof seconds === "bigint" ? Number(seconds) : seconds;
  return s === 0 ? "—" : isoMinute(s * 1000);
}

/** Milliseconds as "2026-11-23 12:00:05 UTC". */
export function timeMs(ms: bigint | number): string {
  const n = typeof ms === "bigint" ? Number(ms) : ms;
  return n === 0 ? "—" : `${new Date(n).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

export function count(n: number | bigint): string {
  return Number(n).toLocaleString("en-US");
}

/** A datetime-local input's value (UTC) as Unix milliseconds, 0 when empty. */
export function parseUtcInput(value: string): number {
  if (!value) return 0;
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Unix seconds as a datetime-local input's value (UTC, to the minute), "" for 0. */
export function utcInputOf(seconds: bigint | number): string {
  const s = typeof seconds === "bigint" ? Number(seconds) : seconds;
  return s === 0 ? "" : new Date(s * 1000).toISOString().slice(0, 16);
}
