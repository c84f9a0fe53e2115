/**
 * What the metrics cost on the Encrypt path, in process: two cores from
 * test/helpers/in-process.ts, one with metrics on (KMS_METRICS_ADDR set: call
 * observer, timed store and audit commits, counted worker pool) and one
 * without, driven alternately in rounds of Encrypt calls (32 in flight).
 * Prints the median time per call of each and their ratio.
 *
 *   npx tsx bench/observer-cost.ts [rounds] [calls-per-round]
 */
import { performance } from "node:perf_hooks";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import type { Credentials } from "../src/pipeline/credentials.js";
import { callMethod, expectOk, openInProcess, type InProcess } from "../test/helpers/in-process.js";

const rounds = Number(process.argv[2] ?? 12);
const perRound = Number(process.argv[3] ?? 4000);
const inFlight = 32;

async function prepare(env: Record<string, string>): Promise<{ kms: InProcess; run: () => Promise<number> }> {
  const kms = await openInProcess(env);
  const root: Credentials = { kind: "token", token: kms.token };
  const { keyId } = await expectOk<{ keyId: string }>(callMethod(kms.core.pipeline, KeyManagementService.method.createKey, { alias: "cost" }, root));
  const plaintext = new Uint8Array(32);
  const one = () => expectOk(callMethod(kms.core.pipeline, KeyManagementService.method.encrypt, { keyId, plaintext }, root));
  const run = async () => {
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next++ < perRound) await one();
    }));
    return ((performance.now() - start) * 1000) / perRound;
  };
  return { kms, run };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const off = await prepare({});
const on = await prepare({ KMS_METRICS_ADDR: "127.0.0.1:0" });
if (!on.kms.core.metrics || off.kms.core.metrics) throw new Error("metrics should be on in one core only");
await off.run();
await on.run(); // warm-up
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first, so drift in the machine's load hits both alike.
  if (i % 2 === 0) {
    a.push(await off.run());
    b.push(await on.run());
  } else {
    b.push(await on.run());
    a.push(await off.run());
  }
}
const text = await on.kms.core.metrics!.render();
const counted = /kms_calls_total\{action="kms:Encrypt",transport="grpc",code="Success"\} (\d+)/.exec(text)?.[1];
console.log(`Encrypt in process, ${rounds} rounds × ${perRound} calls, ${inFlight} in flight`);
console.log(`  metrics off: median ${median(a).toFixed(2)} µs/call (rounds ${a.map((x) => x.toFixed(1)).join(" ")})`);
console.log(`  metrics on:  median ${median(b).toFixed(2)} µs/call (rounds ${b.map((x) => x.toFixed(1)).join(" ")})`);
console.log(`  cost: ${(median(b) - median(a)).toFixed(2)} µs/call, ${(((median(b) - median(a)) / median(a)) * 100).toFixed(1)}%; Encrypt calls counted: ${counted}`);
await off.kms.dispose();
await on.kms.dispose();
