/**
 * The development root and the upgrade of a store older than the keyring:
 * a fresh store gets a keyring, a wrong key stops the start and changes
 * nothing, and a legacy store (records sealed v1 under KMS_ROOT_KEY, directory
 * records without MACs) keeps working, is adopted once and is rewrapped in
 * the background until the old key is no longer part of the keyring.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { createRootKey, materialLabel, sealedVersion } from "../../src/crypto/seal.js";
import { verifyRootKey } from "../../src/root-key.js";
import { keyspace, legacyKeyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { trustKeyspace } from "../../src/trust/keyspace.js";
import { TrustError } from "../../src/trust/root.js";
import { captureLog } from "../helpers/log-capture.js";
import { openStoreAndTrust, openTrustedDomain } from "../helpers/trust-domain.js";

const dirs: string[] = [];
async function newDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "kms-trust-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const envOf = (dataDir: string, rootKey: Buffer) => ({ KMS_DATA_DIR: dataDir, KMS_ROOT_KEY: rootKey.toString("base64") });

describe("development root", () => {
  it("creates a keyring on a fresh store, seals under version 1, and says at every start that it is for development", async () => {
    const dir = await newDir();
    const key = randomBytes(32);
    const log = captureLog();
    const d = await openTrustedDomain(envOf(dir, key), { log });
    expect(log.has(/development key \(KMS_ROOT_KEY\).*KMS_SEAL=pkcs11 or KMS_SEAL=shamir in production/)).toBe(true);
    const { record } = await d.directory.createAccessKey(d.config.accountUin, "", 1);
    expect(sealedVersion(Buffer.from(record.sealedSecretKey, "base64"))).toBe(1);
    expect((await d.trust.status()).versions.map((v) => v.version)).toEqual([1]);
    expect(await d.store.get(keyspace.meta("root-key-check"))).toBeUndefined();
    await d.close();

    const again = captureLog();
    const d2 = await openTrustedDomain(envOf(dir, key), { log: again });
    expect(again.has(/development key/)).toBe(true);
    expect(d2.directory.getAccessKey(record.secretId)?.secretId).toBe(record.secretId);
    await d2.close();
  });

  it("refuses another key and leaves the store as it was", async () => {
    const dir = await newDir();
    const d = await openTrustedDomain(envOf(dir, randomBytes(32)));
    await d.close();
    const store = await openLevelStore(join(dir, "db"), { sync: true });
    const before = await store.get(trustKeyspace.keyring);
    await store.close();
    await expect(openStoreAndTrust(envOf(dir, randomBytes(32)))).rejects.toThrow(TrustError);
    await expect(openStoreAndTrust(envOf(dir, randomBytes(32)))).rejects.toThrow(/KMS_ROOT_KEY does not open this data directory's keyring/);
    const after = await openLevelStore(join(dir, "db"), { sync: true });
    expect(Buffer.from((await after.get(trustKeyspace.keyring))!).equals(Buffer.from(before!))).toBe(true);
    await after.close();
  });

  it("refuses a store with data but neither keyring nor legacy check record", async () => {
    const dir = await newDir();
    const store = await openLevelStore(join(dir, "db"), { sync: true });
    await store.batch([{ type: "put", key: keyspace.key("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), value: Buffer.from("{}") }]);
    await store.close();
    await expect(openStoreAndTrust(envOf(dir, randomBytes(32)))).rejects.toThrow(/holds data but no keyring/);
  });
});

describe("a store older than the keyring", () => {
  /** Writes what the previous version stored: v1 sealed records, the root-key check, directory records without MACs. */
  async function legacyStore(dir: string, key: Buffer): Promise<{ material: Buffer; secretKey: string; token: string }> {
    const store = await openLevelStore(join(dir, "db"), { sync: true });
    const rk = createRootKey(key);
    await verifyRootKey(store, key);
    const audit = await AuditLog.open(store, rk);
    await audit.append({ time: 1, principalUin: "", principalName: "", credential: "", source: "127.0.0.1", transport: "grpc", action: "kms:ListKeys", keyIds: [], result: "Success", requestId: "r1", latencyMs: 1 });
    await audit.close();
    const material = randomBytes(32);
    const keyId = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const secretId = `AKID${"A".repeat(32)}`;
    const secretKey = "s".repeat(32);
    const token = `kmst${"B".repeat(16)}.${"t".repeat(40)}`;
    const { hash } = await import("node:crypto");
    const json = (o: object) => Buffer.from(JSON.stringify({ f: 1, ...o }));
    await store.batch([
      { type: "put", key: keyspace.version(keyId, 1), value: json({ keyId, version: 1, algorithm: "AES_256_GCM", createTime: 1, sealedMaterial: Buffer.from(rk.seal(material, materialLabel(keyId, 1))).toString("base64") }) },
      { type: "put", key: legacyKeyspace.principal("100000000001"), value: json({ uin: "100000000001", name: "root", description: "the account root", createTime: 1, root: true, policies: [] }) },
      { type: "put", key: legacyKeyspace.principal("100123456789"), value: json({ uin: "100123456789", name: "billing", description: "", createTime: 2, root: false, policies: ["p1"] }) },
      { type: "put", key: legacyKeyspace.policy("p1"), value: json({ name: "p1", description: "", document: '{"version":"2.0","statement":[{"effect":"allow","action":["kms:Encrypt"],"resource":["*"]}]}', createTime: 2, updateTime: 2 }) },
      { type: "put", key: legacyKeyspace.accessKey(secretId), value: json({ secretId, sealedSecretKey: Buffer.from(rk.seal(Buffer.from(secretKey), `kms/v1/access-key/${secretId}`)).toString("base64"), status: "Enabled", createTime: 1, description: "", uin: "100000000001", principalUin: "100000000001" }) },
      { type: "put", key: legacyKeyspace.token(`kmst${"B".repeat(16)}`), value: json({ tokenId: `kmst${"B".repeat(16)}`, principalUin: "100123456789", hash: hash("sha256", token, "hex"), description: "", createTime: 3 }) },
    ]);
    await store.close();
    return { material, secretKey, token };
  }

  it("keeps every record readable, adopts the directory once, and rewraps everything until the old key is retired", async () => {
    const dir = await newDir();
    const key = randomBytes(32);
    const legacy = await legacyStore(dir, key);
    const log = captureLog();
    const d = await openTrustedDomain(envOf(dir, key), { log, rotationPage: 2 });
    expect(log.has(/predates the keyring/)).toBe(true);
    // Adopted: the sub-user, its policy, the token and the access key are all there and work.
    expect(d.directory.refused).toEqual([]);
    expect(d.directory.identityOfToken(legacy.token)?.name).toBe("billing");
    expect(d.directory.policiesOf(100123456789n)).toHaveLength(1);
    expect(d.directory.accessKey(`AKID${"A".repeat(32)}`)?.secretKey).toBe(legacy.secretKey);
    expect(d.trust.adoptLegacyDirectory).toBe(false);
    await d.trust.rotationDone();
    const status = await d.trust.status();
    expect(status.versions.map((v) => v.version)).toEqual([1]);
    expect(status.rotation).toBeUndefined();
    expect(log.has(/rotation to version 1 done/)).toBe(true);
    const version = await d.repo.getVersion("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 1);
    const sealed = Buffer.from(version!.sealedMaterial, "base64");
    expect(sealedVersion(sealed)).toBe(1);
    expect(Buffer.from(d.trust.rootKey.unseal(sealed, materialLabel("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 1))).equals(legacy.material)).toBe(true);
    expect((await d.audit.verify()).ok).toBe(true);
    expect(sealedVersion((await d.store.get(keyspace.meta("audit-key")))!)).toBe(1);
    await d.close();

    // Restarted: the same key opens it, nothing is adopted again, everything still reads.
    const d2 = await openTrustedDomain(envOf(dir, key));
    expect(d2.directory.refused).toEqual([]);
    expect(d2.directory.identityOfToken(legacy.token)?.name).toBe("billing");
    expect((await d2.audit.verify()).ok).toBe(true);
    await d2.close();
  });
});
