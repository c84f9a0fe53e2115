/**
 * Keyring rotation survives kill -9: a child process rotating a store of
 * 3,000 sealed records is killed mid-way; the checkpoint in the store says
 * where it was; the next start resumes, finishes, drops the old version, and
 * every record still unseals to what it held. Also measures the rate.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, describe, expect, it } from "vitest";
import { materialLabel, sealedVersion } from "../../src/crypto/seal.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { trustKeyspace } from "../../src/trust/keyspace.js";
import { decodeProgress } from "../../src/trust/rotation.js";
import { captureLog } from "../helpers/log-capture.js";
import { openTrustedDomain } from "../helpers/trust-domain.js";
import { runTsxChild, type LineHandler } from "../helpers/kill-child.js";

const CHILD = join(import.meta.dirname, "fixtures", "rotation-child.ts");
const RECORDS = 3000;

function runChild(args: string[], onLine?: LineHandler): ReturnType<typeof runTsxChild> {
  return runTsxChild(CHILD, args, onLine);
}

let base: string;
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe("keyring rotation and kill -9", () => {
  it("resumes from its checkpoint and loses nothing", async () => {
    base = await mkdtemp(join(tmpdir(), "kms-rotkill-"));
    const dataDir = join(base, "data");
    const rootKey = randomBytes(32).toString("base64");
    expect((await runChild(["fill", dataDir, rootKey, String(RECORDS)])).code).toBe(0);
    const expected = JSON.parse(await readFile(join(base, "expected.json"), "utf8")) as { materials: Record<string, string>; secrets: Record<string, string> };

    let seen = 0;
    const killed = await runChild(["rotate", dataDir, rootKey, "32"], (line, kill) => {
      const m = /^PROGRESS (\d+)$/.exec(line);
      if (m && Number(m[1]) >= 600 && seen === 0) {
        seen = Number(m[1]);
        kill();
      }
    });
    expect(killed.signal).toBe("SIGKILL");

    // The checkpoint: part of the way, not all of it.
    const store = await openLevelStore(join(dataDir, "db"), { sync: true });
    const progress = decodeProgress((await store.get(trustKeyspace.rotation))!);
    expect(progress.target).toBe(2);
    expect(progress.rewrapped).toBeGreaterThanOrEqual(600);
    expect(progress.rewrapped).toBeLessThan(RECORDS);
    let underOld = 0;
    for await (const [, v] of store.scan({ prefix: "v1/versions/" })) if (sealedVersion(Buffer.from(JSON.parse(Buffer.from(v).toString()).sealedMaterial, "base64")) === 1) underOld++;
    expect(underOld).toBeGreaterThan(0);
    await store.close();

    const log = captureLog();
    const d = await openTrustedDomain({ KMS_DATA_DIR: dataDir, KMS_ROOT_KEY: rootKey }, { log });
    expect(log.has(/resuming the keyring rotation to version 2/)).toBe(true);
    await d.trust.rotationDone();
    expect((await d.trust.status()).versions.map((v) => v.version)).toEqual([2]);
    for (const [keyId, hex] of Object.entries(expected.materials)) {
      const v = await d.repo.getVersion(keyId, 1);
      const sealed = Buffer.from(v!.sealedMaterial, "base64");
      expect(sealedVersion(sealed)).toBe(2);
      expect(Buffer.from(d.trust.rootKey.unseal(sealed, materialLabel(keyId, 1))).toString("hex")).toBe(hex);
    }
    for (const [secretId, secretKey] of Object.entries(expected.secrets)) expect(d.directory.accessKey(secretId)?.secretKey).toBe(secretKey);
    expect((await d.audit.verify()).ok).toBe(true);
    expect(await d.store.get(trustKeyspace.rotation)).toBeUndefined();

    // Rate, in process, page of 256 (the default): a full rotation of the same store to version 3.
    const started = performance.now();
    await d.trust.rotateKeyring();
    await d.trust.rotationDone();
    const ms = performance.now() - started;
    const status = await d.trust.status();
    expect(status.versions.map((v) => v.version)).toEqual([3]);
    console.log(`keyring rotation: ${RECORDS + 24} records in ${ms.toFixed(0)} ms (two passes: rewrap, then confirm), ${(((RECORDS + 24) / ms) * 1000).toFixed(0)} records/s`);
    expect(sealedVersion((await d.store.get(keyspace.meta("audit-key")))!)).toBe(3);
    await d.close();
  });
});
