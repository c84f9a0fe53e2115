/**
 * Benchmark settings, from the environment. Short mode (BENCH_SHORT=1 or
 * CI=true) keeps CI under a minute; the full mode runs by hand.
 *
 *   BENCH_SHORT=1          short mode
 *   BENCH_DURATION=3       seconds measured per run (after BENCH_WARMUP); short: 0.3
 *   BENCH_WARMUP=0.5       seconds of warm-up per run, not measured; short: 0.1
 *   BENCH_CONCURRENCY=32   requests in flight (all connections together)
 *   BENCH_CONNECTIONS=4    HTTP/2 connections (HTTP/1.1 uses one per request in flight)
 *   BENCH_KEYS=100000      keys in the store before the scenarios; short: 2000
 *   BENCH_DATA_KEYS=100000 hosted data keys in the store before the scenarios; short: 2000
 *   BENCH_RATE_LIMIT=200   KMS_RATE_LIMIT of the rate-limit scenario (driven at twice that); short: 100
 *   BENCH_ROUNDS=3         interleaved rounds (KMS, echo, ...) of each target's scenario, the median reported; short: 1
 *   BENCH_ONLY=regex       run only the scenarios whose name matches
 *   BENCH_PROFILE=1        also record a --cpu-prof profile of the server during Encrypt 32 B over gRPC
 *                          (=api3 or =connect: over that protocol instead)
 */
import { availableParallelism } from "node:os";

export interface BenchConfig {
  short: boolean;
  durationS: number;
  warmupS: number;
  concurrency: number;
  connections: number;
  keys: number;
  /** Hosted data keys (ImportDataKey) in the store before the scenarios. */
  dataKeys: number;
  rateLimit: number;
  /** Interleaved rounds of a target's scenario (the median round is reported). */
  rounds: number;
  only: RegExp | undefined;
  /** Protocol of the Encrypt 32 B run to profile, if any. */
  profile: "grpc" | "connect" | "api3" | undefined;
  cores: number;
}

function num(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number in [${min}, ${max}], got "${raw}"`);
  return n;
}

function profileOf(raw: string | undefined): BenchConfig["profile"] {
  if (raw === undefined || raw === "" || raw === "0") return undefined;
  if (raw === "1" || raw === "grpc") return "grpc";
  if (raw === "api3" || raw === "connect") return raw;
  throw new Error(`BENCH_PROFILE must be 1, grpc, connect or api3, got "${raw}"`);
}

export function loadBenchConfig(): BenchConfig {
  const short = process.env["BENCH_SHORT"] === "1" || process.env["CI"] === "true";
  const only = process.env["BENCH_ONLY"];
  const concurrency = Math.round(num("BENCH_CONCURRENCY", 32, 1, 1024));
  return {
    short,
    durationS: num("BENCH_DURATION", short ? 0.3 : 3, 0.1, 300),
    warmupS: num("BENCH_WARMUP", short ? 0.1 : 0.5, 0, 60),
    concurrency,
    connections: Math.min(concurrency, Math.round(num("BENCH_CONNECTIONS", 4, 1, 256))),
    keys: Math.round(num("BENCH_KEYS", short ? 2_000 : 100_000, 0, 1_000_000)),
    dataKeys: Math.round(num("BENCH_DATA_KEYS", short ? 2_000 : 100_000, 0, 1_000_000)),
    rateLimit: Math.round(num("BENCH_RATE_LIMIT", short ? 100 : 200, 1, 100_000)),
    rounds: Math.round(num("BENCH_ROUNDS", short ? 1 : 3, 1, 15)),
    only: only ? new RegExp(only, "i") : undefined,
    profile: profileOf(process.env["BENCH_PROFILE"]),
    cores: availableParallelism(),
  };
}
