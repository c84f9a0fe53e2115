/**
 * 4b. Property tests (fast-check):
 * - crypto: AES-256-GCM and SM4-GCM blobs round-trip arbitrary plaintext and
 *   context; a context given in another member order decrypts; a different
 *   context, or any flipped blob byte, never yields plaintext; root-key sealing
 *   round-trips and refuses a wrong label or a flipped byte.
 * - canonicalContext: order-independent, and equal only for equal objects;
 *   non-objects refused with InvalidParameterValue.
 * - key state machine: random sequences of lifecycle actions, (a) through
 *   src/keys/state.ts and (b) against the running server over gRPC, each
 *   compared with a model of Tencent's state machine.
 */
import fc from "fast-check";
import { KeyState as KeyStateEnum } from "../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../src/errors.js";
import { aes256Gcm } from "../../src/crypto/aes-256-gcm.js";
import { decryptBlob, encryptBlob, parseBlob } from "../../src/crypto/ciphertext.js";
import { canonicalContext } from "../../src/crypto/context.js";
import type { SymmetricAlgorithm } from "../../src/crypto/primitives.js";
import { randomBytes } from "../../src/crypto/random.js";
import { createRootKey, UnsealError } from "../../src/crypto/seal.js";
import { sm4Gcm } from "../../src/crypto/sm4-gcm.js";
import type { KeyRecord, KeyState } from "../../src/keys/key.js";
import { assertTransition, type LifecycleAction } from "../../src/keys/state.js";
import { Recorder, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, dec, enc, outcome, type KmsClient } from "./lib/rpc.js";
import { newIdentity, startServer } from "./lib/server.js";
import { rm } from "node:fs/promises";
import type { Mode } from "./mode.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON text of `v` with every object's members in a random (seeded) order. */
function shuffledJson(v: Json, seed: number): string {
  if (Array.isArray(v)) return `[${v.map((x, i) => shuffledJson(x, seed + i)).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.keys(v);
    let s = seed;
    for (let i = entries.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const j = s % (i + 1);
      [entries[i], entries[j]] = [entries[j] as string, entries[i] as string];
    }
    return `{${entries.map((k, i) => `${JSON.stringify(k)}:${shuffledJson(v[k] as Json, seed + i + 1)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Deep equality of parsed JSON, member order ignored. */
function jsonEqual(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i] as Json));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && jsonEqual(a[k] as Json, b[k] as Json));
  }
  return Object.is(a === 0 ? 0 : a, b === 0 ? 0 : b);
}

const contextObject: fc.Arbitrary<{ [k: string]: Json }> = fc.dictionary(
  fc.string({ maxLength: 8, unit: "grapheme" }),
  fc.oneof(fc.string({ maxLength: 12, unit: "grapheme" }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>),
  { maxKeys: 6 },
);

function codeOfThrow(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof KmsError ? err.code : `non-KmsError:${(err as Error).name}`;
  }
}

function blobProperties(alg: SymmetricAlgorithm, runs: number) {
  const roundTrip = fc.property(
    fc.uint8Array({ minLength: 0, maxLength: 4096 }),
    contextObject,
    fc.uuid(),
    fc.integer({ min: 1, max: 0xffffffff }),
    fc.nat(),
    (plaintext, ctx, keyId, keyVersion, seed) => {
      const aead = alg.aead(randomBytes(alg.keyLength));
      const context = Object.keys(ctx).length === 0 ? "" : JSON.stringify(ctx);
      const blob = encryptBlob(aead, { algorithm: alg, keyId, keyVersion }, plaintext, canonicalContext(context), randomBytes);
      const parsed = parseBlob(blob);
      if (parsed.keyId !== keyId || parsed.keyVersion !== keyVersion || parsed.algorithm.name !== alg.name) return false;
      const reordered = context === "" ? "" : shuffledJson(ctx, seed);
      const out = decryptBlob(aead, parsed, canonicalContext(reordered));
      return Buffer.compare(Buffer.from(out), Buffer.from(plaintext)) === 0;
    },
  );
  const tamper = fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), contextObject, contextObject, fc.nat(), fc.integer({ min: 1, max: 255 }), (plaintext, ctx, other, at, mask) => {
    const aead = alg.aead(randomBytes(alg.keyLength));
    const context = JSON.stringify(ctx);
    const blob = encryptBlob(aead, { algorithm: alg, keyId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", keyVersion: 1 }, plaintext, canonicalContext(context), randomBytes);
    const flipped = Buffer.from(blob);
    const i = at % flipped.length;
    flipped[i] = (flipped[i] as number) ^ mask;
    const tampered = codeOfThrow(() => decryptBlob(aead, parseBlob(flipped), canonicalContext(context)));
    const okTamper = tampered === "FailedOperation.DecryptError" || tampered === "InvalidParameterValue.InvalidCiphertext";
    if (jsonEqual(ctx, other)) return okTamper;
    const wrongCtx = codeOfThrow(() => decryptBlob(aead, parseBlob(blob), canonicalContext(JSON.stringify(other))));
    return okTamper && wrongCtx === "FailedOperation.DecryptError";
  });
  return [
    [`${alg.name} blob round trip (arbitrary plaintext 0-4096 B and context, reordered context)`, roundTrip, runs],
    [`${alg.name} flipped blob byte or different context never decrypts`, tamper, runs],
  ] as const;
}

const contextProperties = (runs: number) =>
  [
    [
      "canonicalContext is independent of member order",
      fc.property(contextObject, fc.nat(), (ctx, seed) => Buffer.compare(Buffer.from(canonicalContext(JSON.stringify(ctx))), Buffer.from(canonicalContext(shuffledJson(ctx, seed)))) === 0),
      runs,
    ],
    [
      "canonicalContext is equal only for equal objects",
      fc.property(contextObject, contextObject, (a, b) => {
        const same = Buffer.compare(Buffer.from(canonicalContext(JSON.stringify(a))), Buffer.from(canonicalContext(JSON.stringify(b)))) === 0;
        return same === jsonEqual(a, b);
      }),
      runs,
    ],
    [
      "canonicalContext refuses non-objects and bad JSON with InvalidParameterValue",
      fc.property(fc.oneof(fc.jsonValue().filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((v) => JSON.stringify(v)), fc.string({ minLength: 1 }).filter((s) => {
        try {
          const v: unknown = JSON.parse(s);
          return v === null || typeof v !== "object" || Array.isArray(v);
        } catch {
          return true;
        }
      })), (text) => codeOfThrow(() => canonicalContext(text)) === "InvalidParameterValue"),
      runs,
    ],
    [
      "root-key sealing round-trips; a wrong label or a flipped byte fails as UnsealError",
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.nat(), (material, label, other, at) => {
        const root = createRootKey(randomBytes(32));
        const sealed = root.seal(material, label);
        if (Buffer.compare(Buffer.from(root.unseal(sealed, label)), Buffer.from(material)) !== 0) return false;
        const flipped = Buffer.from(sealed);
        flipped[at % flipped.length] = (flipped[at % flipped.length] as number) ^ 0x80;
        const fails = (fn: () => unknown) => {
          try {
            fn();
            return false;
          } catch (err) {
            return err instanceof UnsealError;
          }
        };
        return fails(() => root.unseal(flipped, label)) && (other === label || fails(() => root.unseal(sealed, other)));
      }),
      runs,
    ],
  ] as const;

/* ---------- Tencent's key state machine, as a model written from the API documentation ---------- */

type ModelState = KeyState;
type Action = LifecycleAction | "Encrypt" | "Decrypt";
const ACTIONS: readonly Action[] = ["EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "ArchiveKey", "CancelKeyArchive", "Encrypt", "Decrypt"];

interface ModelKey {
  state: ModelState;
  hasMaterial: boolean;
}

/** Next state, or the error code Tencent documents for the refusal. */
function model(k: ModelKey, a: Action): { state: ModelState } | { code: string } {
  const s = k.state;
  switch (a) {
    case "EnableKey":
      return s === "Enabled" || s === "Disabled" ? { state: "Enabled" } : { code: "ResourceUnavailable.CmkStateNotSupport" };
    case "DisableKey":
      return s === "Enabled" || s === "Disabled" ? { state: "Disabled" } : { code: "ResourceUnavailable.CmkStateNotSupport" };
    case "ScheduleKeyDeletion":
      if (s === "Disabled" || s === "PendingImport") return { state: "PendingDelete" };
      return s === "Enabled" || s === "Archived" ? { code: "ResourceUnavailable.CmkShouldBeDisabled" } : { code: "ResourceUnavailable.CmkStateNotSupport" };
    case "CancelKeyDeletion":
      return s === "PendingDelete" ? { state: k.hasMaterial ? "Disabled" : "PendingImport" } : { code: "ResourceUnavailable.CmkNotPendingDelete" };
    case "ArchiveKey":
      return s === "Enabled" || s === "Archived" ? { state: "Archived" } : { code: "ResourceUnavailable.CmkStateNotSupport" };
    case "CancelKeyArchive":
      return s === "Archived" ? { state: "Enabled" } : { code: "ResourceUnavailable.CmkStateNotSupport" };
    case "Encrypt":
      if (s === "Enabled") return { state: s };
      return { code: s === "Disabled" ? "ResourceUnavailable.CmkDisabled" : s === "Archived" ? "ResourceUnavailable.CmkArchived" : "ResourceUnavailable.CmkStateNotSupport" };
    case "Decrypt":
      if (s === "Enabled" || s === "Archived") return { state: s };
      return { code: s === "Disabled" ? "ResourceUnavailable.CmkDisabled" : "ResourceUnavailable.CmkStateNotSupport" };
  }
}

function record(state: KeyState, hasMaterial: boolean): KeyRecord {
  return {
    keyId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    account: "1",
    region: "ap-guangzhou",
    alias: "m",
    description: "",
    createTime: 0,
    keyState: state,
    keyUsage: "ENCRYPT_DECRYPT",
    keyType: 2,
    algorithm: "AES_256_GCM",
    origin: hasMaterial ? "TENCENT_KMS" : "EXTERNAL",
    creatorUin: "1",
    owner: "user",
    tags: [],
    versions: hasMaterial ? [{ version: 1, state: "Enabled", createTime: 0 }] : [],
    versionsIssued: hasMaterial ? 1 : 0,
    rotation: { enabled: false, rotateDays: 0 },
  };
}

const stateMachineUnit = (runs: number) =>
  fc.property(fc.boolean(), fc.array(fc.constantFrom(...ACTIONS), { maxLength: 40 }), (hasMaterial, actions) => {
    const m: ModelKey = { state: hasMaterial ? "Enabled" : "PendingImport", hasMaterial };
    let key = record(m.state, hasMaterial);
    for (const a of actions) {
      const expected = model(m, a);
      let got: { state: KeyState } | { code: string };
      try {
        got = { state: assertTransition(key, a) };
      } catch (err) {
        got = { code: err instanceof KmsError ? err.code : String(err) };
      }
      if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${a} from ${m.state}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
      if ("state" in expected) {
        m.state = expected.state;
        key = { ...key, keyState: expected.state };
      }
    }
    return runs > 0;
  });

const ENUM_STATE: Record<number, KeyState> = {
  [KeyStateEnum.ENABLED]: "Enabled",
  [KeyStateEnum.DISABLED]: "Disabled",
  [KeyStateEnum.PENDING_DELETE]: "PendingDelete",
  [KeyStateEnum.PENDING_IMPORT]: "PendingImport",
  [KeyStateEnum.ARCHIVED]: "Archived",
};

/** The same sequences against the server: answer code and resulting state (DescribeKey) after every step. */
async function serverStep(c: KmsClient, keyId: string, a: Action, blob: Uint8Array | undefined): Promise<{ state: KeyState } | { code: string }> {
  let call: Promise<unknown>;
  switch (a) {
    case "EnableKey":
      call = c.enableKey({ keyId }, CALL);
      break;
    case "DisableKey":
      call = c.disableKey({ keyId }, CALL);
      break;
    case "ScheduleKeyDeletion":
      call = c.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }, CALL);
      break;
    case "CancelKeyDeletion":
      call = c.cancelKeyDeletion({ keyId }, CALL);
      break;
    case "ArchiveKey":
      call = c.archiveKey({ keyId }, CALL);
      break;
    case "CancelKeyArchive":
      call = c.cancelKeyArchive({ keyId }, CALL);
      break;
    case "Encrypt":
      call = c.encrypt({ keyId, plaintext: enc("model") }, CALL);
      break;
    case "Decrypt":
      // EXTERNAL keys without material have no ciphertext: answered by state before the blob matters.
      call = blob ? c.decrypt({ ciphertextBlob: blob }, CALL).then((r) => {
        if (dec(r.plaintext) !== "model") throw new Error("wrong plaintext");
      }) : Promise.reject(new Error("no blob"));
      break;
  }
  const r = await outcome(call);
  if (!r.ok) return { code: r.code };
  const md = await c.describeKey({ keyId }, CALL);
  return { state: ENUM_STATE[md.keyMetadata?.keyState ?? 0] ?? "Enabled" };
}

export async function propertiesScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("properties");
  const runs = mode.propertyRuns;
  let total = 0;
  const props: (readonly [string, fc.IProperty<never>, number])[] = [
    ...(blobProperties(aes256Gcm, runs) as unknown as [string, fc.IProperty<never>, number][]),
    ...(blobProperties(sm4Gcm, Math.max(20, Math.floor(runs / 3))) as unknown as [string, fc.IProperty<never>, number][]),
    ...(contextProperties(runs) as unknown as [string, fc.IProperty<never>, number][]),
    ["key state machine (src/keys/state.ts) follows the model on random action sequences", stateMachineUnit(runs) as unknown as fc.IProperty<never>, runs * 2],
  ];
  for (const [name, prop, n] of props) {
    const out = fc.check(prop, { numRuns: n });
    total += out.numRuns;
    rec.check(name, !out.failed, out.failed ? `${fc.defaultReportMessage(out) ?? "failed"}`.slice(0, 800) : undefined);
  }

  // Against the running server.
  const id = await newIdentity();
  const server = await startServer(id);
  const clients = clientsFor(server);
  let serverRuns = 0;
  try {
    const c = clients.grpc;
    let n = 0;
    const prop = fc.asyncProperty(fc.boolean(), fc.array(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 20 }), async (hasMaterial, actions) => {
      serverRuns++;
      const created = await c.createKey({ alias: `model-${++n}`, type: hasMaterial ? 1 : 2 }, CALL);
      const keyId = created.keyId;
      const blob = hasMaterial ? (await c.encrypt({ keyId, plaintext: enc("model") }, CALL)).ciphertextBlob : undefined;
      const m: ModelKey = { state: hasMaterial ? "Enabled" : "PendingImport", hasMaterial };
      for (const a of actions) {
        const expected = model(m, a);
        const got = await serverStep(c, keyId, a, blob);
        if (a === "Decrypt" && !blob) continue; // no ciphertext to try
        if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${a} from ${m.state}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
        if ("state" in expected) m.state = expected.state;
      }
    });
    const out = await fc.check(prop, { numRuns: mode.short ? 15 : 80 });
    rec.check("key state machine on the server follows the model (gRPC, random sequences)", !out.failed, out.failed ? `${fc.defaultReportMessage(out) ?? ""}`.slice(0, 800) : undefined);
    total += out.numRuns;
  } finally {
    clients.close();
    await server.stop();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  rec.figure("properties", props.length + 1);
  rec.figure("generated cases", total);
  rec.figure("server sequences", serverRuns);
  return rec.result();
}
