/**
 * 9. Attacks of the security review (issue #13) against the real process, as
 * an outsider would mount them, with figures:
 * - memory exhaustion without credentials: many HTTP/2 sessions, each with as
 *   many streams as the server allows, sending large Connect bodies that never
 *   finish — the server must answer from the headers, stay bounded in memory,
 *   and keep answering another client;
 * - descriptor exhaustion: connections that send only the HTTP/2 preface —
 *   closed after the idle timeout, the connection limit holds, /healthz on the
 *   other port keeps answering;
 * - API 3.0 replay and repurposing of a captured request from another address;
 * - an audit flood without credentials stays bounded.
 */
import http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { rm } from "node:fs/promises";
import { request } from "node:http";
import type { Mode } from "./mode.js";
import { Recorder, type ScenarioResult } from "./lib/report.js";
import { newIdentity, startServer, type KmsProcess } from "./lib/server.js";
import { tc3Headers } from "../helpers/tencent.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One API 3.0 call (hand-signed headers as captured), from a chosen local address. */
function send(port: number, headers: Record<string, string>, body: string, localAddress = "127.0.0.1"): Promise<{ code: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", localAddress, headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Response: { Error?: { Code: string } } & Record<string, unknown> };
        resolve({ code: parsed.Response.Error?.Code, body: parsed.Response });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function healthLatencyMs(p: KmsProcess): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${p.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return res?.ok ? performance.now() - t0 : Infinity;
}

/** Opens `sessions` HTTP/2 sessions and starts as many unauthenticated Connect streams as each allows, each sending `bodyBytes` and never ending. */
async function bodyFlood(p: KmsProcess, sessions: number, bodyBytes: number): Promise<{ answered(): number; streams: number; close(): void }> {
  const opened: http2.ClientHttp2Session[] = [];
  let answered = 0;
  let streams = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  for (let s = 0; s < sessions; s++) {
    const session = http2.connect(p.grpcUrl);
    session.on("error", () => undefined);
    await new Promise((r) => session.once("remoteSettings", r));
    opened.push(session);
    const max = Math.min(session.remoteSettings.maxConcurrentStreams ?? 100, 1000);
    for (let i = 0; i < max; i++) {
      const stream = session.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/Encrypt", "content-type": "application/json" });
      stream.on("error", () => undefined);
      stream.once("response", () => answered++);
      streams++;
      for (let sent = 0; sent < bodyBytes; sent += chunk.length) stream.write(chunk);
    }
  }
  return { answered: () => answered, streams, close: () => opened.forEach((s) => s.destroy()) };
}

export async function attacksScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("attacks");
  const id = await newIdentity();
  const idleMs = 1000;
  const p = await startServer(id, { KMS_IDLE_TIMEOUT_MS: String(idleMs), KMS_MAX_CONNECTIONS: "512", KMS_REQUEST_TIMEOUT_MS: "3000" });
  try {
    const rssBefore = (await p.rssKb()) ?? 0;

    // 1. Memory: unauthenticated bodies are refused from the headers.
    const sessions = mode.short ? 4 : 8;
    const flood = await bodyFlood(p, sessions, 960 * 1024);
    await sleep(1500);
    const rssDuring = (await p.rssKb()) ?? 0;
    const healthDuring = await healthLatencyMs(p);
    rec.figure("unauthenticated streams with 960 KiB bodies", flood.streams);
    rec.figure("of them answered from the headers", flood.answered());
    rec.figure("RSS before / during (MB)", `${(rssBefore / 1024).toFixed(0)} / ${(rssDuring / 1024).toFixed(0)}`);
    rec.check("every unauthenticated stream is answered without its body", flood.answered() === flood.streams, `${flood.answered()} of ${flood.streams}`);
    rec.check("memory stays bounded under the body flood (growth < 200 MB)", rssDuring - rssBefore < 200 * 1024, `${((rssDuring - rssBefore) / 1024).toFixed(0)} MB`);
    rec.check("another client is answered during the flood", healthDuring < 2000, `${healthDuring.toFixed(0)} ms`);
    flood.close();

    // 2. Descriptors: preface-only connections are closed after the idle timeout.
    const n = mode.short ? 300 : 2000;
    const sockets: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < n; i++) {
      const s = connect(p.grpcPort, "127.0.0.1");
      s.on("error", () => undefined);
      s.once("connect", () => s.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
      s.once("close", () => closedByServer++);
      s.on("data", () => undefined);
      sockets.push(s);
    }
    await sleep(300);
    const healthIdle = await healthLatencyMs(p);
    await sleep(idleMs + 2500);
    rec.figure("preface-only connections opened", n);
    rec.figure("closed by the server within idle timeout + 2.5 s", closedByServer);
    rec.check("idle preface-only connections are closed", closedByServer === n, `${closedByServer} of ${n}`);
    rec.check("/healthz answers while they are open", healthIdle < 2000, `${healthIdle.toFixed(0)} ms`);
    for (const s of sockets) s.destroy();

    // 3. API 3.0: a captured DescribeKey repurposed as DisableKey from another address.
    const host = `127.0.0.1:${p.httpPort}`;
    const created = await send(p.httpPort, tc3Headers({ action: "CreateKey", body: '{"Alias":"attack-replay"}', secretId: id.secretId, secretKey: id.secretKey, host }), '{"Alias":"attack-replay"}');
    const keyId = String(created.body.KeyId);
    const body = JSON.stringify({ KeyId: keyId });
    const captured = tc3Headers({ action: "DescribeKey", body, secretId: id.secretId, secretKey: id.secretKey, host });
    await send(p.httpPort, captured, body);
    const replays = await Promise.all(["DisableKey", "ArchiveKey", "ScheduleKeyDeletion"].map((action) => send(p.httpPort, { ...captured, "X-TC-Action": action }, body, "127.0.0.2")));
    const describe = await send(p.httpPort, tc3Headers({ action: "DescribeKey", body: `${body} `, secretId: id.secretId, secretKey: id.secretKey, host }), `${body} `);
    const state = (describe.body.KeyMetadata as { KeyState?: string } | undefined)?.KeyState;
    rec.check("a captured signature repurposed from another address is refused, and the key is unchanged", replays.every((r) => r.code === "AuthFailure.SignatureFailure") && state === "Enabled", `${replays.map((r) => r.code).join(", ")}; state ${state}`);

    // 4. Audit flood without credentials: bounded events.
    const t0 = Date.now();
    await Promise.all(Array.from({ length: mode.short ? 500 : 5000 }, () => fetch(`${p.httpUrl}/kms.v1.KeyManagementService/ListKeys`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => r.status, () => 0)));
    const seconds = Math.max(1, (Date.now() - t0) / 1000);
    rec.figure("unauthenticated calls in the audit flood", mode.short ? 500 : 5000);
    rec.figure("flood duration (s)", seconds.toFixed(1));
    rec.check("the process stays up", p.alive());
  } finally {
    await p.stop();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  return rec.result();
}
