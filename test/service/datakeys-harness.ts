/**
 * The hosted data keys in process: the real core (LevelDB in a temp dir, the
 * key domain, the pipeline) driven through `pipeline.serve` as a transport
 * would, with a ManualClock, and the store read directly to prove what a
 * refusal did not write.
 */
import type { DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import { DataKeyService } from "../../gen/kms/v1/datakeys_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import { callMethod, openInProcess, type CallOptions, type InProcess } from "../helpers/in-process.js";

export const DK = DataKeyService.method;
export const KMS = KeyManagementService.method;
export const MISSING_ID = "00000000-0000-4000-8000-000000000000";

export interface DataKeyWorld {
  kms: InProcess;
  root: Credentials;
  /** The answer of a call that must succeed. */
  ok<M extends DescMethod>(method: M, req: MessageInitShape<M["input"]>, opts?: CallOptions): Promise<Record<string, unknown>>;
  /** The code of a call that must fail. */
  code<M extends DescMethod>(method: M, req: MessageInitShape<M["input"]>, opts?: CallOptions): Promise<string>;
  /** A new symmetric CMK's id. */
  cmk(alias: string): Promise<string>;
  /** A hosted data key made by GenerateDataKey (32 bytes); its id and plaintext. */
  hosted(keyId: string, name: string, extra?: Record<string, unknown>, opts?: CallOptions): Promise<{ dataKeyId: string; plaintext: Uint8Array; ciphertextBlob: Uint8Array }>;
  /** Every store entry of the hosted data keys ("v1/datakeys/..."), as hex, for before/after comparisons. */
  snapshot(): Promise<Map<string, string>>;
  dispose(): Promise<void>;
}

export async function openDataKeyWorld(env: Record<string, string> = {}): Promise<DataKeyWorld> {
  const kms = await openInProcess({ KMS_REGIONS: "ap-guangzhou,ap-beijing", ...env });
  const root: Credentials = { kind: "token", token: kms.token };
  const serve = <M extends DescMethod>(method: M, req: MessageInitShape<M["input"]>, opts: CallOptions = {}) =>
    callMethod(kms.core.pipeline, method, req, opts.credentials ?? root, opts);
  const world: DataKeyWorld = {
    kms,
    root,
    async ok(method, req, opts) {
      const s = await serve(method, req, opts);
      if (!s.ok) throw new Error(`${method.name}: expected success, got ${s.outcome.code}: ${s.outcome.message}`);
      return s.output as Record<string, unknown>;
    },
    async code(method, req, opts) {
      const s = await serve(method, req, opts);
      if (s.ok) throw new Error(`${method.name}: expected a refusal, got success`);
      return s.outcome.code;
    },
    async cmk(alias) {
      return (await world.ok(KMS.createKey, { alias })).keyId as string;
    },
    async hosted(keyId, name, extra = {}, opts) {
      const out = await world.ok(KMS.generateDataKey, { keyId, numberOfBytes: 32, isHostedByKms: 1, dataKeyName: name, ...extra }, opts);
      return { dataKeyId: out.dataKeyId as string, plaintext: out.plaintext as Uint8Array, ciphertextBlob: out.ciphertextBlob as Uint8Array };
    },
    async snapshot() {
      const out = new Map<string, string>();
      for await (const [k, v] of kms.core.store.scan({ prefix: "v1/datakeys/" })) out.set(k, Buffer.from(v).toString("hex"));
      return out;
    },
    dispose: () => kms.dispose(),
  };
  return world;
}
