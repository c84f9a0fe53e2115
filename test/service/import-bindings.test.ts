/**
 * Bring-your-own-key and cloud bindings in process: the refusals in the order
 * they fire, the token's life, the same-material rule, the material's expiry,
 * and that the RSA work of an import runs in the engine (deps.asymmetric),
 * never on the event loop. A bound key refuses ScheduleKeyDeletion and
 * ArchiveKey with FailedOperation.CmkUsedByCloudProduct, after its state.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDueWork } from "../../src/keys/scheduler.js";
import { alias, codeOf, importMaterial, keyIn, openService, type Service } from "./harness.js";

let s: Service;
beforeAll(async () => {
  s = await openService();
});
afterAll(() => s.close());

const DAY = 86_400_000;

async function params(keyId: string, wrappingAlgorithm = "RSAES_OAEP_SHA_256") {
  const p = await s.kms("getParametersForImport", { keyId, wrappingAlgorithm, wrappingKeySpec: "RSA_2048" });
  return { token: p.importToken as string, publicKey: createPublicKey({ key: Buffer.from(p.publicKey as Uint8Array), format: "der", type: "spki" }) };
}

const wrap = (publicKey: ReturnType<typeof createPublicKey>, material: Uint8Array) =>
  publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material);

describe("import", () => {
  it("generates the wrapping key and unwraps the material in the engine, with a single-use key", async () => {
    const keyId = await keyIn(s, "external", "PendingImport");
    const from = s.engineOps.length;
    await importMaterial(s, keyId);
    const ops = s.engineOps.slice(from).map((op) => ({ op: op.op, spec: "spec" in op ? op.spec : undefined, singleUse: "singleUse" in op ? op.singleUse : undefined }));
    expect(ops).toEqual([
      { op: "generate", spec: "RSA_2048", singleUse: undefined },
      { op: "decrypt", spec: "RSA_2048", singleUse: true },
    ]);
    expect((await s.record(keyId)).keyState).toBe("Enabled");
  });

  it("refuses in order: field checks, the key's origin, its state, then the token", async () => {
    const generated = await keyIn(s, "generated", "Enabled");
    const waiting = await keyIn(s, "external", "PendingImport");
    const material = Buffer.alloc(256, 7);
    const code = (keyId: string, importToken: string, encryptedKeyMaterial: Uint8Array = material) => codeOf(s.kms("importKeyMaterial", { keyId, importToken, encryptedKeyMaterial }));
    expect(await code("not-an-id", "t")).toBe("InvalidParameterValue.InvalidKeyId");
    expect(await code(waiting, "")).toBe("InvalidParameterValue");
    expect(await code(waiting, "t", new Uint8Array())).toBe("InvalidParameterValue");
    expect(await code(generated, "t")).toBe("UnsupportedOperation.NotExternalCmk");
    const imported = await keyIn(s, "external", "Enabled");
    expect(await code(imported, "unknown")).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await code(waiting, "unknown")).toBe("InvalidParameterValue");
    const other = await keyIn(s, "external", "PendingImport");
    const { token } = await params(other);
    expect(await code(waiting, token)).toBe("InvalidParameterValue");
    expect(await codeOf(s.kms("getParametersForImport", { keyId: waiting, wrappingAlgorithm: "RSAES_OAEP_SHA_384", wrappingKeySpec: "RSA_2048" }))).toBe("InvalidParameterValue");
    expect(await codeOf(s.kms("getParametersForImport", { keyId: waiting, wrappingAlgorithm: "RSAES_OAEP_SHA_1", wrappingKeySpec: "RSA_3072" }))).toBe("InvalidParameterValue");
    expect(await codeOf(s.kms("deleteImportedKeyMaterial", { keyId: generated }))).toBe("UnsupportedOperation.NotExternalCmk");
  });

  it("a token expires after 24 hours and is used once", async () => {
    const keyId = await keyIn(s, "external", "PendingImport");
    const late = await params(keyId);
    s.clock.advance(DAY + 1);
    expect(await codeOf(s.kms("importKeyMaterial", { keyId, importToken: late.token, encryptedKeyMaterial: wrap(late.publicKey, randomBytes(32)) }))).toBe("ResourceUnavailable.TokenExpired");
    const fresh = await params(keyId);
    await s.kms("importKeyMaterial", { keyId, importToken: fresh.token, encryptedKeyMaterial: wrap(fresh.publicKey, randomBytes(32)) });
    await s.kms("deleteImportedKeyMaterial", { keyId });
    expect(await codeOf(s.kms("importKeyMaterial", { keyId, importToken: fresh.token, encryptedKeyMaterial: wrap(fresh.publicKey, randomBytes(32)) }))).toBe("InvalidParameterValue");
  });

  it("material of the wrong length, or that does not unwrap, is one error; a bad PKCS#1 v1.5 padding too", async () => {
    const keyId = await keyIn(s, "external", "PendingImport");
    const short = await params(keyId);
    expect(await codeOf(s.kms("importKeyMaterial", { keyId, importToken: short.token, encryptedKeyMaterial: wrap(short.publicKey, randomBytes(16)) }))).toBe("InvalidParameter.DecryptMaterialError");
    const garbage = await params(keyId);
    expect(await codeOf(s.kms("importKeyMaterial", { keyId, importToken: garbage.token, encryptedKeyMaterial: randomBytes(256) }))).toBe("InvalidParameter.DecryptMaterialError");
    const pkcs1 = await params(keyId, "RSAES_PKCS1_V1_5");
    expect(await codeOf(s.kms("importKeyMaterial", { keyId, importToken: pkcs1.token, encryptedKeyMaterial: randomBytes(256) }))).toBe("InvalidParameter.DecryptMaterialError");
    expect((await s.record(keyId)).keyState).toBe("PendingImport");
  });

  it("only the same material comes back after DeleteImportedKeyMaterial, and old ciphertext decrypts again", async () => {
    const keyId = await keyIn(s, "external", "PendingImport");
    const material = await importMaterial(s, keyId);
    const blob = (await s.kms("encrypt", { keyId, plaintext: Buffer.from("kept") })).ciphertextBlob as Uint8Array;
    await s.kms("deleteImportedKeyMaterial", { keyId });
    expect(await codeOf(s.kms("decrypt", { ciphertextBlob: blob }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await codeOf(importMaterial(s, keyId))).toBe("InvalidParameterValue.MaterialNotMatch");
    await importMaterial(s, keyId, material);
    expect(Buffer.from((await s.kms("decrypt", { ciphertextBlob: blob })).plaintext as Uint8Array).toString()).toBe("kept");
  });

  it("material expires at ValidTo: the key waits for material again, or stays PendingDelete", async () => {
    const waiting = await keyIn(s, "external", "PendingImport");
    const pending = await keyIn(s, "external", "PendingImport");
    const validTo = BigInt(Math.floor(s.clock.now() / 1000) + 3600);
    for (const keyId of [waiting, pending]) {
      const p = await params(keyId);
      await s.kms("importKeyMaterial", { keyId, importToken: p.token, encryptedKeyMaterial: wrap(p.publicKey, randomBytes(32)), validTo });
    }
    await s.kms("disableKey", { keyId: pending });
    await s.kms("scheduleKeyDeletion", { keyId: pending, pendingWindowInDays: 7 });
    s.clock.advance(2 * 3_600_000);
    await runDueWork(s.deps);
    expect([(await s.record(waiting)).keyState, (await s.record(pending)).keyState]).toEqual(["PendingImport", "PendingDelete"]);
    expect((await s.record(waiting)).versions).toEqual([]);
  });

  it("a key waiting for material can be scheduled for deletion, and cancelling returns it to PendingImport", async () => {
    const keyId = await keyIn(s, "external", "PendingImport");
    await s.kms("scheduleKeyDeletion", { keyId, pendingWindowInDays: 7 });
    await s.kms("cancelKeyDeletion", { keyId });
    expect((await s.record(keyId)).keyState).toBe("PendingImport");
  });
});

describe("cloud bindings", () => {
  const bind = (keyId: string, resourceId = "bucket-1") => s.kms("bindCloudResource", { keyId, productId: "cos", resourceId });
  const unbind = (keyId: string, resourceId = "bucket-1") => s.kms("unbindCloudResource", { keyId, productId: "cos", resourceId });

  it("a bound key refuses ScheduleKeyDeletion and ArchiveKey, after its state; unbound, both work again", async () => {
    const enabled = await keyIn(s, "generated", "Enabled");
    await bind(enabled);
    // The state is checked first: an Enabled key is told to be disabled before it is told about its bindings.
    expect(await codeOf(s.kms("scheduleKeyDeletion", { keyId: enabled, pendingWindowInDays: 7 }))).toBe("ResourceUnavailable.CmkShouldBeDisabled");
    expect(await codeOf(s.kms("archiveKey", { keyId: enabled }))).toBe("FailedOperation.CmkUsedByCloudProduct");
    await s.kms("disableKey", { keyId: enabled });
    expect(await codeOf(s.kms("scheduleKeyDeletion", { keyId: enabled, pendingWindowInDays: 7 }))).toBe("FailedOperation.CmkUsedByCloudProduct");
    expect(await codeOf(s.kms("archiveKey", { keyId: enabled }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect((await s.record(enabled)).keyState).toBe("Disabled");
    await unbind(enabled);
    expect(await codeOf(s.kms("scheduleKeyDeletion", { keyId: enabled, pendingWindowInDays: 7 }))).toBe("ok");
  });

  it("an archived key bound after archiving refuses ArchiveKey again, and CancelKeyArchive still works", async () => {
    const keyId = await keyIn(s, "generated", "Archived");
    await bind(keyId);
    expect(await codeOf(s.kms("archiveKey", { keyId }))).toBe("FailedOperation.CmkUsedByCloudProduct");
    expect(await codeOf(s.kms("cancelKeyArchive", { keyId }))).toBe("ok");
  });

  it("a key pending deletion takes no binding; binding twice changes nothing; unbinding what is not bound is ResourceNotFound", async () => {
    const pending = await keyIn(s, "generated", "PendingDelete");
    expect(await codeOf(bind(pending))).toBe("ResourceUnavailable.CmkStateNotSupport");
    const keyId = await keyIn(s, "generated", "Enabled");
    await bind(keyId);
    await bind(keyId);
    expect((await s.record(keyId)).bindings).toEqual([{ productId: "cos", resourceId: "bucket-1" }]);
    expect(await codeOf(unbind(keyId, "bucket-2"))).toBe("ResourceNotFound");
    expect(await codeOf(s.kms("bindCloudResource", { keyId, productId: "", resourceId: "x" }))).toBe("InvalidParameter");
  });

  it("at most 100 bindings per key", async () => {
    const keyId = (await s.kms("createKey", { alias: alias("many") })).keyId as string;
    for (let i = 0; i < 100; i++) await bind(keyId, `r-${i}`);
    expect(await codeOf(bind(keyId, "r-100"))).toBe("LimitExceeded");
  });
});
