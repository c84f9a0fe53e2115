/**
 * The version state table, cell by cell: each KeyVersionService action on a
 * version in each state, with and without another enabled version; which
 * version is primary; and "decryptable at version N" for blobs under a
 * version in each state. Real actions over LevelDB; expected rows written here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VersionState } from "../../src/keys/key.js";
import { runDueWork } from "../../src/keys/scheduler.js";
import { codeOf, keyIn, openService, type Service } from "./harness.js";

let s: Service;
beforeAll(async () => {
  s = await openService();
});
afterAll(() => s.close());

const UNSUPPORTED = "UnsupportedOperation";
const DAY = 86_400_000;

/** A column: the state of version 1, and whether version 2 is there and Enabled (so 1 is not the only enabled version). */
type Column = `${VersionState}${"" | " +v2"}`;
const COLUMNS: readonly Column[] = ["Enabled", "Enabled +v2", "Disabled +v2", "PendingDelete +v2"];

/** A key whose version 1 is in the column's state; returns the key id and a blob made under version 1. */
async function keyWithVersion1(column: Column): Promise<{ keyId: string; blob: Uint8Array }> {
  let blob: Uint8Array = new Uint8Array();
  const keyId = await keyIn(s, "generated", "Enabled", async (id) => {
    blob = (await s.kms("encrypt", { keyId: id, plaintext: Buffer.from("v1") })).ciphertextBlob as Uint8Array;
  });
  if (column.endsWith("+v2")) {
    await s.kms("enableKeyRotation", { keyId, rotateDays: 30 });
    await s.kms("rotateKey", { keyId });
  }
  if (column.startsWith("Disabled")) await s.versions("disableKeyVersion", { keyId, version: 1 });
  if (column.startsWith("PendingDelete")) await s.versions("scheduleKeyVersionDeletion", { keyId, version: 1, pendingWindowInDays: 7 });
  return { keyId, blob };
}

async function versionState(keyId: string, version: number): Promise<VersionState | undefined> {
  return (await s.record(keyId)).versions.find((v) => v.version === version)?.state;
}

type Row = Partial<Record<Column, string>>;

/** Runs `act` on version 1 in each column: "→ state" on success, else the code; a refusal writes nothing. */
async function row(columns: readonly Column[], act: (keyId: string) => Promise<unknown>): Promise<Row> {
  const cells = await Promise.all(
    columns.map(async (column) => {
      const { keyId } = await keyWithVersion1(column);
      const before = await s.record(keyId);
      const code = await codeOf(act(keyId));
      if (code !== "ok") {
        expect(await s.record(keyId)).toEqual(before);
        return code;
      }
      return `→ ${await versionState(keyId, 1)}`;
    }),
  );
  return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
}

describe("version state table", () => {
  it("EnableKeyVersion", async () => {
    expect(await row(COLUMNS, (keyId) => s.versions("enableKeyVersion", { keyId, version: 1 }))).toEqual({
      Enabled: "→ Enabled",
      "Enabled +v2": "→ Enabled",
      "Disabled +v2": "→ Enabled",
      "PendingDelete +v2": UNSUPPORTED,
    });
  });

  it("DisableKeyVersion: never the only enabled version", async () => {
    expect(await row(COLUMNS, (keyId) => s.versions("disableKeyVersion", { keyId, version: 1 }))).toEqual({
      Enabled: UNSUPPORTED,
      "Enabled +v2": "→ Disabled",
      "Disabled +v2": "→ Disabled",
      "PendingDelete +v2": UNSUPPORTED,
    });
  });

  it("ScheduleKeyVersionDeletion: never the only enabled version", async () => {
    expect(await row(COLUMNS, (keyId) => s.versions("scheduleKeyVersionDeletion", { keyId, version: 1, pendingWindowInDays: 7 }))).toEqual({
      Enabled: UNSUPPORTED,
      "Enabled +v2": "→ PendingDelete",
      "Disabled +v2": "→ PendingDelete",
      "PendingDelete +v2": UNSUPPORTED,
    });
  });

  it("CancelKeyVersionDeletion", async () => {
    expect(await row(COLUMNS, (keyId) => s.versions("cancelKeyVersionDeletion", { keyId, version: 1 }))).toEqual({
      Enabled: UNSUPPORTED,
      "Enabled +v2": UNSUPPORTED,
      "Disabled +v2": UNSUPPORTED,
      "PendingDelete +v2": "→ Disabled",
    });
  });

  it("a version that does not exist is ResourceNotFound; a key that cannot manage versions refuses first", async () => {
    const { keyId } = await keyWithVersion1("Enabled");
    expect(await codeOf(s.versions("enableKeyVersion", { keyId, version: 9 }))).toBe("ResourceNotFound");
    expect(await codeOf(s.versions("describeKeyVersion", { keyId, version: 9 }))).toBe("ResourceNotFound");
    const pending = await keyIn(s, "generated", "PendingDelete");
    expect(await codeOf(s.versions("enableKeyVersion", { keyId: pending, version: 9 }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await codeOf(s.versions("listKeyVersions", { keyId: pending }))).toBe("ok");
  });

  it("cancelling a version's deletion unschedules its purge", async () => {
    const { keyId } = await keyWithVersion1("PendingDelete +v2");
    await s.versions("cancelKeyVersionDeletion", { keyId, version: 1 });
    s.clock.advance(8 * DAY);
    await runDueWork(s.deps);
    expect(await versionState(keyId, 1)).toBe("Disabled");
  });
});

describe("primary version and decryptable at version N", () => {
  it("the newest enabled version is primary; disabling it makes the one before primary again", async () => {
    const { keyId } = await keyWithVersion1("Enabled +v2");
    const v = async () => ((await s.kms("describeKey", { keyId })).keyMetadata as { primaryVersion: number }).primaryVersion;
    expect(await v()).toBe(2);
    await s.versions("disableKeyVersion", { keyId, version: 2 });
    expect(await v()).toBe(1);
    const blob = (await s.kms("encrypt", { keyId, plaintext: Buffer.from("x") })).ciphertextBlob as Uint8Array;
    expect(Buffer.from(blob).readUInt32BE(18)).toBe(1);
  });

  it("a blob decrypts while its version is Enabled; Disabled or PendingDelete: KeyDisabled; purged: InvalidCiphertext", async () => {
    const decrypt = async (column: Column) => {
      const { blob } = await keyWithVersion1(column);
      return codeOf(s.kms("decrypt", { ciphertextBlob: blob }));
    };
    expect(await decrypt("Enabled")).toBe("ok");
    expect(await decrypt("Enabled +v2")).toBe("ok");
    expect(await decrypt("Disabled +v2")).toBe("ResourceUnavailable.KeyDisabled");
    const { keyId, blob } = await keyWithVersion1("PendingDelete +v2");
    expect(await codeOf(s.kms("decrypt", { ciphertextBlob: blob }))).toBe("ResourceUnavailable.KeyDisabled");
    s.clock.advance(8 * DAY);
    await runDueWork(s.deps);
    expect(await versionState(keyId, 1)).toBeUndefined();
    expect(await codeOf(s.kms("decrypt", { ciphertextBlob: blob }))).toBe("InvalidParameterValue.InvalidCiphertext");
  });
});
