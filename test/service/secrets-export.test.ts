/**
 * ExportSecret / ImportSecret between two separate instances (two LevelDB
 * stores, two root keys) that share key material through BYOK: each imports
 * the same 32 bytes into its own EXTERNAL key (different key ids). The
 * package travels whole (versions, states, windows, values, tags); a tampered
 * package or the wrong key is refused with one fixed error and writes nothing.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KmsKeyType, SecretStatus } from "../../gen/ssm/v1/ssm_pb.js";
import { codeOf, errorOf, expectRefusedUnchanged, openHarness, type Harness } from "./secrets-harness.js";

let a: Harness;
let b: Harness;
let keyA: string;
let keyB: string;
let pkg: Uint8Array;
const material = randomBytes(32);

/** An EXTERNAL key holding `material`, imported through GetParametersForImport / ImportKeyMaterial. */
async function byokKey(h: Harness, alias: string, bytes: Buffer): Promise<string> {
  const keyId = (await h.kmsCall("CreateKey", { alias, type: 2 })).keyId;
  const params = await h.kmsCall("GetParametersForImport", { keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
  const key = createPublicKey({ key: Buffer.from(params.publicKey), format: "der", type: "spki" });
  const wrapped = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, bytes);
  await h.kmsCall("ImportKeyMaterial", { keyId, importToken: params.importToken, encryptedKeyMaterial: wrapped });
  return keyId;
}

beforeAll(async () => {
  [a, b] = await Promise.all([openHarness(), openHarness()]);
  [keyA, keyB] = await Promise.all([byokKey(a, "shared", material), byokKey(b, "shared", material)]);
  expect(keyA).not.toBe(keyB);
  const now = a.clock.now();
  await a.ssm("CreateSecret", {
    secretName: "app",
    versionId: "v1",
    secretString: "first value",
    description: "the app's credentials",
    tags: [{ tagKey: "env", tagValue: "prod" }],
  });
  await a.ssm("PutSecretValue", { secretName: "app", versionId: "v2", secretBinary: Uint8Array.from([1, 2, 3, 0, 255]) });
  await a.ssm("DisableSecretVersion", { secretName: "app", versionId: "v2" });
  await a.ssm("UpdateSecretVersion", { secretName: "app", versionId: "v1", validTo: BigInt(Math.floor(now / 1000) + 86_400) });
});
afterAll(async () => Promise.all([a.close(), b.close()]));

describe("ExportSecret", () => {
  it("seals the secret under the named CMK as a versioned package", async () => {
    const out = await a.ssm("ExportSecret", { secretName: "app", kmsKeyId: keyA });
    expect(out).toMatchObject({ secretName: "app", kmsKeyId: keyA, versionCount: 2 });
    pkg = out.package;
    expect(Buffer.from(pkg.subarray(0, 9)).toString("latin1")).toBe("TCSSMPKG\x01");
    expect(Buffer.from(pkg).includes(Buffer.from("first value"))).toBe(false);
  });

  it("refuses a missing or malformed KmsKeyId (InvalidParameterValue) and a refused CMK (AccessKmsError)", async () => {
    expect(await codeOf(a.ssm("ExportSecret", { secretName: "app", kmsKeyId: "" }))).toBe("InvalidParameterValue");
    expect(await codeOf(a.ssm("ExportSecret", { secretName: "app", kmsKeyId: "nope" }))).toBe("InvalidParameterValue");
    expect(await codeOf(a.ssm("ExportSecret", { secretName: "app", kmsKeyId: "11111111-2222-4333-8444-555555555555" }))).toBe("FailedOperation.AccessKmsError");
    expect(await codeOf(a.ssm("ExportSecret", { secretName: "nope", kmsKeyId: keyA }))).toBe("ResourceNotFound");
  });
});

describe("ImportSecret on another instance sharing the key material", () => {
  it("recreates the secret whole: values, version states, windows, description, tags", async () => {
    const out = await b.ssm("ImportSecret", { package: pkg, kmsKeyId: keyB });
    expect(out).toMatchObject({ secretName: "app", versionCount: 2, overwritten: false });
    const d = await b.ssm("DescribeSecret", { secretName: "app" });
    expect(d).toMatchObject({ status: SecretStatus.ENABLED, description: "the app's credentials", kmsKeyType: KmsKeyType.DEFAULT, kmsKeyId: out.kmsKeyId });
    expect(d.tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["env", "prod"]]);
    expect((await b.ssm("GetSecretValue", { secretName: "app", versionId: "v1" })).secretString).toBe("first value");
    expect(await codeOf(b.ssm("GetSecretValue", { secretName: "app", versionId: "v2" }))).toBe("ResourceUnavailable.ResourceDisabled");
    await b.ssm("EnableSecretVersion", { secretName: "app", versionId: "v2" });
    expect([...(await b.ssm("GetSecretValue", { secretName: "app", versionId: "v2" })).secretBinary]).toEqual([1, 2, 3, 0, 255]);
    const [va, vb] = await Promise.all([a.ssm("ListSecretVersionIds", { secretName: "app" }), b.ssm("ListSecretVersionIds", { secretName: "app" })]);
    expect(vb.versions.map((v) => [v.versionId, v.createTime, v.validFrom, v.validTo])).toEqual(va.versions.map((v) => [v.versionId, v.createTime, v.validFrom, v.validTo]));
  });

  it("refuses an existing name (ResourceInUse.SecretExists) unless Overwrite, which replaces it whole", async () => {
    await expectRefusedUnchanged(b, () => b.ssm("ImportSecret", { package: pkg, kmsKeyId: keyB }), "ResourceInUse.SecretExists");
    await b.ssm("PutSecretValue", { secretName: "app", versionId: "local-only", secretString: "gone after overwrite" });
    const out = await b.ssm("ImportSecret", { package: pkg, kmsKeyId: keyB, overwrite: true, secretKmsKeyId: keyB });
    expect(out).toMatchObject({ overwritten: true, kmsKeyId: keyB });
    expect((await b.ssm("ListSecretVersionIds", { secretName: "app" })).versions.map((v) => v.versionId)).toEqual(["v1", "v2"]);
    expect([...(await b.dump()).keys()].some((k) => k.endsWith("/app/local-only"))).toBe(false);
    expect((await b.ssm("DescribeSecret", { secretName: "app" })).kmsKeyType).toBe(KmsKeyType.CUSTOMER);
    expect((await b.ssm("GetServiceStatus", {})).totalCount).toBe(1);
  });

  it("imports under another name", async () => {
    await b.ssm("ImportSecret", { package: pkg, kmsKeyId: keyB, secretName: "app-copy" });
    expect((await b.ssm("GetSecretValue", { secretName: "app-copy", versionId: "v1" })).secretString).toBe("first value");
  });

  it("without KmsKeyId, needs the key the package names: absent here, so AccessKmsError", async () => {
    const e = await errorOf(b.ssm("ImportSecret", { package: pkg, secretName: "x" }));
    expect(e.code).toBe("FailedOperation.AccessKmsError");
    expect(e.message).toContain("ResourceUnavailable.CmkNotFound");
  });

  it("on the exporting instance, opens with the key the package names", async () => {
    await a.ssm("ImportSecret", { package: pkg, secretName: "app-restored" });
    expect((await a.ssm("GetSecretValue", { secretName: "app-restored", versionId: "v1" })).secretString).toBe("first value");
  });

  it("a key with other material cannot open it: the one package error, nothing written", async () => {
    const otherKey = await byokKey(b, "other", randomBytes(32));
    const plainKey = (await b.kmsCall("CreateKey", { alias: "plain" })).keyId;
    for (const kmsKeyId of [otherKey, plainKey]) {
      const e = await errorOf(b.ssm("ImportSecret", { package: pkg, kmsKeyId, secretName: "y" }));
      expect(e.code).toBe("InvalidParameterValue");
      expect(e.message).toBe("Package is not a valid secret package, or it failed its integrity check");
    }
    await expectRefusedUnchanged(b, () => b.ssm("ImportSecret", { package: pkg, kmsKeyId: otherKey, secretName: "y" }), "InvalidParameterValue");
  });

  it("a disabled unwrapping key answers AccessKmsError", async () => {
    await b.kmsCall("DisableKey", { keyId: keyB });
    expect(await codeOf(b.ssm("ImportSecret", { package: pkg, kmsKeyId: keyB, secretName: "z" }))).toBe("FailedOperation.AccessKmsError");
    await b.kmsCall("EnableKey", { keyId: keyB });
  });
});

describe("tampering", () => {
  const flip = (at: number) => {
    const t = Buffer.from(pkg);
    t[at] = (t[at] as number) ^ 0x01;
    return t;
  };
  const headerLength = () => Buffer.from(pkg).readUInt32BE(9);

  it.each([
    ["the magic", () => flip(0)],
    ["the format version", () => flip(8)],
    ["the header length", () => flip(12)],
    ["the header (secret name)", () => flip(13 + Buffer.from(pkg).subarray(13).indexOf(Buffer.from('"app"')) + 2)],
    ["the header (wrapped key)", () => flip(13 + Buffer.from(pkg).subarray(13).indexOf(Buffer.from('"wrappedKey":"')) + 20)],
    ["the IV", () => flip(13 + headerLength() + 3)],
    ["the body", () => flip(13 + headerLength() + 12 + 5)],
    ["the tag", () => flip(pkg.length - 1)],
    ["a truncation", () => Buffer.from(pkg).subarray(0, pkg.length - 1)],
    ["an extension", () => Buffer.concat([Buffer.from(pkg), Buffer.from([0])])],
    ["a header only", () => Buffer.from(pkg).subarray(0, 13 + headerLength())],
    ["garbage", () => randomBytes(200)],
  ])("a package with %s changed is refused with InvalidParameterValue, writing nothing", async (_what, make) => {
    const tampered = make();
    await expectRefusedUnchanged(b, () => b.ssm("ImportSecret", { package: tampered, kmsKeyId: keyB, secretName: "tampered" }), "InvalidParameterValue");
  });

  it("an empty package is InvalidParameterValue", async () => {
    expect(await codeOf(b.ssm("ImportSecret", { package: new Uint8Array(0), kmsKeyId: keyB }))).toBe("InvalidParameterValue");
  });
});

describe("SSH key pair secrets travel too", () => {
  it("the pair and its key id arrive intact", async () => {
    await a.ssm("CreateSSHKeyPairSecret", { secretName: "bastion", projectId: 3n });
    const before = await a.ssm("GetSSHKeyPairValue", { secretName: "bastion" });
    const exported = await a.ssm("ExportSecret", { secretName: "bastion", kmsKeyId: keyA });
    await b.ssm("ImportSecret", { package: exported.package, kmsKeyId: keyB });
    const after = await b.ssm("GetSSHKeyPairValue", { sshKeyId: before.sshKeyId });
    expect(Buffer.from(after.privateKey).equals(Buffer.from(before.privateKey))).toBe(true);
    expect(Buffer.from(after.publicKey).toString()).toBe(Buffer.from(before.publicKey).toString());
    expect(after.projectId).toBe(3n);
    // The same key id under another name in the same place is refused.
    await expectRefusedUnchanged(b, () => b.ssm("ImportSecret", { package: exported.package, kmsKeyId: keyB, secretName: "bastion-2" }), "FailedOperation");
  });
});
