/**
 * What a call costs past HTTP/2: the real core in process (LevelDB in a temp
 * dir, the pipeline, the families, the audit log), driven the way the gRPC
 * transport drives it (credentials from the header, strict decode of the
 * request bytes, encode of the answer), `concurrency` calls in flight. Prints
 * CPU µs per call of this process (all threads) and calls per second. Not a
 * test and not part of `npm run bench`; run by hand for an A/B of a change
 * without the noise of a second process and a load generator:
 *
 *   npx tsx bench/core-cost.ts [encrypt|decrypt|gdk|describe] [seconds] [rounds] [session|nosession]
 *
 * `nosession` verifies the bearer token on every call (as over HTTP/1.1); by
 * default the calls share one HTTP/2 session's remembered token.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { DataKeySpec, KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { openCore } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { decodeBinary } from "../src/contract/decode.js";
import type { Logger } from "../src/log.js";
import { frameMessage } from "../src/transport/grpc/framing.js";
import { credentialsOf, peerOf } from "../src/transport/http/peer.js";
import { processCpuSeconds } from "./window.js";

const scenario = process.argv[2] ?? "encrypt";
const seconds = Number(process.argv[3] ?? 2);
const rounds = Number(process.argv[4] ?? 3);
const CONCURRENCY = 32;

const dataDir = await mkdtemp(join(tmpdir(), "kms-core-cost-"));
const token = `root-${randomBytes(24).toString("base64url")}`;
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (m, err) => console.error(m, err) };
const config = loadConfig({ KMS_DATA_DIR: dataDir, KMS_ROOT_KEY: randomBytes(32).toString("base64"), KMS_ROOT_TOKEN: token, KMS_SWEEP_INTERVAL_MS: "3600000", KMS_RATE_LIMIT: "0", KMS_RPC_RATE_LIMIT: "0" });
const core = await openCore(config, { log: quiet });
const pipeline = core.pipeline;
const m = KeyManagementService.method;
const authorization = `Bearer ${token}`;
// One connection's peer, as node:http2 gives one socket per session, and that session.
const peer = peerOf(undefined);
const session = process.argv[5] === "nosession" ? undefined : {};

async function call(method: (typeof m)[keyof typeof m], body: Uint8Array): Promise<Uint8Array> {
  const served = await pipeline.serve("grpc", peer.source, async (c) => {
    const route = pipeline.routes.byGrpcPath(`/${method.parent.typeName}/${method.name}`);
    if (!route) throw new Error(`no route for ${method.name}`);
    pipeline.setRoute(c, route);
    pipeline.identify(c, credentialsOf(authorization, peer, session));
    return decodeBinary(route.method.input, body);
  });
  if (!served.ok) throw new Error(`${served.outcome.code}: ${served.outcome.message}`);
  return frameMessage(served.route.method.output as DescMessage, served.output as never).subarray(5);
}

const encode = <I extends DescMessage>(schema: I, init: Parameters<typeof create<I>>[1]) => toBinary(schema, create(schema, init));
const created = await call(m.createKey, encode(m.createKey.input, { alias: "cost" }));
const keyId = (await import("@bufbuild/protobuf")).fromBinary(m.createKey.output, created).keyId;
const encrypted = (await import("@bufbuild/protobuf")).fromBinary(m.encrypt.output, await call(m.encrypt, encode(m.encrypt.input, { keyId, plaintext: Buffer.alloc(32, 1) }))).ciphertextBlob;
const requests = {
  encrypt: [m.encrypt, encode(m.encrypt.input, { keyId, plaintext: Buffer.alloc(32, 1) })],
  decrypt: [m.decrypt, encode(m.decrypt.input, { ciphertextBlob: encrypted })],
  gdk: [m.generateDataKey, encode(m.generateDataKey.input, { keyId, keySpec: DataKeySpec.AES_256 })],
  describe: [m.describeKey, encode(m.describeKey.input, { keyId })],
} as const;
const chosen = requests[scenario as keyof typeof requests];
if (!chosen) throw new Error(`scenario must be one of ${Object.keys(requests).join(", ")}`);
const [method, body] = chosen;

for (let r = 0; r < rounds + 1; r++) {
  const cpu0 = processCpuSeconds(process.pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await call(method, body);
        n++;
      }
    }),
  );
  await core.domain.audit.flush();
  const cpu = processCpuSeconds(process.pid) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  // The first round warms up (JIT, caches) and is not reported.
  if (r > 0) console.log(`${scenario}: ${((cpu / n) * 1e6).toFixed(1)} µs CPU/call, ${(n / wall).toFixed(0)} calls/s`);
}
await pipeline.idle();
await core.close();
await rm(dataDir, { recursive: true, force: true });
