/**
 * The in-process tier: the real core (LevelDB in a temp dir, the families,
 * the call pipeline) without listeners, driven through `pipeline.serve` as a
 * transport would, so a test of the pipeline or of an action's rules costs
 * milliseconds instead of a server start.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import { openCore, type KmsCore } from "../../src/app.js";
import { ManualClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import type { Logger } from "../../src/log.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import type { CallPipeline, Served } from "../../src/pipeline/pipeline.js";
import type { Transport } from "../../src/audit/event.js";

export interface InProcess {
  core: KmsCore;
  clock: ManualClock;
  token: string;
  /** Everything the core logged, one string per line. */
  logged: string[];
  dispose(): Promise<void>;
}

export async function openInProcess(env: Record<string, string> = {}): Promise<InProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "kms-core-"));
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const token = `root-${randomBytes(24).toString("base64url")}`;
  const logged: string[] = [];
  const log: Logger = {
    info: (m) => logged.push(m),
    warn: (m) => logged.push(m),
    error: (m, err) => logged.push(err instanceof Error ? `${m}: ${err.message}` : m),
  };
  const config = loadConfig({ KMS_DATA_DIR: dataDir, KMS_ROOT_KEY: randomBytes(32).toString("base64"), KMS_ROOT_TOKEN: token, KMS_SYNC_WRITES: "false", ...env });
  const core = await openCore(config, { clock, log });
  return {
    core,
    clock,
    token,
    logged,
    async dispose() {
      await core.pipeline.idle();
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CallOptions {
  credentials?: Credentials;
  transport?: Transport;
  source?: string;
  region?: string;
}

/** One call through the pipeline, as a transport makes it: route, identity, region, then the message. */
export function callMethod<M extends DescMethod>(
  pipeline: CallPipeline,
  method: M,
  request: MessageInitShape<M["input"]>,
  credentials: Credentials,
  opts: Omit<CallOptions, "credentials"> = {},
): Promise<Served> {
  return pipeline.serve(opts.transport ?? "grpc", opts.source ?? "127.0.0.1", async (call) => {
    const route = pipeline.routes.byGrpcPath(`/${method.parent.typeName}/${method.name}`);
    if (!route) throw new Error(`no route for ${method.name}`);
    pipeline.setRoute(call, route);
    pipeline.identify(call, credentials);
    pipeline.setRegion(call, opts.region);
    return create(method.input as DescMessage, request as never);
  });
}

/** The answer of a call that must succeed. */
export async function expectOk<T = Record<string, unknown>>(served: Promise<Served>): Promise<T> {
  const s = await served;
  if (!s.ok) throw new Error(`expected success, got ${s.outcome.code}: ${s.outcome.message}`);
  return s.output as T;
}
