/**
 * The HSM root against a real SoftHSM2 token made in a temp dir: the root key
 * is created non-extractable inside the token and never leaves it (reading
 * its value or wrapping it out fails), the keyring opens only with that key,
 * a wrong PIN or a missing or extractable key stops the start, the root
 * rotates to a new key online, and a development store moves into the HSM.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type * as Pkcs11Js from "pkcs11js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealedVersion } from "../../src/crypto/seal.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { readKeyringRecord } from "../../src/trust/keyring-record.js";
import { TrustError } from "../../src/trust/root.js";
import { captureLog } from "../helpers/log-capture.js";
import { createSoftHsm, softhsmMissing, type SoftHsm } from "../helpers/softhsm.js";
import { openStoreAndTrust, openTrustedDomain } from "../helpers/trust-domain.js";

const skip = softhsmMissing();
const PIN = "4321";
const TOKEN = "kms-test";
let hsm: SoftHsm;
const dirs: string[] = [];

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "kms-p11-"));
  dirs.push(d);
  return d;
}

function pkcs11Env(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { KMS_DATA_DIR: dir, KMS_SEAL: "pkcs11", KMS_PKCS11_LIBRARY: hsm.library, KMS_PKCS11_TOKEN_LABEL: TOKEN, KMS_PKCS11_PIN: PIN, KMS_PKCS11_GENERATE_KEY: "true", ...extra };
}

/** Opens the token directly, as someone holding the PIN would, to try to get the key out. */
function withToken<T>(fn: (p11: Pkcs11Js.PKCS11, mod: typeof Pkcs11Js, session: Buffer) => T): T {
  const mod = createRequire(import.meta.url)("pkcs11js") as typeof Pkcs11Js;
  const p11 = new mod.PKCS11();
  p11.load(hsm.library);
  p11.C_Initialize();
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === TOKEN)!;
    const session = p11.C_OpenSession(slot, mod.CKF_SERIAL_SESSION | mod.CKF_RW_SESSION);
    p11.C_Login(session, mod.CKU_USER, PIN);
    return fn(p11, mod, session);
  } finally {
    p11.C_Finalize();
  }
}

function keysLabelled(label: string): Buffer[] {
  return withToken((p11, mod, session) => {
    p11.C_FindObjectsInit(session, [{ type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY }, { type: mod.CKA_LABEL, value: label }]);
    const found = p11.C_FindObjects(session, 10);
    p11.C_FindObjectsFinal(session);
    return found.map((h) => p11.C_GetAttributeValue(session, h, [{ type: mod.CKA_ID }])[0]!.value as Buffer);
  });
}

beforeAll(async () => {
  if (skip) return;
  hsm = await createSoftHsm();
  hsm.initToken(TOKEN, PIN);
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await hsm?.cleanup();
});

describe.skipIf(skip !== undefined)("PKCS#11 root of trust (SoftHSM2)", () => {
  it("creates a non-extractable key in the token, wraps the keyring with it, and reopens with it alone", async () => {
    const dir = await dataDir();
    const log = captureLog();
    const started = performance.now();
    const d = await openTrustedDomain(pkcs11Env(dir), { log });
    const firstStart = performance.now() - started;
    expect(log.has(/created the root key "tc-kms-root" \(id [0-9a-f]{16}\) in the PKCS#11 token/)).toBe(true);
    expect(log.has(/development key/)).toBe(false);
    const { record } = await d.directory.createAccessKey(d.config.accountUin, "", 1);
    expect(sealedVersion(Buffer.from(record.sealedSecretKey, "base64"))).toBe(1);
    await d.close();
    // No root key in the environment or on disk.
    expect(existsSync(join(dir, "root.key"))).toBe(false);

    const t = performance.now();
    const d2 = await openTrustedDomain(pkcs11Env(dir, { KMS_PKCS11_GENERATE_KEY: "false" }));
    const restart = performance.now() - t;
    expect(d2.directory.getAccessKey(record.secretId)).toBeDefined();
    expect((await d2.trust.status()).root).toMatchObject({ mode: "pkcs11", keyLabel: "tc-kms-root" });
    await d2.close();
    console.log(`PKCS#11 (SoftHSM2): first start (key generated) ${firstStart.toFixed(0)} ms, restart ${restart.toFixed(0)} ms (store open, unwrap, directory, audit)`);

    // The key cannot be read out or wrapped out of the token.
    withToken((p11, mod, session) => {
      p11.C_FindObjectsInit(session, [{ type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY }, { type: mod.CKA_LABEL, value: "tc-kms-root" }]);
      const [key] = p11.C_FindObjects(session, 10);
      p11.C_FindObjectsFinal(session);
      expect(key).toBeDefined();
      expect(() => p11.C_GetAttributeValue(session, key!, [{ type: mod.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      const wrapper = p11.C_GenerateKey(session, { mechanism: mod.CKM_AES_KEY_GEN }, [
        { type: mod.CKA_VALUE_LEN, value: 32 },
        { type: mod.CKA_WRAP, value: true },
        { type: mod.CKA_TOKEN, value: false },
      ]);
      expect(() => p11.C_WrapKey(session, { mechanism: mod.CKM_AES_KEY_WRAP_PAD }, wrapper, key!, Buffer.alloc(128))).toThrow(/CKR_KEY_UNEXTRACTABLE/);
      const attrs = p11.C_GetAttributeValue(session, key!, [{ type: mod.CKA_EXTRACTABLE }, { type: mod.CKA_SENSITIVE }]);
      expect((attrs[0]!.value as Buffer)[0]).toBe(0);
      expect((attrs[1]!.value as Buffer)[0]).toBe(1);
    });
  });

  it("stops the start on a wrong PIN, a missing key, or an extractable key, and writes nothing", async () => {
    const dir = await dataDir();
    await expect(openStoreAndTrust(pkcs11Env(dir, { KMS_PKCS11_PIN: "0000" }))).rejects.toThrow(/PKCS#11 login failed/);
    await expect(openStoreAndTrust(pkcs11Env(dir, { KMS_PKCS11_KEY_LABEL: "absent", KMS_PKCS11_GENERATE_KEY: "false" }))).rejects.toThrow(/no key labelled "absent".*KMS_PKCS11_GENERATE_KEY/);
    withToken((p11, mod, session) => {
      p11.C_GenerateKey(session, { mechanism: mod.CKM_AES_KEY_GEN }, [
        { type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY },
        { type: mod.CKA_KEY_TYPE, value: mod.CKK_AES },
        { type: mod.CKA_VALUE_LEN, value: 32 },
        { type: mod.CKA_TOKEN, value: true },
        { type: mod.CKA_PRIVATE, value: true },
        { type: mod.CKA_SENSITIVE, value: false },
        { type: mod.CKA_EXTRACTABLE, value: true },
        { type: mod.CKA_ENCRYPT, value: true },
        { type: mod.CKA_DECRYPT, value: true },
        { type: mod.CKA_LABEL, value: "leaky" },
      ]);
    });
    await expect(openStoreAndTrust(pkcs11Env(dir, { KMS_PKCS11_KEY_LABEL: "leaky" }))).rejects.toThrow(/can be extracted from the token/);
    await expect(openStoreAndTrust(pkcs11Env(dir, { KMS_PKCS11_TOKEN_LABEL: "nope" }))).rejects.toThrow(TrustError);
    const store = await openLevelStore(join(dir, "db"), { sync: true });
    expect(await readKeyringRecord(store)).toBeUndefined();
    await store.close();
  });

  it("rotates the root to a new HSM key online; the next start needs the new key, the old one stays in the token", async () => {
    const dir = await dataDir();
    const d = await openTrustedDomain(pkcs11Env(dir, { KMS_PKCS11_KEY_LABEL: "rot" }));
    const before = (await d.trust.status()).root;
    const sealedBefore = d.trust.rootKey.seal(Buffer.from("x"), "l");
    const { root } = await d.trust.rotateRoot();
    expect(root.mode).toBe("pkcs11");
    expect(root).not.toEqual(before);
    // The keyring did not change: what was sealed still unseals, and new seals use the same version.
    expect(Buffer.from(d.trust.rootKey.unseal(sealedBefore, "l")).toString()).toBe("x");
    await d.close();
    expect(keysLabelled("rot")).toHaveLength(2);
    const d2 = await openTrustedDomain(pkcs11Env(dir, { KMS_PKCS11_KEY_LABEL: "rot", KMS_PKCS11_GENERATE_KEY: "false" }));
    expect((await d2.trust.status()).root).toEqual(root);
    await d2.close();
  });

  it("moves a development store into the HSM at start; the development key then no longer opens it", async () => {
    const dir = await dataDir();
    const devKey = randomBytes(32).toString("base64");
    const d = await openTrustedDomain({ KMS_DATA_DIR: dir, KMS_ROOT_KEY: devKey });
    const { record, secretKey } = await d.directory.createAccessKey(d.config.accountUin, "", 1);
    await d.close();
    const log = captureLog();
    const moved = await openTrustedDomain(pkcs11Env(dir, { KMS_ROOT_KEY: devKey, KMS_PKCS11_KEY_LABEL: "moved" }), { log });
    expect(log.has(/now wrapped by the HSM key "moved"/)).toBe(true);
    expect(moved.directory.accessKey(record.secretId)?.secretKey).toBe(secretKey);
    await moved.close();
    await expect(openStoreAndTrust({ KMS_DATA_DIR: dir, KMS_ROOT_KEY: devKey })).rejects.toThrow(/set KMS_SEAL=pkcs11/);
    const again = await openTrustedDomain(pkcs11Env(dir, { KMS_PKCS11_KEY_LABEL: "moved", KMS_PKCS11_GENERATE_KEY: "false" }));
    expect(again.directory.accessKey(record.secretId)?.secretKey).toBe(secretKey);
    await again.close();
  });
});
