/**
 * 5. Load held: 64 concurrent clients (48 over gRPC, each its own HTTP/2
 * connection; 16 through the official Tencent SDK on the API 3.0 gateway) for
 * the configured time, mixed Encrypt / Decrypt / GenerateDataKey / DescribeKey
 * / CreateKey. Zero unexpected errors; server RSS flat after warm-up.
 */
import { rm } from "node:fs/promises";
import { tencentKms } from "../helpers/tencent.js";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, dec, enc, outcome } from "./lib/rpc.js";
import { newIdentity, pick, rnd, sleep, startServer } from "./lib/server.js";
import type { Mode } from "./mode.js";

type Op = "Encrypt" | "Decrypt" | "GenerateDataKey" | "DescribeKey" | "CreateKey";

function chooseOp(): Op {
  const r = rnd(100);
  return r < 30 ? "Encrypt" : r < 60 ? "Decrypt" : r < 78 ? "GenerateDataKey" : r < 98 ? "DescribeKey" : "CreateKey";
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function loadScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("load");
  const id = await newIdentity();
  const server = await startServer(id);
  const errors = new Tally();
  const ops = new Tally();
  const latencies: number[] = [];
  const samples: { t: number; rssMb: number }[] = [];
  const seconds = mode.loadSeconds;
  const clientsN = mode.loadClients;
  const sdkN = Math.floor(clientsN / 4);
  let wrong = 0;
  try {
    const admin = clientsFor(server);
    const keys: string[] = [];
    for (let i = 0; i < 16; i++) keys.push((await admin.grpc.createKey({ alias: `load-${i}` }, CALL)).keyId);
    let created = 0;
    const start = Date.now();
    const end = start + seconds * 1000;
    const sampler = (async () => {
      // Twenty samples over the run (at least every 100 ms), so a short run still has a steady window to judge.
      const every = Math.max(100, Math.min(1000, (seconds * 1000) / 20));
      for (let i = 0; i < 10_000 && Date.now() < end + every; i++) {
        const kb = await server.rssKb();
        if (kb !== undefined) samples.push({ t: Math.round((Date.now() - start) / 100) / 10, rssMb: Math.round(kb / 102.4) / 10 });
        await sleep(every);
      }
    })();

    const grpcClient = async (w: number) => {
      const cl = clientsFor(server);
      const c = cl.grpc;
      const mine: { blob: Uint8Array; pt: string; ctx: string }[] = [];
      try {
        for (let i = 0; i < 10_000_000 && Date.now() < end; i++) {
          const op = chooseOp();
          const keyId = pick(keys);
          const t0 = performance.now();
          let r;
          if (op === "Encrypt" || (op === "Decrypt" && mine.length === 0)) {
            const pt = `w${w}-${i}-${"x".repeat(rnd(512))}`;
            const ctx = rnd(2) ? "" : JSON.stringify({ w: String(w), i: String(i) });
            r = await outcome(c.encrypt({ keyId, plaintext: enc(pt), encryptionContext: ctx }, CALL));
            if (r.ok) {
              mine.push({ blob: r.value.ciphertextBlob, pt, ctx });
              if (mine.length > 32) mine.shift();
            }
          } else if (op === "Decrypt") {
            const b = pick(mine);
            r = await outcome(c.decrypt({ ciphertextBlob: b.blob, encryptionContext: b.ctx }, CALL));
            if (r.ok && dec(r.value.plaintext) !== b.pt) wrong++;
          } else if (op === "GenerateDataKey") r = await outcome(c.generateDataKey({ keyId, numberOfBytes: 32 }, CALL));
          else if (op === "DescribeKey") r = await outcome(c.describeKey({ keyId }, CALL));
          else {
            r = await outcome(c.createKey({ alias: `load-w${w}-${i}` }, CALL));
            if (r.ok) created++;
          }
          latencies.push(performance.now() - t0);
          ops.add(op);
          if (!r.ok) errors.add(`grpc ${op}: ${r.code}`);
        }
      } finally {
        cl.close();
      }
    };

    const sdkClient = async (w: number) => {
      const c = tencentKms(server.httpUrl, id.secretId, id.secretKey);
      const mine: { blob: string; pt: string }[] = [];
      for (let i = 0; i < 10_000_000 && Date.now() < end; i++) {
        const op = chooseOp();
        const keyId = pick(keys);
        const t0 = performance.now();
        try {
          if (op === "Encrypt" || (op === "Decrypt" && mine.length === 0)) {
            const pt = `sdk${w}-${i}`;
            const r = await c.Encrypt({ KeyId: keyId, Plaintext: Buffer.from(pt).toString("base64") });
            mine.push({ blob: r.CiphertextBlob ?? "", pt });
            if (mine.length > 32) mine.shift();
          } else if (op === "Decrypt") {
            const b = pick(mine);
            const r = await c.Decrypt({ CiphertextBlob: b.blob });
            if (Buffer.from(r.Plaintext ?? "", "base64").toString() !== b.pt) wrong++;
          } else if (op === "GenerateDataKey") await c.GenerateDataKey({ KeyId: keyId, NumberOfBytes: 32 });
          else if (op === "DescribeKey") await c.DescribeKey({ KeyId: keyId });
          else {
            await c.CreateKey({ Alias: `load-sdk${w}-${i}` });
            created++;
          }
        } catch (err) {
          errors.add(`sdk ${op}: ${(err as { code?: string }).code ?? (err as Error).message.slice(0, 60)}`);
        }
        latencies.push(performance.now() - t0);
        ops.add(op);
      }
    };

    await Promise.all([...Array.from({ length: clientsN - sdkN }, (_, w) => grpcClient(w)), ...Array.from({ length: sdkN }, (_, w) => sdkClient(w))]);
    const elapsed = (Date.now() - start) / 1000;
    await sampler;
    const alive = server.alive();
    const st = await outcome(admin.grpc.getServiceStatus({}, CALL));
    admin.close();

    // RSS: flat after warm-up (first quarter, at least 1 s): last third vs first third of the rest.
    const warm = Math.max(1, seconds / 4);
    const steady = samples.filter((s) => s.t >= warm);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const mean = (xs: { rssMb: number }[]) => xs.reduce((a, s) => a + s.rssMb, 0) / Math.max(1, xs.length);
    const first = mean(steady.slice(0, third));
    const last = mean(steady.slice(-third));
    const growthMb = last - first;
    const flat = steady.length >= 3 && (growthMb <= 32 || last <= first * 1.2);
    latencies.sort((a, b) => a - b);

    rec.check("the process stays up under load", alive && st.ok);
    rec.check("zero unexpected errors under load", errors.total() === 0, JSON.stringify(errors.toObject()));
    rec.check("every decrypt returns the plaintext", wrong === 0, `${wrong} wrong`);
    rec.check("server RSS flat after warm-up (growth ≤ 32 MB or ≤ 20 %)", flat, `${first.toFixed(1)} MB → ${last.toFixed(1)} MB over ${steady.length} samples`);
    rec.figure("clients (gRPC + SDK)", `${clientsN - sdkN} + ${sdkN}`);
    rec.figure("seconds", Math.round(elapsed * 10) / 10);
    rec.figure("operations", ops.total());
    rec.figure("ops/s", Math.round(ops.total() / elapsed));
    rec.figure("latency p50 / p99 / max (ms)", `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} / ${(latencies[latencies.length - 1] ?? 0).toFixed(1)}`);
    rec.figure("keys created", created);
    rec.figure("errors", errors.total());
    rec.figure("RSS after warm-up → end (MB)", `${first.toFixed(1)} → ${last.toFixed(1)}`);
    rec.figure("RSS samples (MB)", samples.map((s) => s.rssMb).join(" "));
    rec.data.rssSamples = samples;
    rec.data.operations = ops.toObject();
    rec.data.errors = errors.toObject();
  } finally {
    if (server.alive()) await server.stop();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  return rec.result();
}
