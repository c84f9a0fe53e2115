/**
 * Load generation. The default driver is h2load (nghttp2-client, C, one
 * thread), which replays one pre-encoded body and leaves the server's cores
 * alone. Where every request must differ (CreateKey needs a fresh alias) or
 * the rate must be paced, a lean node:http2 / node:http client does it.
 * Every loop is bounded by a deadline and a request cap.
 */
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";

const MAX_REQUESTS = 50_000_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface LoadResult {
  driver: "h2load" | "node";
  /** Requests completed in the measured window. */
  requests: number;
  /** Of those, failed ones: transport errors, non-2xx, or (node driver) an error answer. */
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Response body bytes received in the measured window (h2load only). */
  dataBytes: number;
  /** Wall seconds of the whole run, warm-up included (for CPU accounting). */
  wallS: number;
  /** Error codes seen (node driver), with counts. */
  codes: Record<string, number>;
}

export interface Shape {
  concurrency: number;
  connections: number;
  durationS: number;
  warmupS: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

// ---------------------------------------------------------------------------
// h2load
// ---------------------------------------------------------------------------

export interface H2loadTarget {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  /** HTTP/1.1 (one request in flight per connection) instead of h2c. */
  h1: boolean;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function h2loadAvailable(): Promise<boolean> {
  try {
    await run("h2load", ["--version"], 5_000);
    return true;
  } catch {
    return false;
  }
}

function grab(re: RegExp, text: string): number {
  const m = re.exec(text);
  if (!m?.[1]) throw new Error(`h2load output not understood (${re.source}):\n${text}`);
  return Number(m[1]);
}

/** Runs h2load against one target; latencies come from its per-request log. */
export async function h2load(target: H2loadTarget, shape: Shape, scratch: string): Promise<LoadResult> {
  const bodyFile = `${scratch}.body`;
  const logFile = `${scratch}.log`;
  await writeFile(bodyFile, target.body);
  const ms = (s: number) => `${Math.max(1, Math.round(s * 1000))}ms`;
  const args = [target.url, "-t", "1", "-d", bodyFile, "--log-file", logFile, "-D", ms(shape.durationS)];
  if (shape.warmupS > 0) args.push("--warm-up-time", ms(shape.warmupS));
  if (target.h1) args.push("--h1", "-c", String(shape.concurrency), "-m", "1");
  else args.push("-c", String(shape.connections), "-m", String(Math.ceil(shape.concurrency / shape.connections)));
  for (const [k, v] of Object.entries(target.headers)) args.push("-H", `${k}: ${v}`);
  const started = performance.now();
  const out = await run("h2load", args, (shape.durationS + shape.warmupS) * 1000 + 60_000);
  const wallS = (performance.now() - started) / 1000;

  const done = grab(/requests: \d+ total, \d+ started, (\d+) done/, out);
  // h2load counts as succeeded the requests closed with a 2xx in the measured window.
  const succeeded = grab(/(\d+) succeeded/, out);
  const dataBytes = grab(/headers \(space savings [^)]*\), [^(]*\((\d+)\) data/, out);
  // One line per request: start (µs since epoch), status, duration (µs). Warm-up requests are not
  // logged; status 0 marks a request cut off by the end of the run (h2load does not count it as done).
  const lines = (await readFile(logFile, "utf8")).split("\n");
  const latencies = new Float64Array(lines.length);
  let n = 0;
  for (const line of lines) {
    const [, status, micros] = line.split("\t");
    if (micros !== undefined && status !== "0") latencies[n++] = Number(micros) / 1000;
  }
  const sorted = latencies.subarray(0, n).sort();
  await Promise.all([rm(bodyFile, { force: true }), rm(logFile, { force: true })]);
  return {
    driver: "h2load",
    requests: done,
    errors: done - succeeded,
    rps: done / shape.durationS,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    dataBytes,
    wallS,
    codes: {},
  };
}

// ---------------------------------------------------------------------------
// Lean Node clients
// ---------------------------------------------------------------------------

export interface Answer {
  status: number;
  /** Headers, and for HTTP/2 the trailers merged in. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Client {
  request(path: string, headers: Readonly<Record<string, string>>, body: Buffer): Promise<Answer>;
  close(): void;
}

function flatten(h: http.IncomingHttpHeaders | http2.IncomingHttpHeaders, into: Record<string, string>): void {
  for (const [k, v] of Object.entries(h)) if (v !== undefined) into[k] = Array.isArray(v) ? v.join(",") : String(v);
}

/** HTTP/2 without TLS over `connections` sessions, round-robin. */
export function h2Client(origin: string, connections: number): Client {
  const sessions = Array.from({ length: connections }, () => http2.connect(origin));
  for (const s of sessions) s.on("error", () => {});
  let next = 0;
  return {
    request(path, headers, body) {
      const session = sessions[next++ % sessions.length] as http2.ClientHttp2Session;
      return new Promise((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": path, ...headers });
        stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        const out: Record<string, string> = {};
        const chunks: Buffer[] = [];
        let status = 0;
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          flatten(h, out);
        });
        stream.on("trailers", (t) => flatten(t, out));
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve({ status, headers: out, body: Buffer.concat(chunks) }));
        stream.on("error", reject);
        stream.end(body);
      });
    },
    close() {
      for (const s of sessions) s.close();
    },
  };
}

/** HTTP/1.1 with keep-alive, up to `sockets` connections. */
export function h1Client(origin: string, sockets: number): Client {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return {
    request(path, headers, body) {
      return new Promise((resolve, reject) => {
        const req = http.request(new URL(path, origin), { method: "POST", agent, headers: { ...headers, "content-length": String(body.length) }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const out: Record<string, string> = {};
            flatten(res.headers, out);
            resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
          });
          res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** One request of a load run: resolves with undefined on success, else an error code. */
export type Send = (i: number) => Promise<string | undefined>;

/** Closed loop: `concurrency` workers send back to back until the deadline. */
export async function closedLoop(send: Send, shape: Shape): Promise<LoadResult> {
  const started = performance.now();
  const measureFrom = started + shape.warmupS * 1000;
  const deadline = measureFrom + shape.durationS * 1000;
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const worker = async () => {
    while (issued < MAX_REQUESTS) {
      const t0 = performance.now();
      if (t0 >= deadline) return;
      let code: string | undefined;
      try {
        code = await send(issued++);
      } catch (err) {
        code = `transport: ${(err as Error).message}`;
      }
      const t1 = performance.now();
      if (t0 < measureFrom || t1 > deadline) continue;
      latencies.push(t1 - t0);
      if (code !== undefined) {
        errors++;
        codes[code] = (codes[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, worker));
  const sorted = Float64Array.from(latencies).sort();
  return {
    driver: "node",
    requests: latencies.length,
    errors,
    rps: latencies.length / shape.durationS,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    dataBytes: 0,
    wallS: (performance.now() - started) / 1000,
    codes,
  };
}

/** Open loop at a fixed rate for `durationS`; counts answers by code ("ok" for success). */
export async function pacedLoop(send: Send, ratePerSecond: number, durationS: number): Promise<{ sent: number; codes: Record<string, number> }> {
  const codes: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.min(MAX_REQUESTS, Math.round(ratePerSecond * durationS));
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerSecond) + 1);
    for (; sent < due; sent++) {
      pending.push(
        send(sent).then(
          (code) => void (codes[code ?? "ok"] = (codes[code ?? "ok"] ?? 0) + 1),
          (err: unknown) => void (codes[`transport: ${(err as Error).message}`] = (codes[`transport: ${(err as Error).message}`] ?? 0) + 1),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  return { sent, codes };
}
