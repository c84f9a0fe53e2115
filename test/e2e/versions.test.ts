/** Per-version management through KeyVersionService (gRPC), and what it does to Encrypt and Decrypt. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyVersionState } from "../../gen/kms/v1/versions_pb.js";
import { codeOf, connectClients, type ConnectClients, type KmsClient } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const DAY = 86_400_000;
let ts: TestServer;
let clients: ConnectClients;
let kms: KmsClient;
let versions: ConnectClients["versions"];
let seq = 0;
const bytes = (s: string) => new TextEncoder().encode(s);
const blobVersion = (blob: Uint8Array) => Buffer.from(blob).readUInt32BE(18);

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_MANUAL_ROTATION_INTERVAL_HOURS: "0" } });
  clients = connectClients(ts);
  kms = clients.grpc;
  versions = clients.versions;
});
afterAll(async () => {
  clients.close();
  await ts.dispose();
});

/** A key with `n` versions and one blob under each. */
async function keyWithVersions(n: number): Promise<{ keyId: string; blobs: Uint8Array[] }> {
  const { keyId } = await kms.createKey({ alias: `ver-${++seq}` });
  await kms.enableKeyRotation({ keyId });
  const blobs: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) {
    if (i > 1) await kms.rotateKey({ keyId });
    blobs.push((await kms.encrypt({ keyId, plaintext: bytes(`v${i}`) })).ciphertextBlob);
  }
  return { keyId, blobs };
}

const decrypts = async (blob: Uint8Array) => new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: blob })).plaintext);

describe("ListKeyVersions and DescribeKeyVersion", () => {
  it("list every version with the primary marked, consistent with KeyMetadata", async () => {
    const { keyId } = await keyWithVersions(3);
    const listed = (await versions.listKeyVersions({ keyId })).versions;
    expect(listed.map((v) => [v.version, v.state, v.primary])).toEqual([
      [1, KeyVersionState.ENABLED, false],
      [2, KeyVersionState.ENABLED, false],
      [3, KeyVersionState.ENABLED, true],
    ]);
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ primaryVersion: 3, versionCount: 3 });
    expect((await versions.describeKeyVersion({ keyId, version: 2 })).version).toMatchObject({ keyId, version: 2, primary: false });
    expect(await codeOf(versions.describeKeyVersion({ keyId, version: 9 }))).toBe("ResourceNotFound");
    expect(await codeOf(versions.listKeyVersions({ keyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
  });
});

describe("DisableKeyVersion and EnableKeyVersion", () => {
  it("stop and restore decryption under one version only", async () => {
    const { keyId, blobs } = await keyWithVersions(2);
    await versions.disableKeyVersion({ keyId, version: 1 });
    expect(await codeOf(kms.decrypt({ ciphertextBlob: blobs[0]! }))).toBe("ResourceUnavailable.KeyDisabled");
    expect(await decrypts(blobs[1]!)).toBe("v2");
    await versions.disableKeyVersion({ keyId, version: 1 }); // idempotent
    await versions.enableKeyVersion({ keyId, version: 1 });
    expect(await decrypts(blobs[0]!)).toBe("v1");
  });

  it("disabling the newest makes the previous one primary", async () => {
    const { keyId } = await keyWithVersions(2);
    await versions.disableKeyVersion({ keyId, version: 2 });
    expect((await kms.describeKey({ keyId })).keyMetadata!.primaryVersion).toBe(1);
    expect(blobVersion((await kms.encrypt({ keyId, plaintext: bytes("x") })).ciphertextBlob)).toBe(1);
    await versions.enableKeyVersion({ keyId, version: 2 });
    expect(blobVersion((await kms.encrypt({ keyId, plaintext: bytes("x") })).ciphertextBlob)).toBe(2);
  });

  it("never leave a key without an enabled version", async () => {
    const { keyId } = await keyWithVersions(1);
    expect(await codeOf(versions.disableKeyVersion({ keyId, version: 1 }))).toBe("UnsupportedOperation");
    expect(await codeOf(versions.scheduleKeyVersionDeletion({ keyId, version: 1 }))).toBe("UnsupportedOperation");
    const two = await keyWithVersions(2);
    await versions.disableKeyVersion({ keyId: two.keyId, version: 1 });
    expect(await codeOf(versions.disableKeyVersion({ keyId: two.keyId, version: 2 }))).toBe("UnsupportedOperation");
  });
});

describe("ScheduleKeyVersionDeletion and CancelKeyVersionDeletion", () => {
  it("make the version unusable, then purge it for good; numbers are never reused", async () => {
    const { keyId, blobs } = await keyWithVersions(3);
    expect(await codeOf(versions.scheduleKeyVersionDeletion({ keyId, version: 1, pendingWindowInDays: 3 }))).toBe("InvalidParameter.InvalidPendingWindowInDays");
    const { deletionDate } = await versions.scheduleKeyVersionDeletion({ keyId, version: 1 });
    expect(deletionDate).toBe(BigInt(Math.floor((ts.clock.now() + 7 * DAY) / 1000)));
    expect((await versions.describeKeyVersion({ keyId, version: 1 })).version).toMatchObject({ state: KeyVersionState.PENDING_DELETE, deletionDate });
    expect(await codeOf(kms.decrypt({ ciphertextBlob: blobs[0]! }))).toBe("ResourceUnavailable.KeyDisabled");
    expect(await codeOf(versions.enableKeyVersion({ keyId, version: 1 }))).toBe("UnsupportedOperation");

    await versions.cancelKeyVersionDeletion({ keyId, version: 1 });
    expect((await versions.describeKeyVersion({ keyId, version: 1 })).version).toMatchObject({ state: KeyVersionState.DISABLED, deletionDate: 0n });
    expect(await codeOf(versions.cancelKeyVersionDeletion({ keyId, version: 1 }))).toBe("UnsupportedOperation");
    ts.clock.advance(8 * DAY);
    await ts.server.scheduler.runOnce();
    expect((await versions.listKeyVersions({ keyId })).versions).toHaveLength(3); // the cancelled purge did not happen

    await versions.scheduleKeyVersionDeletion({ keyId, version: 1, pendingWindowInDays: 10 });
    ts.clock.advance(10 * DAY - 1000);
    await ts.server.scheduler.runOnce();
    expect((await versions.listKeyVersions({ keyId })).versions).toHaveLength(3);
    ts.clock.advance(1000);
    const done = await ts.server.scheduler.runOnce();
    expect(done).toContainEqual({ kind: "version-deletion", subject: `${keyId}/1` });
    expect((await versions.listKeyVersions({ keyId })).versions.map((v) => v.version)).toEqual([2, 3]);
    expect(await codeOf(versions.describeKeyVersion({ keyId, version: 1 }))).toBe("ResourceNotFound");
    expect(await codeOf(kms.decrypt({ ciphertextBlob: blobs[0]! }))).toBe("InvalidParameterValue.InvalidCiphertext");
    expect(await decrypts(blobs[2]!)).toBe("v3");

    await kms.rotateKey({ keyId });
    expect((await versions.listKeyVersions({ keyId })).versions.map((v) => v.version)).toEqual([2, 3, 4]);
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ primaryVersion: 4, versionCount: 3 });
  });

  it("refuse keys pending deletion", async () => {
    const { keyId } = await keyWithVersions(2);
    await kms.disableKey({ keyId });
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    expect(await codeOf(versions.disableKeyVersion({ keyId, version: 1 }))).toBe("ResourceUnavailable.CmkStateNotSupport");
  });

  it("a purged key takes its pending version purges with it", async () => {
    const { keyId } = await keyWithVersions(2);
    await versions.scheduleKeyVersionDeletion({ keyId, version: 1, pendingWindowInDays: 30 });
    await kms.disableKey({ keyId });
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    ts.clock.advance(7 * DAY);
    const done = await ts.server.scheduler.runOnce();
    expect(done).toContainEqual({ kind: "key-deletion", subject: keyId });
    ts.clock.advance(30 * DAY);
    expect((await ts.server.scheduler.runOnce()).map((d) => d.subject)).not.toContain(`${keyId}/1`);
  });
});
