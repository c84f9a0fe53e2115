/**
 * A/B of server builds against the raw echo, interleaved: for each round and
 * scenario, the raw node:http2 gRPC echo (or the HTTP/1.1 + TC3 echo for
 * API 3.0), then every build, each with h2load at the same shape. Interleaving
 * spreads a shared machine's noise over all of them; the ratios to the echo of
 * the same round are the figures to compare. Not part of `npm run bench`.
 *
 *   npm run build && npx tsx bench/ab.ts                       this build alone, against the echo
 *   AB_BUILDS=dist/a,dist npx tsx bench/ab.ts                  two builds (copy an older dist/ to dist/a)
 *   AB_SCENARIOS=encrypt-32,decrypt-32,gdk AB_ROUNDS=5 AB_PROTOCOL=api3 ...
 *   AB_PROFILE=1                                               --cpu-prof each build (profiles in bench/results/)
 *   AB_NODE_ARGS_1="--max-semi-space-size=64"                  node flags for the second build only (a V8 setting's A/B: name one build twice)
 *   AB_ENV_1="GLIBC_TUNABLES=glibc.malloc.hugetlb=1"           environment for the second build only (K=V, space-separated)
 *
 * Shape from bench/config.ts (BENCH_DURATION, BENCH_WARMUP, BENCH_CONCURRENCY, BENCH_CONNECTIONS).
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { loadBenchConfig } from "./config.js";
import { h2load, type H2loadTarget, type LoadResult, type Shape } from "./load.js";
import { newCredentials, REPO, startEcho, startProcess, type Started } from "./processes.js";
import { topSelfTime } from "./profile.js";
import { scenarios, setup, type Scenario } from "./scenarios.js";
import { inWindow } from "./window.js";
import { GRPC_HEADERS, grpcFrame, tc3Headers, type Protocol } from "./wire.js";

const cfg = loadBenchConfig();
const builds = (process.env["AB_BUILDS"] ?? "dist").split(",").filter(Boolean);
const ids = (process.env["AB_SCENARIOS"] ?? "encrypt-32").split(",").filter(Boolean);
const rounds = Number(process.env["AB_ROUNDS"] ?? 3);
const protocol = (process.env["AB_PROTOCOL"] ?? "grpc") as Protocol;
const profile = process.env["AB_PROFILE"] === "1";
if (protocol !== "grpc" && protocol !== "api3") throw new Error("AB_PROTOCOL must be grpc or api3");

const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ab: ${msg}\n`);
const work = await mkdtemp(join(tmpdir(), "kms-ab-"));
const canned = join(work, "canned");
await mkdir(canned);
const credentials = newCredentials();
const rootKey = randomBytes(32).toString("base64");
const auth: Interceptor = (next) => (req) => {
  req.header.set("authorization", `Bearer ${credentials.token}`);
  return next(req);
};
const profileDir = join(REPO, "bench", "results", `ab-profile-${Date.now().toString(36)}`);

interface Server {
  name: string;
  process: Started;
  port: number;
  list: Scenario[];
}

/** A build's own environment (AB_ENV_<i>: K=V pairs, space-separated). */
function buildEnv(i: number): Record<string, string> {
  const pairs = (process.env[`AB_ENV_${i}`] ?? "").split(" ").filter(Boolean);
  return Object.fromEntries(pairs.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** How a build named twice is told apart: its node flags and environment. */
function variantOf(i: number): string {
  return [process.env[`AB_NODE_ARGS_${i}`]?.trim(), process.env[`AB_ENV_${i}`]?.trim()].filter(Boolean).join(" ");
}

function startBuild(dir: string, i: number): Promise<Started> {
  const nodeArgs = profile ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, dir.replace(/\W/g, "_"))}`] : [];
  nodeArgs.push(...(process.env[`AB_NODE_ARGS_${i}`]?.split(" ").filter(Boolean) ?? []));
  return startProcess(
    resolve(dir, "main.js"), // the caller's dist/, wherever this file lives
    {
      KMS_DATA_DIR: join(work, `data-${i}`),
      KMS_GRPC_ADDR: "127.0.0.1:0",
      KMS_HTTP_ADDR: "127.0.0.1:0",
      KMS_ROOT_KEY: rootKey,
      KMS_ROOT_SECRET_ID: credentials.secretId,
      KMS_ROOT_SECRET_KEY: credentials.secretKey,
      KMS_ROOT_TOKEN: credentials.token,
      KMS_RATE_LIMIT: "0",
      KMS_SWEEP_INTERVAL_MS: "3600000",
      ...buildEnv(i),
    },
    { h2c: /\(h2c\) listening on 127\.0\.0\.1:(\d+)/, http: /\(HTTP\/1\.1\) listening on 127\.0\.0\.1:(\d+)/ },
    join(work, `kms-${i}.log`),
    nodeArgs,
  );
}

function target(s: Scenario, port: number, echo: boolean): H2loadTarget {
  const extra: Record<string, string> = echo ? { "bench-reply": s.id } : {};
  if (protocol === "api3") {
    const body = JSON.stringify(s.api);
    return { url: `http://127.0.0.1:${port}/`, headers: { ...tc3Headers(s.action, body, `127.0.0.1:${port}`, credentials.secretId, credentials.secretKey, Date.now(), s.product), ...extra }, body: Buffer.from(body), h1: true };
  }
  return { url: `http://127.0.0.1:${port}/${s.method.parent.typeName}/${s.method.name}`, headers: { ...GRPC_HEADERS, authorization: `Bearer ${credentials.token}`, ...extra }, body: grpcFrame(s.request), h1: false };
}

const servers: Server[] = [];
const echo = await startEcho(canned, credentials, join(work, "echo.log"));
try {
  for (const [i, dir] of builds.entries()) {
    const p = await startBuild(dir, i);
    const port = (protocol === "api3" ? p.ports["http"] : p.ports["h2c"]) ?? 0;
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${p.ports["h2c"]}`, interceptors: [auth] });
    const list = scenarios(await setup(transport, `ab${i}`), `ab${i}`).filter((s) => ids.includes(s.id));
    // A build named twice (a V8 or malloc setting's A/B) is told apart by its node flags and environment.
    servers.push({ name: builds.indexOf(dir) === i ? dir : `${dir} [${variantOf(i) || `#${i}`}]`, process: p, port, list });
    if (i === 0) {
      // The echo's canned answers: real answers of the first build, through a real client.
      for (const s of list) {
        const res = await transport.unary(s.method, undefined, 30_000, undefined, fromBinary(s.method.input, s.request));
        const bin = toBinary(s.method.output as DescMessage, res.message);
        await writeFile(join(canned, `${s.id}.bin`), bin);
        const json = await fetchApi3(s, p.ports["http"] ?? 0);
        await writeFile(join(canned, `${s.id}.json`), json);
      }
    }
  }
  const shape = (s: Scenario): Shape => ({ concurrency: s.concurrency ?? cfg.concurrency, connections: Math.min(cfg.connections, s.concurrency ?? cfg.concurrency), durationS: cfg.durationS, warmupS: cfg.warmupS });
  type Sample = { rps: number; usPerCall: number; errors: number };
  const results = new Map<string, Sample[]>();
  const add = (key: string, load: LoadResult, cpuS: number) => {
    const list = results.get(key) ?? [];
    list.push({ rps: load.rps, usPerCall: (cpuS / load.requests) * 1e6, errors: load.errors });
    results.set(key, list);
  };
  const echoPort = (protocol === "api3" ? echo.ports["gateway"] : echo.ports["raw"]) ?? 0;
  for (let r = 0; r < rounds; r++) {
    for (const id of ids) {
      const first = servers[0]?.list.find((s) => s.id === id);
      if (!first) throw new Error(`no scenario ${id}`);
      const e = await inWindow([echo.pid], cfg.warmupS, () => h2load(target(first, echoPort, true), shape(first), join(work, "echo")));
      add(`${id}|echo`, e.result, e.window.cpuS[0] ?? NaN);
      for (const server of servers) {
        const s = server.list.find((x) => x.id === id);
        if (!s) continue;
        const m = await inWindow([server.process.pid], cfg.warmupS, () => h2load(target(s, server.port, false), shape(s), join(work, "kms")));
        add(`${id}|${server.name}`, m.result, m.window.cpuS[0] ?? NaN);
      }
      // Each round's figures, so a paired comparison (build against build in the same round) can be read off the log.
      const last = (name: string) => results.get(`${id}|${name}`)?.at(-1);
      const figures = ["echo", ...servers.map((s) => s.name)].map((name) => `${name} ${last(name)?.rps.toFixed(0)}/s ${last(name)?.usPerCall.toFixed(0)} µs`);
      log(`round ${r + 1}/${rounds} ${id}: ${figures.join(", ")}`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const span = (xs: number[], d = 0) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
  console.log(`${protocol}, c=${cfg.concurrency} over ${cfg.connections} connections, ${cfg.durationS} s after ${cfg.warmupS} s, ${rounds} rounds interleaved`);
  console.log(["scenario", "server", "req/s (median, range)", "cpu µs/call", "ratio to echo (per round)", "errors"].join(" | "));
  for (const id of ids) {
    const e = results.get(`${id}|echo`) ?? [];
    console.log([id, "echo", `${median(e.map((x) => x.rps)).toFixed(0)} (${span(e.map((x) => x.rps))})`, `${median(e.map((x) => x.usPerCall)).toFixed(0)} (${span(e.map((x) => x.usPerCall))})`, "", String(e.reduce((n, x) => n + x.errors, 0))].join(" | "));
    for (const server of servers) {
      const m = results.get(`${id}|${server.name}`) ?? [];
      const ratios = m.map((x, i) => x.rps / (e[i]?.rps ?? NaN));
      const cpuRatios = m.map((x, i) => x.usPerCall / (e[i]?.usPerCall ?? NaN));
      console.log(
        [
          id,
          server.name,
          `${median(m.map((x) => x.rps)).toFixed(0)} (${span(m.map((x) => x.rps))})`,
          `${median(m.map((x) => x.usPerCall)).toFixed(0)} (${span(m.map((x) => x.usPerCall))}), ×${median(cpuRatios).toFixed(2)} echo`,
          `${median(ratios).toFixed(2)} (${span(ratios, 2)})`,
          String(m.reduce((n, x) => n + x.errors, 0)),
        ].join(" | "),
      );
    }
  }
} finally {
  for (const s of servers) await s.process.stop();
  await echo.stop();
  await rm(work, { recursive: true, force: true });
}
if (profile) {
  for (const dir of await readdir(profileDir)) {
    const files = await readdir(join(profileDir, dir));
    const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(join(profileDir, dir, f))).size })));
    const main = sized.sort((a, b) => b.size - a.size)[0];
    if (!main) continue;
    console.log(`\nprofile of ${dir}: ${join(profileDir, dir, main.f)}`);
    for (const t of topSelfTime(join(profileDir, dir, main.f), 30)) console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.fn}  ${t.where}`);
  }
}

/** The API 3.0 Response of one real call, without its RequestId (the echo adds a fresh one). */
async function fetchApi3(s: Scenario, port: number): Promise<string> {
  const body = JSON.stringify(s.api);
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: tc3Headers(s.action, body, `127.0.0.1:${port}`, credentials.secretId, credentials.secretKey, Date.now(), s.product), body });
  const { Response: response } = (await res.json()) as { Response: Record<string, unknown> };
  delete response["RequestId"];
  return JSON.stringify(response);
}
