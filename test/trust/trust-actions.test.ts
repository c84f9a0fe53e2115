/**
 * TrustService and UnsealService actions over a real store: root only,
 * one keyring rotation at a time, the development root does not rotate,
 * unseal calls on a service that is never sealed are refused with their
 * code; and a keyring rotation racing purges of key versions (under the key
 * lock, as the scheduler does) never brings a purged record back.
 */
import { create } from "@bufbuild/protobuf";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GetKeyringStatusRequestSchema, RotateKeyringRequestSchema, RotateRootOfTrustRequestSchema } from "../../gen/kms/v1/trust_pb.js";
import { GetSealStatusRequestSchema, InitializeSealRequestSchema, SubmitUnsealShareRequestSchema } from "../../gen/kms/v1/unseal_pb.js";
import type { CallContext } from "../../src/call.js";
import { materialLabel, sealedVersion } from "../../src/crypto/seal.js";
import { KmsError } from "../../src/errors.js";
import { keyLock } from "../../src/keys/locks.js";
import { keyspace } from "../../src/store/keyspace.js";
import { trustActions, unsealActions } from "../../src/trust/actions/index.js";
import { openTrustedDomain } from "../helpers/trust-domain.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function env(): Promise<Record<string, string>> {
  const d = await mkdtemp(join(tmpdir(), "kms-tact-"));
  dirs.push(d);
  return { KMS_DATA_DIR: d, KMS_ROOT_KEY: randomBytes(32).toString("base64") };
}

const call = (root: boolean): CallContext => ({
  requestId: "r",
  uin: 100000000001n,
  region: "ap-guangzhou",
  principal: { uin: root ? 100000000001n : 100123456789n, account: 100000000001n, name: root ? "root" : "sub", root, operator: root, credential: "t" },
  journal: async () => undefined,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KmsError) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("TrustService actions", () => {
  it("are the root's alone, run one rotation at a time, and report it", async () => {
    const d = await openTrustedDomain(await env(), { rotationPage: 2 });
    const deps = { trust: d.trust };
    expect(await codeOf(trustActions.rotateKeyring(deps, create(RotateKeyringRequestSchema), call(false)))).toBe("UnauthorizedOperation");
    expect(await codeOf(trustActions.getKeyringStatus(deps, create(GetKeyringStatusRequestSchema), call(false)))).toBe("UnauthorizedOperation");
    for (let i = 0; i < 30; i++) await d.directory.createPrincipal(`p${i}`, "", 1);
    const started = await trustActions.rotateKeyring(deps, create(RotateKeyringRequestSchema), call(true));
    expect(started.rotation).toMatchObject({ targetVersion: 2, pass: 1 });
    expect(await codeOf(trustActions.rotateKeyring(deps, create(RotateKeyringRequestSchema), call(true)))).toBe("UnsupportedOperation");
    const during = await trustActions.getKeyringStatus(deps, create(GetKeyringStatusRequestSchema), call(true));
    expect(during).toMatchObject({ sealType: "dev", currentVersion: 2, root: "development key" });
    expect(during.versions?.map((v) => v.version)).toEqual([1, 2]);
    await d.trust.rotationDone();
    const after = await trustActions.getKeyringStatus(deps, create(GetKeyringStatusRequestSchema), call(true));
    expect(after.versions?.map((v) => v.version)).toEqual([2]);
    expect(after.rotation).toBeUndefined();
    expect(await codeOf(trustActions.rotateRootOfTrust(deps, create(RotateRootOfTrustRequestSchema), call(true)))).toBe("UnsupportedOperation");
    expect(await codeOf(trustActions.rotateRootOfTrust(deps, create(RotateRootOfTrustRequestSchema, { shares: 3 }), call(true)))).toBe("InvalidParameterValue");
    await d.close();
  });

  it("UnsealService on a service that is never sealed: status answers, the rest is refused", async () => {
    const deps = { mode: "dev" as const, unsealer: undefined };
    const status = await unsealActions.getSealStatus(deps, create(GetSealStatusRequestSchema), call(false));
    expect(status.status).toMatchObject({ sealed: false, sealType: "dev" });
    expect(await codeOf(unsealActions.initializeSeal(deps, create(InitializeSealRequestSchema, { shares: 3, threshold: 2 }), call(false)))).toBe("UnsupportedOperation");
    expect(await codeOf(unsealActions.submitUnsealShare(deps, create(SubmitUnsealShareRequestSchema, { share: "x" }), call(false)))).toBe("UnsupportedOperation");
  });
});

describe("rotation and purges", () => {
  it("never resurrects a key version purged while the rotation runs", async () => {
    const d = await openTrustedDomain(await env(), { rotationPage: 8 });
    const ids: string[] = [];
    const ops = [];
    for (let i = 0; i < 400; i++) {
      const keyId = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
      ids.push(keyId);
      const record = { f: 1, keyId, version: 1, algorithm: "AES_256_GCM", createTime: 1, sealedMaterial: Buffer.from(d.trust.rootKey.seal(randomBytes(32), materialLabel(keyId, 1))).toString("base64") };
      ops.push({ type: "put" as const, key: keyspace.version(keyId, 1), value: Buffer.from(JSON.stringify(record)) });
    }
    await d.store.batch(ops);
    await d.trust.rotateKeyring();
    // Purge every third version as the scheduler does: under the key's lock.
    const purged = ids.filter((_, i) => i % 3 === 0);
    await Promise.all(purged.map((id) => d.locks.run([keyLock(id)], () => d.store.batch([{ type: "del", key: keyspace.version(id, 1) }]))));
    await d.trust.rotationDone();
    for (const id of purged) expect(await d.store.get(keyspace.version(id, 1))).toBeUndefined();
    for (const id of ids.filter((_, i) => i % 3 !== 0)) {
      const v = await d.repo.getVersion(id, 1);
      expect(sealedVersion(Buffer.from(v!.sealedMaterial, "base64"))).toBe(2);
    }
    await d.close();
  });
});

describe("rotation and a corrupted record", () => {
  it("names it, rewraps the rest, and keeps the old version instead of dropping it", async () => {
    const { captureLog } = await import("../helpers/log-capture.js");
    const log = captureLog();
    const d = await openTrustedDomain(await env(), { rotationPage: 4, log });
    const ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"];
    for (const keyId of ids) {
      const record = { f: 1, keyId, version: 1, algorithm: "AES_256_GCM", createTime: 1, sealedMaterial: Buffer.from(d.trust.rootKey.seal(randomBytes(32), materialLabel(keyId, 1))).toString("base64") };
      await d.store.batch([{ type: "put", key: keyspace.version(keyId, 1), value: Buffer.from(JSON.stringify(record)) }]);
    }
    const bad = JSON.parse(Buffer.from((await d.store.get(keyspace.version(ids[0]!, 1)))!).toString()) as { sealedMaterial: string };
    const sealed = Buffer.from(bad.sealedMaterial, "base64");
    sealed[sealed.length - 1]! ^= 1;
    await d.store.batch([{ type: "put", key: keyspace.version(ids[0]!, 1), value: Buffer.from(JSON.stringify({ ...bad, sealedMaterial: sealed.toString("base64") })) }]);
    await d.trust.rotateKeyring();
    await d.trust.rotationDone();
    expect(log.lines.filter((l) => l.includes(`cannot read ${keyspace.version(ids[0]!, 1)}`))).toHaveLength(1);
    expect(log.has(/ends with 1 unreadable record/)).toBe(true);
    expect((await d.trust.status()).versions.map((v) => v.version)).toEqual([1, 2]);
    const good = await d.repo.getVersion(ids[1]!, 1);
    expect(sealedVersion(Buffer.from(good!.sealedMaterial, "base64"))).toBe(2);
    // A next rotation may start: the abandoned one is gone.
    await expect(d.trust.rotateKeyring()).resolves.toMatchObject({ target: 3 });
    await d.trust.rotationDone();
    await d.close();
  });
});

describe("rotation and a space nobody registered", () => {
  it("rewraps what is registered but keeps the old versions while an unregistered record exists", async () => {
    const { captureLog } = await import("../helpers/log-capture.js");
    const log = captureLog();
    const d = await openTrustedDomain(await env(), { log });
    // A later family's record, sealed, whose kind was never registered (secrets are registered now: a space nobody has).
    await d.store.batch([{ type: "put", key: "v1/later-family/acct/region/db-password", value: d.trust.rootKey.seal(Buffer.from("hunter2"), "kms/v1/secret/db-password") }]);
    await d.trust.rotateKeyring();
    await d.trust.rotationDone();
    expect(log.has(/v1\/later-family\/acct\/region\/db-password belongs to no registered sealed record kind; older keyring versions are kept/)).toBe(true);
    expect((await d.trust.status()).versions.map((v) => v.version)).toEqual([1, 2]);
    // Still readable: nothing was lost.
    const back = d.trust.rootKey.unseal((await d.store.get("v1/later-family/acct/region/db-password"))!, "kms/v1/secret/db-password");
    expect(Buffer.from(back).toString()).toBe("hunter2");
    await d.close();
  });
});
