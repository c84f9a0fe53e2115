/**
 * Sealed values and validity windows: each version's value is encrypted by the
 * secret's CMK through the real key domain, bound to its place; a disabled,
 * pending or purged CMK makes values unreadable with SSM's documented code
 * (the key domain's code in the message); rotating the CMK changes nothing for
 * readers; a version outside its window is not served. Last, a grep of
 * everything stored (the live store, the LevelDB files on disk, every journal
 * batch), every error message and all console output for the values.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseBlob } from "../../src/crypto/ciphertext.js";
import { runDueWork as runKeyDueWork } from "../../src/keys/scheduler.js";
import { ACCOUNT, codeOf, errorOf, expectRefusedUnchanged, openHarness, REGION, type Harness } from "./secrets-harness.js";

let h: Harness;
const scope = { account: ACCOUNT.toString(), region: REGION };
/** Every value this file stores: none may be found in clear anywhere. */
const VALUES: string[] = [];
const errorMessages: string[] = [];
const consoleLines: string[] = [];

function marker(label: string): string {
  const v = `${label}-${Math.random().toString(36).slice(2)}-MARKER`;
  VALUES.push(v);
  return v;
}

async function failing(p: Promise<unknown>): Promise<string> {
  const e = await errorOf(p);
  errorMessages.push(e.message, String(e.cause ?? ""));
  return e.code;
}

beforeAll(async () => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(" ")));
  h = await openHarness();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await h.close();
});

describe("validity windows", () => {
  let v1: string;
  const at = (ms: number) => BigInt(Math.floor(ms / 1000));

  it("a version is served only inside [ValidFrom, ValidTo)", async () => {
    v1 = marker("window");
    await h.ssm("CreateSecret", { secretName: "windowed", versionId: "v1", secretString: v1 });
    const now = h.clock.now();
    const out = await h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1", validFrom: at(now + 3_600_000), validTo: at(now + 7_200_000) });
    expect(out).toMatchObject({ secretName: "windowed", versionId: "v1", validFrom: at(now + 3_600_000), validTo: at(now + 7_200_000) });
    const early = await errorOf(h.ssm("GetSecretValue", { secretName: "windowed", versionId: "v1" }));
    expect(early.code).toBe("ResourceUnavailable");
    expect(early.message).toContain("is not valid before");
    expect((await h.ssm("DescribeSecretVersion", { secretName: "windowed", versionId: "v1" })).servable).toBe(false);
    h.clock.advance(3_600_000);
    expect((await h.ssm("GetSecretValue", { secretName: "windowed", versionId: "v1" })).secretString).toBe(v1);
    expect((await h.ssm("DescribeSecretVersion", { secretName: "windowed", versionId: "v1" })).servable).toBe(true);
    h.clock.advance(3_600_000 - 1000);
    expect((await h.ssm("GetSecretValue", { secretName: "windowed", versionId: "v1" })).secretString).toBe(v1);
    h.clock.advance(1000);
    const late = await errorOf(h.ssm("GetSecretValue", { secretName: "windowed", versionId: "v1" }));
    expect(late.code).toBe("ResourceUnavailable");
    expect(late.message).toContain("expired at");
    const listed = (await h.ssm("ListSecretVersionIds", { secretName: "windowed" })).versions[0]!;
    expect([listed.validFrom, listed.validTo]).toEqual([at(now + 3_600_000), at(now + 7_200_000)]);
  });

  it("an unset bound stays; 0 removes it", async () => {
    await h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1", validTo: 0n });
    const d = await h.ssm("DescribeSecretVersion", { secretName: "windowed", versionId: "v1" });
    expect(d.validTo).toBe(0n);
    expect(d.validFrom).not.toBe(0n);
    expect((await h.ssm("GetSecretValue", { secretName: "windowed", versionId: "v1" })).secretString).toBe(v1);
  });

  it("refuses an empty, inverted or out-of-range window with InvalidParameterValue, writing nothing", async () => {
    const now = h.clock.now();
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1", validTo: at(now - 7_200_000) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1", validFrom: at(now), validTo: at(now) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1", validTo: -5n }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecretVersion", { secretName: "windowed", versionId: "v1", validTo: 253_402_300_800n }), "InvalidParameterValue");
  });
});

describe("values sealed by the CMK", () => {
  let cmk: string;
  let value: string;

  beforeAll(async () => {
    cmk = (await h.kmsCall("CreateKey", { alias: "crypto-cmk" })).keyId;
    value = marker("sealed");
    await h.ssm("CreateSecret", { secretName: "sealed", versionId: "v1", secretString: value, kmsKeyId: cmk });
  });

  it("stores only the key domain's ciphertext, naming the CMK", async () => {
    const stored = await h.secrets.repo.getValue(scope, "sealed", "v1");
    const blob = parseBlob(Buffer.from(stored!.blob, "base64"));
    expect(blob.keyId).toBe(cmk);
    expect(blob.keyVersion).toBe(1);
  });

  it("a disabled CMK makes the secret unreadable (FailedOperation.AccessKmsError, CmkDisabled in the message); enabling it makes it readable again", async () => {
    await h.kmsCall("DisableKey", { keyId: cmk });
    const e = await errorOf(h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" }));
    errorMessages.push(e.message);
    expect(e.code).toBe("FailedOperation.AccessKmsError");
    expect(e.message).toContain("ResourceUnavailable.CmkDisabled");
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "sealed", versionId: "v2", secretString: marker("refused") }), "FailedOperation.AccessKmsError");
    expect(await failing(h.ssm("ExportSecret", { secretName: "sealed", kmsKeyId: cmk }))).toBe("FailedOperation.AccessKmsError");
    await h.kmsCall("EnableKey", { keyId: cmk });
    expect((await h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" })).secretString).toBe(value);
  });

  it("rotating the CMK changes nothing for readers; new versions use the new key version", async () => {
    await h.kmsCall("EnableKeyRotation", { keyId: cmk });
    await h.kmsCall("RotateKey", { keyId: cmk });
    const v2 = marker("rotated");
    await h.ssm("PutSecretValue", { secretName: "sealed", versionId: "v2", secretString: v2 });
    expect(parseBlob(Buffer.from((await h.secrets.repo.getValue(scope, "sealed", "v2"))!.blob, "base64")).keyVersion).toBe(2);
    expect((await h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" })).secretString).toBe(value);
    expect((await h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v2" })).secretString).toBe(v2);
  });

  it("a blob moved onto another version or secret does not decrypt: InternalError, never the value", async () => {
    await h.ssm("CreateSecret", { secretName: "other", versionId: "v1", secretString: marker("other"), kmsKeyId: cmk });
    const v1 = await h.secrets.repo.getValue(scope, "sealed", "v1");
    await h.store.batch([h.secrets.repo.putValue(scope, "sealed", "v2", v1!), h.secrets.repo.putValue(scope, "other", "v1", v1!)]);
    for (const [name, version] of [
      ["sealed", "v2"],
      ["other", "v1"],
    ] as const) {
      const e = await errorOf(h.ssm("GetSecretValue", { secretName: name, versionId: version }));
      errorMessages.push(e.message);
      expect(e.code).toBe("InternalError");
      expect(e.message).toContain("failed its integrity check");
    }
    // A kind flipped in storage (text ↔ binary) is part of the context too.
    await h.store.batch([h.secrets.repo.putValue(scope, "sealed", "v1", { ...v1!, kind: "binary" })]);
    expect(await failing(h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" }))).toBe("InternalError");
    await h.store.batch([h.secrets.repo.putValue(scope, "sealed", "v1", v1!)]);
    expect((await h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" })).secretString).toBe(value);
  });

  it("a CMK pending deletion, then purged, makes the secret unreadable with AccessKmsError", async () => {
    await h.kmsCall("DisableKey", { keyId: cmk });
    await h.kmsCall("ScheduleKeyDeletion", { keyId: cmk, pendingWindowInDays: 7 });
    const pending = await errorOf(h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" }));
    expect(pending.code).toBe("FailedOperation.AccessKmsError");
    expect(pending.message).toContain("ResourceUnavailable.CmkStateNotSupport");
    h.clock.advance(8 * 86_400_000);
    await runKeyDueWork(h.kms);
    const gone = await errorOf(h.ssm("GetSecretValue", { secretName: "sealed", versionId: "v1" }));
    errorMessages.push(pending.message, gone.message);
    expect(gone.code).toBe("FailedOperation.AccessKmsError");
    expect(gone.message).toContain("ResourceUnavailable.CmkNotFound");
    // Metadata stays readable.
    expect((await h.ssm("DescribeSecret", { secretName: "sealed" })).kmsKeyId).toBe(cmk);
  });

  it("the default CMK obeys the same rules", async () => {
    const v = marker("default");
    await h.ssm("CreateSecret", { secretName: "on-default", secretBinary: Buffer.from(v) });
    const keyId = (await h.ssm("DescribeSecret", { secretName: "on-default" })).kmsKeyId;
    await h.kmsCall("DisableKey", { keyId });
    expect(await failing(h.ssm("GetSecretValue", { secretName: "on-default", versionId: "SSM_Current" }))).toBe("FailedOperation.AccessKmsError");
    // A new secret on the default CMK is refused too, and no second default key appears.
    expect(await failing(h.ssm("CreateSecret", { secretName: "on-default-2", secretString: marker("refused") }))).toBe("FailedOperation.AccessKmsError");
    await h.kmsCall("EnableKey", { keyId });
    expect(Buffer.from((await h.ssm("GetSecretValue", { secretName: "on-default", versionId: "SSM_Current" })).secretBinary).toString()).toBe(v);
    const aliases = (await h.kmsCall("ListKeyDetail", { limit: 200, allKeyUsages: true })).keyMetadatas.filter((k) => k.alias.startsWith("ssm-default-"));
    expect(aliases.length).toBe(1);
  });

  it("concurrent first uses create one default CMK for the account and region", async () => {
    const region = "ap-shanghai";
    await Promise.all(Array.from({ length: 5 }, (_, i) => h.ssm("CreateSecret", { secretName: `race-${i}`, secretString: marker("race") }, h.call({ region }))));
    const keys = new Set<string>();
    for (let i = 0; i < 5; i++) keys.add((await h.ssm("DescribeSecret", { secretName: `race-${i}` }, h.call({ region }))).kmsKeyId);
    expect(keys.size).toBe(1);
  });
});

describe("no value in clear anywhere", () => {
  it("SSH private keys and export packages join the values to look for", async () => {
    const ssh = await h.ssm("CreateSSHKeyPairSecret", { secretName: "ssh-grep", projectId: 0n });
    const pair = await h.ssm("GetSSHKeyPairValue", { secretName: ssh.secretName });
    // The base64 body of the private key: what would show if it were stored in clear.
    VALUES.push(Buffer.from(pair.privateKey).toString().split("\n")[2]!);
    const cmk = (await h.kmsCall("CreateKey", { alias: "grep-cmk" })).keyId;
    const v = marker("exported");
    await h.ssm("CreateSecret", { secretName: "exp-grep", secretString: v });
    const pkg = (await h.ssm("ExportSecret", { secretName: "exp-grep", kmsKeyId: cmk })).package;
    expect(Buffer.from(pkg).includes(Buffer.from(v))).toBe(false);
    await h.ssm("ImportSecret", { package: pkg, secretName: "imp-grep", kmsKeyId: "" });
    expect((await h.ssm("GetSecretValue", { secretName: "imp-grep", versionId: "SSM_Current" })).secretString).toBe(v);
  });

  it("finds none in the store, its files on disk, the journal, error messages or console output", async () => {
    expect(VALUES.length).toBeGreaterThan(8);
    const needles = VALUES.flatMap((v) => [Buffer.from(v), Buffer.from(Buffer.from(v).toString("base64")), Buffer.from(Buffer.from(v).toString("hex"))]);
    const haystacks: [string, Buffer][] = [];
    for (const [k, val] of await h.dump()) haystacks.push([`store ${k}`, Buffer.concat([Buffer.from(k), val])]);
    const files = await readdir(join(h.dir, "db"));
    for (const f of files) haystacks.push([`file ${f}`, await readFile(join(h.dir, "db", f))]);
    h.batches.forEach((ops, i) => ops.forEach((op) => haystacks.push([`batch ${i} ${op.key}`, Buffer.concat([Buffer.from(op.key), op.type === "put" ? Buffer.from(op.value) : Buffer.alloc(0)])])));
    haystacks.push(["errors", Buffer.from(errorMessages.join("\n"))], ["console", Buffer.from(consoleLines.join("\n"))]);
    expect(files.some((f) => f.endsWith(".log"))).toBe(true);
    expect(h.batches.length).toBeGreaterThan(10);
    for (const [where, hay] of haystacks) for (const needle of needles) if (hay.includes(needle)) throw new Error(`a value was found in clear in ${where}`);
    // The check can fail: the same search finds a value that is there.
    expect(Buffer.concat([Buffer.from("x"), needles[0]!]).includes(needles[0]!)).toBe(true);
  });
});

describe("storage faults", () => {
  it("a value lost from storage is InternalError for that secret only; other secrets keep answering", async () => {
    await h.ssm("CreateSecret", { secretName: "lost", versionId: "v1", secretString: marker("lost") });
    await h.store.batch([{ type: "del", key: `v1/secrets/values/${scope.account}/${scope.region}/lost/v1` }]);
    const e = await errorOf(h.ssm("GetSecretValue", { secretName: "lost", versionId: "v1" }));
    errorMessages.push(e.message);
    expect(e.code).toBe("InternalError");
    expect(e.message).toContain("is missing");
    expect((await h.ssm("GetSecretValue", { secretName: "windowed", versionId: "v1" })).secretString).toMatch(/MARKER$/);
  });
});

describe("refusals leak nothing", () => {
  it("error messages name fields and limits, never the value given", async () => {
    const v = marker("too-long") + "x".repeat(40_000);
    const e = await errorOf(h.ssm("CreateSecret", { secretName: "big", secretString: v }));
    expect(e.code).toBe("InvalidParameterValue");
    expect(e.message).toBe("SecretString exceeds 32768 bytes");
    expect(await codeOf(h.ssm("CreateSecret", { secretName: "x y", secretString: marker("bad-name") }))).toBe("InvalidParameterValue");
  });
});
