/**
 * Directory records under the keyring (in process, over a real store): a
 * record altered, moved to another store key, or planted without a MAC is
 * refused and logged once by store key; a keyring rotation rewraps every MAC
 * and access-key secret under the directory's own lock, so changes made
 * while it runs are never lost.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sealedVersion } from "../../src/crypto/seal.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { captureLog } from "../helpers/log-capture.js";
import { openTrustedDomain } from "../helpers/trust-domain.js";

const ACCOUNT = "100000000001";
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function env(): Promise<Record<string, string>> {
  const d = await mkdtemp(join(tmpdir(), "kms-dirmac-"));
  dirs.push(d);
  return { KMS_DATA_DIR: d, KMS_ROOT_KEY: randomBytes(32).toString("base64") };
}

describe("directory MACs", () => {
  it("refuses altered, moved and unauthenticated records, once each, and serves the rest", async () => {
    const e = await env();
    const d = await openTrustedDomain(e);
    const a = await d.directory.createPrincipal("alice", "", 1);
    const b = await d.directory.createPrincipal("bob", "", 1);
    const ta = await d.directory.createToken(BigInt(a.uin), "", 1);
    const tb = await d.directory.createToken(BigInt(b.uin), "", 1);
    await d.directory.createPolicy("p", "", '{"version":"2.0","statement":[{"effect":"allow","action":["kms:*"],"resource":["*"]}]}', 1);
    await d.close();

    const store = await openLevelStore(join(e.KMS_DATA_DIR!, "db"), { sync: true });
    const policyBytes = Buffer.from((await store.get(keyspace.policy(ACCOUNT, "p")))!).toString("utf8");
    const altered = policyBytes.replace('"description":""', '"description":"x"');
    expect(altered).not.toBe(policyBytes);
    // Bob's token record copied under Alice's token id: its MAC names Bob's store key.
    const moved = await store.get(keyspace.token(ACCOUNT, tb.record.tokenId));
    const unauthenticated = JSON.stringify({ f: 1, uin: "100999999999", name: "eve", description: "", createTime: 1, root: true, policies: [] });
    await store.batch([
      { type: "put", key: keyspace.policy(ACCOUNT, "p"), value: Buffer.from(altered) },
      { type: "put", key: keyspace.token(ACCOUNT, ta.record.tokenId), value: moved! },
      { type: "put", key: keyspace.principal(ACCOUNT, "100999999999"), value: Buffer.from(unauthenticated) },
    ]);
    await store.close();

    const log = captureLog();
    const d2 = await openTrustedDomain(e, { log });
    const refused = log.lines.filter((l) => l.includes("directory record refused"));
    expect(refused, refused.join("\n")).toHaveLength(3);
    expect(refused.join("\n")).toContain(`${keyspace.policy(ACCOUNT, "p")} does not match its MAC`);
    expect(refused.join("\n")).toContain(`${keyspace.token(ACCOUNT, ta.record.tokenId)} does not match its MAC`);
    expect(refused.join("\n")).toContain(`${keyspace.principal(ACCOUNT, "100999999999")} carries no MAC`);
    // Never the record's contents in the log.
    expect(refused.join("\n")).not.toContain(tb.record.hash);
    expect(d2.directory.principal(100999999999n)).toBeUndefined();
    expect(d2.directory.identityOfToken(ta.token)).toBeUndefined();
    expect(d2.directory.identityOfToken(tb.token)?.name).toBe("bob");
    expect(d2.directory.policy("p")).toBeUndefined();
    await d2.close();
  });

  it("rotation rewraps MACs and secrets without losing a change made meanwhile", async () => {
    const e = await env();
    const d = await openTrustedDomain(e, { rotationPage: 4 });
    const owner = BigInt((await d.directory.createPrincipal("svc", "", 1)).uin);
    const keys: { secretId: string; secretKey: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const { record, secretKey } = await d.directory.createAccessKey(owner, "", 1);
      keys.push({ secretId: record.secretId, secretKey });
    }
    await d.trust.rotateKeyring();
    // Flip statuses, several writers at once, until the rotation ends: the last status set must survive.
    const last = new Map<string, "Enabled" | "Disabled">();
    let rotating = true;
    void d.trust.rotationDone().then(() => (rotating = false));
    let flips = 0;
    const writer = async (offset: number) => {
      for (let round = 0; rotating || round < 2; round++)
        for (let i = offset; i < keys.length; i += 4) {
          const k = keys[i]!;
          const status = (round + i) % 2 === 0 ? "Disabled" : "Enabled";
          await d.directory.setAccessKeyStatus(k.secretId, status);
          last.set(k.secretId, status);
          flips++;
        }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    expect(flips).toBeGreaterThan(keys.length);
    await d.trust.rotationDone();
    expect((await d.trust.status()).versions.map((v) => v.version)).toEqual([2]);
    for (const k of keys) {
      const stored = JSON.parse(Buffer.from((await d.store.get(keyspace.accessKey(ACCOUNT, k.secretId)))!).toString("utf8")) as { status: string; sealedSecretKey: string; mac: string };
      expect(stored.status).toBe(last.get(k.secretId));
      expect(sealedVersion(Buffer.from(stored.sealedSecretKey, "base64"))).toBe(2);
      expect(sealedVersion(Buffer.from(stored.mac, "base64"))).toBe(2);
    }
    await d.close();
    const d2 = await openTrustedDomain(e);
    expect(d2.directory.refused).toEqual([]);
    for (const k of keys) expect(d2.directory.getAccessKey(k.secretId)?.status).toBe(last.get(k.secretId));
    const anyEnabled = keys.find((k) => last.get(k.secretId) === "Enabled")!;
    expect(d2.directory.accessKey(anyEnabled.secretId)?.secretKey).toBe(anyEnabled.secretKey);
    await d2.close();
  });
});
