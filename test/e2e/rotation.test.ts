/** Rotation: on demand and on schedule (manual clock), across restarts; old ciphertext keeps decrypting. */
import { describe, expect, it } from "vitest";
import { KeyState } from "../../gen/kms/v1/kms_pb.js";
import { codeOf, connectClients, type ConnectClients, type KmsClient } from "../helpers/clients.js";
import { startTestServer, useServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms } from "../helpers/tencent.js";

const DAY = 86_400_000;
let ts: TestServer;
let clients: ConnectClients;
let kms: KmsClient;
let seq = 0;
const alias = () => `rot-${++seq}`;
const bytes = (s: string) => new TextEncoder().encode(s);
const secs = (ms: number) => BigInt(Math.floor(ms / 1000));
const blobVersion = (blob: Uint8Array) => Buffer.from(blob).readUInt32BE(18);

useServer((s, c) => {
  ts = s;
  clients = c;
  kms = c.grpc;
});

async function metadata(keyId: string) {
  return (await kms.describeKey({ keyId })).keyMetadata!;
}

describe("EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus", () => {
  it("turn automatic rotation on with a period and off again", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    expect((await kms.getKeyRotationStatus({ keyId })).keyRotationEnabled).toBe(false);
    await kms.enableKeyRotation({ keyId });
    expect((await kms.getKeyRotationStatus({ keyId })).keyRotationEnabled).toBe(true);
    expect(await metadata(keyId)).toMatchObject({ keyRotationEnabled: true, rotateDays: 365, nextRotateTime: secs(ts.clock.now() + 365 * DAY) });
    await kms.enableKeyRotation({ keyId, rotateDays: 30 });
    expect(await metadata(keyId)).toMatchObject({ rotateDays: 30, nextRotateTime: secs(ts.clock.now() + 30 * DAY) });
    await kms.disableKeyRotation({ keyId });
    expect(await metadata(keyId)).toMatchObject({ keyRotationEnabled: false, rotateDays: 0, nextRotateTime: 0n });
  });

  it("refuse bad periods, EXTERNAL keys and keys pending deletion", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    for (const rotateDays of [1, 6, 366]) expect(await codeOf(kms.enableKeyRotation({ keyId, rotateDays }))).toBe("InvalidParameterValue");
    const external = (await kms.createKey({ alias: alias(), type: 2 })).keyId;
    expect(await codeOf(kms.enableKeyRotation({ keyId: external }))).toBe("UnsupportedOperation.ExternalCmkCanNotRotate");
    expect(await codeOf(kms.rotateKey({ keyId: external }))).toBe("UnsupportedOperation.ExternalCmkCanNotRotate");
    await kms.disableKey({ keyId });
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    expect(await codeOf(kms.enableKeyRotation({ keyId }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await codeOf(kms.getKeyRotationStatus({ keyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
  });
});

describe("RotateKey", () => {
  it("needs rotation enabled, adds a primary version, postpones the next rotation, and runs once per 24 h", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    expect(await codeOf(kms.rotateKey({ keyId }))).toBe("UnsupportedOperation");
    await kms.enableKeyRotation({ keyId, rotateDays: 90 });
    const old = await kms.encrypt({ keyId, plaintext: bytes("before"), encryptionContext: '{"v":"1"}' });
    expect(blobVersion(old.ciphertextBlob)).toBe(1);

    ts.clock.advance(10 * DAY);
    const { taskId } = await kms.rotateKey({ keyId });
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await metadata(keyId)).toMatchObject({
      primaryVersion: 2,
      versionCount: 2,
      lastRotateTime: secs(ts.clock.now()),
      nextRotateTime: secs(ts.clock.now() + 90 * DAY),
    });
    const fresh = await kms.encrypt({ keyId, plaintext: bytes("after") });
    expect(blobVersion(fresh.ciphertextBlob)).toBe(2);
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: old.ciphertextBlob, encryptionContext: '{"v":"1"}' })).plaintext)).toBe("before");

    expect(await codeOf(kms.rotateKey({ keyId }))).toBe("LimitExceeded");
    ts.clock.advance(DAY - 1000);
    expect(await codeOf(kms.rotateKey({ keyId }))).toBe("LimitExceeded");
    ts.clock.advance(1000);
    await kms.rotateKey({ keyId });
    expect((await metadata(keyId)).primaryVersion).toBe(3);
  });

  it("refuses a disabled key", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    await kms.enableKeyRotation({ keyId });
    await kms.disableKey({ keyId });
    expect(await codeOf(kms.rotateKey({ keyId }))).toBe("ResourceUnavailable.CmkDisabled");
  });

  it("ReEncrypt moves old ciphertext to the newest version", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    await kms.enableKeyRotation({ keyId });
    const old = await kms.encrypt({ keyId, plaintext: bytes("move") });
    await kms.rotateKey({ keyId });
    const moved = await kms.reEncrypt({ ciphertextBlob: old.ciphertextBlob });
    expect(moved).toMatchObject({ keyId, sourceKeyId: keyId, reEncrypted: true });
    expect(blobVersion(moved.ciphertextBlob)).toBe(2);
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: moved.ciphertextBlob })).plaintext)).toBe("move");
    const again = await kms.reEncrypt({ ciphertextBlob: moved.ciphertextBlob });
    expect(again.reEncrypted).toBe(false);
  });
});

describe("automatic rotation", () => {
  it("fires when due, not before, and keeps firing every period until disabled", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    await kms.enableKeyRotation({ keyId, rotateDays: 7 });
    const rotatedNow = async () => (await ts.server.scheduler.runOnce()).filter((d) => d.kind === "rotation").map((d) => d.subject);

    ts.clock.advance(7 * DAY - 1000);
    expect(await rotatedNow()).not.toContain(keyId);
    expect((await metadata(keyId)).primaryVersion).toBe(1);
    ts.clock.advance(1000);
    expect(await rotatedNow()).toContain(keyId);
    expect(await metadata(keyId)).toMatchObject({ primaryVersion: 2, lastRotateTime: secs(ts.clock.now()), nextRotateTime: secs(ts.clock.now() + 7 * DAY) });

    ts.clock.advance(7 * DAY);
    expect(await rotatedNow()).toContain(keyId);
    expect((await metadata(keyId)).primaryVersion).toBe(3);

    await kms.disableKeyRotation({ keyId });
    ts.clock.advance(30 * DAY);
    expect(await rotatedNow()).not.toContain(keyId);
    expect((await metadata(keyId)).primaryVersion).toBe(3);
  });

  it("waits for a disabled key to be enabled again", async () => {
    const { keyId } = await kms.createKey({ alias: alias() });
    await kms.enableKeyRotation({ keyId, rotateDays: 7 });
    await kms.disableKey({ keyId });
    ts.clock.advance(8 * DAY);
    await ts.server.scheduler.runOnce();
    expect((await metadata(keyId)).primaryVersion).toBe(1);
    await kms.enableKey({ keyId });
    await ts.server.scheduler.runOnce();
    expect((await metadata(keyId)).primaryVersion).toBe(2);
  });

  it("catches up at start after the service was down, and old ciphertext survives every rotation and restart", async () => {
    const own = await startTestServer();
    let c = connectClients(own);
    const { keyId } = await c.grpc.createKey({ alias: "catch-up" });
    await c.grpc.enableKeyRotation({ keyId, rotateDays: 7 });
    const blobs = [await c.grpc.encrypt({ keyId, plaintext: bytes("v1"), encryptionContext: '{"n":"1"}' })];
    c.close();
    await own.stop();

    let current = own;
    for (let round = 2; round <= 4; round++) {
      current.clock.advance(10 * DAY);
      current = await startTestServer({ dataDir: own.dataDir, rootKey: own.rootKey, clock: own.clock });
      c = connectClients(current);
      const md = (await c.grpc.describeKey({ keyId })).keyMetadata!;
      expect(md.primaryVersion).toBe(round); // rotated once at start, not once per missed period
      expect(md.keyState).toBe(KeyState.ENABLED);
      blobs.push(await c.grpc.encrypt({ keyId, plaintext: bytes(`v${round}`), encryptionContext: '{"n":"1"}' }));
      for (const [i, b] of blobs.entries()) {
        expect(blobVersion(b.ciphertextBlob)).toBe(i + 1);
        expect(new TextDecoder().decode((await c.grpc.decrypt({ ciphertextBlob: b.ciphertextBlob, encryptionContext: '{"n":"1"}' })).plaintext)).toBe(`v${i + 1}`);
      }
      c.close();
      await current.stop();
    }
    await own.dispose();
  });
});

describe("rotation through the API 3.0 gateway", () => {
  it("works with the official SDK", async () => {
    const sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
    const { KeyId } = await sdk.CreateKey({ Alias: alias() });
    expect(await sdkCode(sdk.RotateKey({ KeyId: KeyId! }))).toBe("UnsupportedOperation");
    await sdk.EnableKeyRotation({ KeyId: KeyId!, RotateDays: 30 });
    expect((await sdk.GetKeyRotationStatus({ KeyId: KeyId! })).KeyRotationEnabled).toBe(true);
    expect((await sdk.RotateKey({ KeyId: KeyId! })).TaskId).toMatch(/^[0-9a-f-]{36}$/);
    const md = (await sdk.DescribeKey({ KeyId: KeyId! })).KeyMetadata!;
    expect(md).toMatchObject({ KeyRotationEnabled: true, RotateDays: 30, LastRotateTime: Math.floor(ts.clock.now() / 1000) });
    expect(md).not.toHaveProperty("PrimaryVersion");
    await sdk.DisableKeyRotation({ KeyId: KeyId! });
    expect((await sdk.GetKeyRotationStatus({ KeyId: KeyId! })).KeyRotationEnabled).toBe(false);
    expect(await sdkCode(sdk.EnableKeyRotation({ KeyId: KeyId!, RotateDays: 400 }))).toBe("InvalidParameterValue");
  });
});
