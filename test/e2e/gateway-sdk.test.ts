/**
 * The official tencentcloud-sdk-nodejs KMS client, unmodified, pointed at the
 * gateway over plain http: every implemented action, its answers as the SDK
 * parses them, and its error codes as the SDK surfaces them.
 */
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, verify as nodeVerify } from "node:crypto";
import { createSm2Encrypter } from "../../src/crypto/asymmetric/sm2.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataKeyService } from "../../gen/kms/v1/datakeys_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { WhiteBoxKeyService } from "../../gen/kms/v1/whitebox_pb.js";
import { DATA_KEYS_API } from "../../src/contract/datakeys-api.js";
import { KMS_API } from "../../src/contract/kms-api.js";
import { openInProcess } from "../helpers/in-process.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

let ts: TestServer;
let sdk: TencentKmsClient;
/** Every API 3.0 action of KMS's version, over every service bound to it (read from a core's route table). */
let kmsVersionActions: string[];
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString();

beforeAll(async () => {
  ts = await startTestServer();
  sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
  const core = await openInProcess();
  kmsVersionActions = core.core.pipeline.routes
    .all()
    .filter((r) => r.api?.version === "2019-01-18")
    .map((r) => r.method.name)
    .sort();
  await core.dispose();
});
afterAll(async () => {
  await ts.dispose();
});

describe("routes", () => {
  it("name real messages and fields in the required-parameter table", () => {
    for (const [service, api] of [
      [KeyManagementService, KMS_API],
      [DataKeyService, DATA_KEYS_API],
    ] as const) {
      expect(api.version).toBe("2019-01-18");
      // Every required-parameter entry names a real message and real API fields.
      const messages = new Map(service.methods.flatMap((m) => [m.input, ...m.input.fields.flatMap((f) => (f.message ? [f.message] : []))]).map((d) => [d.typeName, d]));
      for (const [typeName, names] of Object.entries(api.required)) {
        const desc = messages.get(typeName);
        expect(desc, typeName).toBeDefined();
        for (const n of names) expect(desc!.fields.map((f) => f.jsonName), `${typeName}.${n}`).toContain(n);
      }
    }
  });

  it("offer KeyManagementService, DataKeyService and WhiteBoxKeyService on KMS's version: the SDK's 69 actions", () => {
    expect(kmsVersionActions).toEqual([...KeyManagementService.methods, ...DataKeyService.methods, ...WhiteBoxKeyService.methods].map((m) => m.name).sort());
    expect(kmsVersionActions).toHaveLength(69);
  });
});

describe("the official SDK", () => {
  const called = new Set<string>();
  const track = <T>(action: string, p: Promise<T>) => (called.add(action), p);

  it("drives every implemented action", async () => {
    const created = await track("CreateKey", sdk.CreateKey({ Alias: "sdk-1", Description: "via SDK", Tags: [{ TagKey: "team", TagValue: "pay" }] }));
    expect(created).toMatchObject({ Alias: "sdk-1", Description: "via SDK", KeyState: "Enabled", KeyUsage: "ENCRYPT_DECRYPT", TagCode: 0, TagMsg: "Success" });
    expect(typeof created.CreateTime).toBe("number");
    expect(created.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    const keyId = created.KeyId!;
    const other = (await track("CreateKey", sdk.CreateKey({ Alias: "sdk-2", Type: 1 }))).KeyId!;
    const external = await track("CreateKey", sdk.CreateKey({ Alias: "sdk-ext", Type: 2 }));
    expect(external.KeyState).toBe("PendingImport");

    const md = (await track("DescribeKey", sdk.DescribeKey({ KeyId: keyId }))).KeyMetadata!;
    expect(md).toMatchObject({ KeyId: keyId, Type: 2, Origin: "TENCENT_KMS", Owner: "user", CreatorUin: 100000000001, KeyRotationEnabled: false, DeletionDate: 0 });
    expect((await track("DescribeKeys", sdk.DescribeKeys({ KeyIds: [keyId, other] }))).KeyMetadatas!.map((m) => m.KeyId)).toEqual([keyId, other]);
    const listed = await track("ListKeys", sdk.ListKeys({ Offset: 0, Limit: 2 }));
    expect(listed.TotalCount).toBe(3);
    expect(listed.Keys).toHaveLength(2);
    const detail = await track("ListKeyDetail", sdk.ListKeyDetail({ KeyState: 1, KeyUsage: "ALL", Origin: "ALL", OrderType: 1, TagFilters: [{ TagKey: "team", TagValue: ["pay"] }] }));
    expect(detail.TotalCount).toBe(1);
    expect(detail.KeyMetadatas![0]!.KeyId).toBe(keyId);
    expect((await sdk.ListKeyDetail({ KeyState: 4 })).KeyMetadatas!.map((m) => m.KeyId)).toEqual([external.KeyId]);
    expect((await sdk.ListKeyDetail({ Origin: "EXTERNAL", SearchKeyAlias: "ext" })).TotalCount).toBe(1);

    await track("UpdateAlias", sdk.UpdateAlias({ KeyId: keyId, Alias: "sdk-renamed" }));
    await track("UpdateKeyDescription", sdk.UpdateKeyDescription({ KeyId: keyId, Description: "new words" }));
    expect((await sdk.DescribeKey({ KeyId: keyId })).KeyMetadata).toMatchObject({ Alias: "sdk-renamed", Description: "new words" });

    const enc = await track("Encrypt", sdk.Encrypt({ KeyId: keyId, Plaintext: b64("through the gateway"), EncryptionContext: '{"app":"sdk"}' }));
    expect(enc.KeyId).toBe(keyId);
    const dec = await track("Decrypt", sdk.Decrypt({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: '{"app":"sdk"}' }));
    expect(unb64(dec.Plaintext)).toBe("through the gateway");
    const re = await track("ReEncrypt", sdk.ReEncrypt({ CiphertextBlob: enc.CiphertextBlob!, DestinationKeyId: other, SourceEncryptionContext: '{"app":"sdk"}' }));
    expect(re).toMatchObject({ KeyId: other, SourceKeyId: keyId, ReEncrypted: true });
    expect(unb64((await sdk.Decrypt({ CiphertextBlob: re.CiphertextBlob! })).Plaintext)).toBe("through the gateway");
    const dk = await track("GenerateDataKey", sdk.GenerateDataKey({ KeyId: keyId, KeySpec: "AES_128" }));
    expect(Buffer.from(dk.Plaintext!, "base64")).toHaveLength(16);
    expect((await sdk.Decrypt({ CiphertextBlob: dk.CiphertextBlob! })).Plaintext).toBe(dk.Plaintext);
    expect(Buffer.from((await sdk.GenerateDataKey({ KeyId: keyId, NumberOfBytes: 100 })).Plaintext!, "base64")).toHaveLength(100);
    expect(Buffer.from((await track("GenerateRandom", sdk.GenerateRandom({ NumberOfBytes: 48 }))).Plaintext, "base64")).toHaveLength(48);

    await track("DisableKey", sdk.DisableKey({ KeyId: keyId }));
    await track("EnableKey", sdk.EnableKey({ KeyId: keyId }));
    await track("DisableKeys", sdk.DisableKeys({ KeyIds: [keyId, other] }));
    await track("EnableKeys", sdk.EnableKeys({ KeyIds: [keyId, other] }));
    await track("ArchiveKey", sdk.ArchiveKey({ KeyId: other }));
    expect((await sdk.DescribeKey({ KeyId: other })).KeyMetadata!.KeyState).toBe("Archived");
    await track("CancelKeyArchive", sdk.CancelKeyArchive({ KeyId: other }));
    await sdk.DisableKey({ KeyId: other });
    const scheduled = await track("ScheduleKeyDeletion", sdk.ScheduleKeyDeletion({ KeyId: other, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyId: other, DeletionDate: Math.floor(ts.clock.now() / 1000) + 7 * 86400 });
    expect((await sdk.DescribeKey({ KeyId: other })).KeyMetadata).toMatchObject({ KeyState: "PendingDelete", DeletionDate: scheduled.DeletionDate });
    expect(await track("CancelKeyDeletion", sdk.CancelKeyDeletion({ KeyId: other }))).toMatchObject({ KeyId: other });
    await track("EnableKeyRotation", sdk.EnableKeyRotation({ KeyId: keyId, RotateDays: 7 }));
    expect((await track("GetKeyRotationStatus", sdk.GetKeyRotationStatus({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);
    expect((await track("RotateKey", sdk.RotateKey({ KeyId: keyId }))).TaskId).toMatch(/^[0-9a-f-]{36}$/);
    await track("DisableKeyRotation", sdk.DisableKeyRotation({ KeyId: keyId }));
    const params = await track("GetParametersForImport", sdk.GetParametersForImport({ KeyId: external.KeyId!, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }));
    const wrapped = publicEncrypt(
      { key: createPublicKey({ key: Buffer.from(params.PublicKey, "base64"), format: "der", type: "spki" }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      randomBytes(32),
    );
    await track("ImportKeyMaterial", sdk.ImportKeyMaterial({ KeyId: external.KeyId!, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped.toString("base64") }));
    expect((await sdk.DescribeKey({ KeyId: external.KeyId! })).KeyMetadata!.KeyState).toBe("Enabled");
    await track("DeleteImportedKeyMaterial", sdk.DeleteImportedKeyMaterial({ KeyId: external.KeyId! }));
    const ecc = (await sdk.CreateKey({ Alias: "sdk-ecc", KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ECC" })).KeyId!;
    const pub = await track("GetPublicKey", sdk.GetPublicKey({ KeyId: ecc }));
    expect(pub.PublicKeyPem).toBe(`-----BEGIN PUBLIC KEY-----\n${pub.PublicKey.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`);
    const message = b64("signed via the SDK");
    const { Signature } = await track("SignByAsymmetricKey", sdk.SignByAsymmetricKey({ KeyId: ecc, Algorithm: "ECC_P256_R1", Message: message, MessageType: "RAW" }));
    expect(nodeVerify("sha256", Buffer.from("signed via the SDK"), pub.PublicKeyPem, Buffer.from(Signature!, "base64"))).toBe(true);
    expect((await track("VerifyByAsymmetricKey", sdk.VerifyByAsymmetricKey({ KeyId: ecc, Algorithm: "ECC_P256_R1", Message: message, SignatureValue: Signature! }))).SignatureValid).toBe(true);
    const digest = createHash("sha256").update("signed via the SDK").digest("base64");
    expect((await sdk.VerifyByAsymmetricKey({ KeyId: ecc, Algorithm: "ECC_P256_R1", Message: digest, MessageType: "DIGEST", SignatureValue: Signature! })).SignatureValid).toBe(true);
    const rsa = (await sdk.CreateKey({ Alias: "sdk-rsa", KeyUsage: "ASYMMETRIC_DECRYPT_RSA_2048" })).KeyId!;
    const rsaPem = (await sdk.GetPublicKey({ KeyId: rsa })).PublicKeyPem;
    const rsaCt = publicEncrypt({ key: rsaPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, Buffer.from("rsa via SDK")).toString("base64");
    expect(unb64((await track("AsymmetricRsaDecrypt", sdk.AsymmetricRsaDecrypt({ KeyId: rsa, Ciphertext: rsaCt, Algorithm: "RSAES_OAEP_SHA_1" }))).Plaintext)).toBe("rsa via SDK");
    const sm2 = (await sdk.CreateKey({ Alias: "sdk-sm2", KeyUsage: "ASYMMETRIC_DECRYPT_SM2" })).KeyId!;
    const sm2Ct = createSm2Encrypter(Buffer.from((await sdk.GetPublicKey({ KeyId: sm2 })).PublicKey, "base64")).encrypt(Buffer.from("sm2 via SDK"), "C1C3C2_ASN1");
    expect(unb64((await track("AsymmetricSm2Decrypt", sdk.AsymmetricSm2Decrypt({ KeyId: sm2, Ciphertext: Buffer.from(sm2Ct).toString("base64") }))).Plaintext)).toBe("sm2 via SDK");
    const algs = await track("ListAlgorithms", sdk.ListAlgorithms());
    expect(algs.AsymmetricSignVerifyAlgorithms).toContainEqual({ KeyUsage: "ASYMMETRIC_SIGN_VERIFY_SM2", Algorithm: "SM2DSA" });
    const kem = (await sdk.CreateKey({ Alias: "sdk-kem", KeyUsage: "ASYMMETRIC_DECRYPT_ML_KEM_768" })).KeyId!;
    const pq = await track("PostQuantumCryptoEncrypt", sdk.PostQuantumCryptoEncrypt({ KeyId: kem, PlainText: b64("pq via SDK") }));
    expect(unb64((await track("PostQuantumCryptoDecrypt", sdk.PostQuantumCryptoDecrypt({ CiphertextBlob: pq.CiphertextBlob! }))).PlainText)).toBe("pq via SDK");
    const dsa = (await sdk.CreateKey({ Alias: "sdk-dsa", KeyUsage: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65" })).KeyId!;
    const pqSig = await track("PostQuantumCryptoSign", sdk.PostQuantumCryptoSign({ KeyId: dsa, Message: b64("q") }));
    expect((await track("PostQuantumCryptoVerify", sdk.PostQuantumCryptoVerify({ KeyId: dsa, Message: b64("q"), SignatureValue: pqSig.Signature! }))).SignatureValid).toBe(true);
    await track("BindCloudResource", sdk.BindCloudResource({ KeyId: dsa, ProductId: "cos", ResourceId: "bucket-1" }));
    await sdk.BindCloudResource({ KeyId: dsa, ProductId: "cos", ResourceId: "bucket-1" }); // binding twice succeeds
    expect(await sdkCode(sdk.ArchiveKey({ KeyId: dsa }))).toBe("FailedOperation.CmkUsedByCloudProduct");
    await track("UnbindCloudResource", sdk.UnbindCloudResource({ KeyId: dsa, ProductId: "cos", ResourceId: "bucket-1" }));
    expect(await sdkCode(sdk.UnbindCloudResource({ KeyId: dsa, ProductId: "cos", ResourceId: "bucket-1" }))).toBe("ResourceNotFound");
    await sdk.ArchiveKey({ KeyId: dsa });
    await sdk.CancelKeyArchive({ KeyId: dsa });
    expect(await sdkCode(sdk.SignByAsymmetricKey({ KeyId: ecc, Algorithm: "SM2DSA", Message: message }))).toBe("InvalidParameterValue");
    expect(await sdkCode(sdk.SignByAsymmetricKey({ KeyId: ecc, Algorithm: "ECC_P256_R1", Message: message, MessageType: "HASH" }))).toBe("InvalidParameterValue");
    expect(await track("GetServiceStatus", sdk.GetServiceStatus())).toMatchObject({ ServiceEnabled: true, InvalidType: 1, CmkUserCount: 8 });
    expect((await track("GetRegions", sdk.GetRegions())).Regions).toEqual(["ap-guangzhou"]);
  });

  it("drives every hosted data-key action", async () => {
    const keyId = (await sdk.CreateKey({ Alias: "sdk-datakeys" })).KeyId!;
    const made = await track("GenerateDataKey", sdk.GenerateDataKey({ KeyId: keyId, KeySpec: "AES_256", IsHostedByKms: 1, DataKeyName: "sdk-dk", Tags: [{ TagKey: "team", TagValue: "pay" }] }));
    const id = made.DataKeyId!;
    expect((await track("GetDataKeyPlaintext", sdk.GetDataKeyPlaintext({ DataKeyId: id }))).Plaintext).toBe(made.Plaintext);
    expect((await track("GetDataKeyCiphertextBlob", sdk.GetDataKeyCiphertextBlob({ DataKeyId: id }))).CiphertextBlob).toBe(made.CiphertextBlob);
    const imported = (await track("ImportDataKey", sdk.ImportDataKey({ DataKeyName: "sdk-dk-imported", ImportKeyMaterial: b64("sixteen byte key"), ImportType: 2, KeyId: keyId }))).DataKeyId!;
    expect((await track("DescribeDataKey", sdk.DescribeDataKey({ DataKeyId: id }))).DataKeyMetadata).toMatchObject({ DataKeyName: "sdk-dk", KeyState: "Enabled", KeyName: "sdk-datakeys" });
    expect((await track("DescribeDataKeys", sdk.DescribeDataKeys({ DataKeyIds: [imported, id] }))).DataKeyMetadatas!.map((m) => m.DataKeyId)).toEqual([imported, id]);
    expect((await track("ListDataKeys", sdk.ListDataKeys({}))).TotalCount).toBe(2);
    expect((await track("ListDataKeyDetail", sdk.ListDataKeyDetail({ TagFilters: [{ TagKey: "team", TagValue: ["pay"] }] }))).DataKeyMetadatas!.map((m) => m.DataKeyId)).toEqual([id]);
    await track("UpdateDataKeyName", sdk.UpdateDataKeyName({ DataKeyId: id, DataKeyName: "sdk-dk-renamed" }));
    await track("UpdateDataKeyDescription", sdk.UpdateDataKeyDescription({ DataKeyId: id, Description: "hosted" }));
    await track("DisableDataKey", sdk.DisableDataKey({ DataKeyId: id }));
    await track("EnableDataKey", sdk.EnableDataKey({ DataKeyId: id }));
    await track("DisableDataKeys", sdk.DisableDataKeys({ DataKeyIds: [id, imported] }));
    await track("EnableDataKeys", sdk.EnableDataKeys({ DataKeyIds: [imported] }));
    expect((await track("ScheduleDataKeyDeletion", sdk.ScheduleDataKeyDeletion({ DataKeyId: id, PendingWindowInDays: 7 }))).DataKeyId).toBe(id);
    expect((await track("CancelDataKeyDeletion", sdk.CancelDataKeyDeletion({ DataKeyId: id }))).DataKeyId).toBe(id);
    expect((await sdk.DescribeDataKey({ DataKeyId: id })).DataKeyMetadata).toMatchObject({ DataKeyName: "sdk-dk-renamed", Description: "hosted", KeyState: "Disabled" });
    expect(await sdk.GetServiceStatus()).toMatchObject({ IsAllowedDataKeyHosted: true, DataKeyUsedCount: 2 });
  });

  it("drives every white-box action", async () => {
    const made = await track("CreateWhiteBoxKey", sdk.CreateWhiteBoxKey({ Alias: "sdk-wb", Algorithm: "AES_256", Tags: [{ TagKey: "team", TagValue: "app" }] }));
    const keyId = made.KeyId!;
    expect(made.EncryptKey).toBeTruthy();
    expect((await track("DescribeWhiteBoxKey", sdk.DescribeWhiteBoxKey({ KeyId: keyId }))).KeyInfo).toMatchObject({ KeyId: keyId, Alias: "sdk-wb", Algorithm: "AES_256", Status: "Enabled" });
    expect((await track("DescribeWhiteBoxKeyDetails", sdk.DescribeWhiteBoxKeyDetails({ TagFilters: [{ TagKey: "team", TagValue: ["app"] }] }))).KeyInfos!.map((k) => k.KeyId)).toEqual([keyId]);
    expect((await track("DescribeWhiteBoxServiceStatus", sdk.DescribeWhiteBoxServiceStatus())).ServiceEnabled).toBe(true);
    expect((await track("DescribeWhiteBoxDecryptKey", sdk.DescribeWhiteBoxDecryptKey({ KeyId: keyId }))).DecryptKey).toBeTruthy();
    const enc = await track("EncryptByWhiteBox", sdk.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("hello") }));
    expect(enc.CipherText).toBeTruthy();
    expect(enc.InitializationVector).toBeTruthy();
    const fingerprint = "0000000a-fedcba98765432-fedcba98765432-fedcba98765432-fedcba9876543210";
    await track("OverwriteWhiteBoxDeviceFingerprints", sdk.OverwriteWhiteBoxDeviceFingerprints({ KeyId: keyId, DeviceFingerprints: [{ Identity: fingerprint, Description: "till" }] }));
    expect((await track("DescribeWhiteBoxDeviceFingerprints", sdk.DescribeWhiteBoxDeviceFingerprints({ KeyId: keyId }))).DeviceFingerprints).toEqual([{ Identity: fingerprint, Description: "till" }]);
    await track("DisableWhiteBoxKey", sdk.DisableWhiteBoxKey({ KeyId: keyId }));
    expect(await sdkCode(sdk.EncryptByWhiteBox({ KeyId: keyId, PlainText: b64("x") }))).toBe("ResourceUnavailable.KeyDisabled");
    await track("EnableWhiteBoxKey", sdk.EnableWhiteBoxKey({ KeyId: keyId }));
    await track("DisableWhiteBoxKeys", sdk.DisableWhiteBoxKeys({ KeyIds: [keyId] }));
    await track("EnableWhiteBoxKeys", sdk.EnableWhiteBoxKeys({ KeyIds: [keyId] }));
    await sdk.DisableWhiteBoxKey({ KeyId: keyId });
    await track("DeleteWhiteBoxKey", sdk.DeleteWhiteBoxKey({ KeyId: keyId }));
    expect(await sdkCode(sdk.DescribeWhiteBoxKey({ KeyId: keyId }))).toBe("ResourceNotFound");
  });

  it("reached every route of KMS's version, over every service bound to it", () => {
    expect([...called].sort()).toEqual(kmsVersionActions);
  });

  it("surfaces the business error codes", async () => {
    const { KeyId } = await sdk.CreateKey({ Alias: "sdk-errors" });
    const cases: [() => Promise<unknown>, string][] = [
      [() => sdk.CreateKey({ Alias: "sdk-errors" }), "InvalidParameterValue.AliasAlreadyExists"],
      [() => sdk.CreateKey({ Alias: "kms-reserved" }), "InvalidParameterValue.InvalidAlias"],
      [() => sdk.CreateKey({ Alias: "x", KeyUsage: "SOMETHING_ELSE" }), "InvalidParameterValue.InvalidKeyUsage"],
      [() => sdk.CreateKey({ Alias: "x", Type: 3 }), "InvalidParameterValue.InvalidType"],
      [() => sdk.CreateKey({ Alias: "x", Tags: [{ TagKey: "a", TagValue: "1" }, { TagKey: "a", TagValue: "2" }] }), "InvalidParameterValue.TagKeysDuplicated"],
      [() => sdk.DescribeKey({ KeyId: "00000000-0000-4000-8000-000000000000" }), "ResourceUnavailable.CmkNotFound"],
      [() => sdk.DescribeKey({ KeyId: "nope" }), "InvalidParameterValue.InvalidKeyId"],
      [() => sdk.DescribeKeys({ KeyIds: [KeyId!, KeyId!] }), "InvalidParameterValue.DuplicatedKeyId"],
      [() => sdk.ScheduleKeyDeletion({ KeyId: KeyId!, PendingWindowInDays: 7 }), "ResourceUnavailable.CmkShouldBeDisabled"],
      [() => sdk.ScheduleKeyDeletion({ KeyId: KeyId!, PendingWindowInDays: 3 }), "InvalidParameter.InvalidPendingWindowInDays"],
      [() => sdk.CancelKeyDeletion({ KeyId: KeyId! }), "ResourceUnavailable.CmkNotPendingDelete"],
      [() => sdk.CancelKeyArchive({ KeyId: KeyId! }), "ResourceUnavailable.CmkStateNotSupport"],
      [() => sdk.Encrypt({ KeyId: KeyId!, Plaintext: b64("x".repeat(4097)) }), "InvalidParameterValue.InvalidPlaintext"],
      [() => sdk.Encrypt({ KeyId: KeyId!, Plaintext: "%%%not base64" }), "InvalidParameterValue.InvalidPlaintext"],
      [() => sdk.Encrypt({ KeyId: KeyId!, Plaintext: b64("x"), EncryptionContext: "not json" }), "InvalidParameterValue"],
      [() => sdk.Decrypt({ CiphertextBlob: "AAAA" }), "InvalidParameterValue.InvalidCiphertext"],
      [() => sdk.Decrypt({ CiphertextBlob: "not*base64" }), "InvalidParameterValue.InvalidCiphertext"],
      [() => sdk.GenerateDataKey({ KeyId: KeyId! }), "InvalidParameter"],
      [() => sdk.GenerateDataKey({ KeyId: KeyId!, KeySpec: "AES_512" }), "InvalidParameterValue"],
      [() => sdk.GenerateRandom({ NumberOfBytes: 0 }), "InvalidParameterValue"],
      [() => sdk.ListKeys({ Limit: 500 }), "InvalidParameterValue"],
      [() => sdk.ListKeyDetail({ KeyState: 9 }), "InvalidParameterValue"],
      [() => sdk.ListKeyDetail({ KeyUsage: "NOPE" }), "InvalidParameterValue.InvalidKeyUsage"],
    ];
    for (const [call, code] of cases) expect(await sdkCode(call())).toBe(code);

    const enc = await sdk.Encrypt({ KeyId: KeyId!, Plaintext: b64("x"), EncryptionContext: '{"a":"1"}' });
    expect(await sdkCode(sdk.Decrypt({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: '{"a":"2"}' }))).toBe("FailedOperation.DecryptError");
    await sdk.DisableKey({ KeyId: KeyId! });
    expect(await sdkCode(sdk.Encrypt({ KeyId: KeyId!, Plaintext: b64("x") }))).toBe("ResourceUnavailable.CmkDisabled");
    expect(await sdkCode(sdk.Decrypt({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: '{"a":"1"}' }))).toBe("ResourceUnavailable.CmkDisabled");
  });

  it("surfaces the common codes for parameters the API does not know or needs", async () => {
    const loose = sdk as unknown as { request(action: string, req: object): Promise<unknown> };
    expect(await sdkCode(loose.request("DescribeKey", {}))).toBe("MissingParameter");
    expect(await sdkCode(loose.request("CreateKey", { Alias: "a", Colour: "blue" }))).toBe("UnknownParameter");
    expect(await sdkCode(loose.request("CreateKey", { Alias: 42 }))).toBe("InvalidParameter");
    expect(await sdkCode(loose.request("GenerateRandom", { NumberOfBytes: "16" }))).toBe("InvalidParameter");
    expect(await sdkCode(loose.request("CreateKey", { Alias: "a", Tags: [{ TagKey: "k" }] }))).toBe("MissingParameter");
    expect(await sdkCode(loose.request("StealAllKeys", {}))).toBe("InvalidAction");
    expect(await sdkCode(loose.request("ListKeyDetail", { allKeyUsages: true }))).toBe("UnknownParameter");
  });

  it("answers an unknown region and wrong credentials with their codes", async () => {
    expect(await sdkCode(tencentKms(ts.httpUrl, ts.secretId, ts.secretKey, { region: "mars-north-1" }).GetRegions())).toBe("UnsupportedRegion");
    expect(await sdkCode(tencentKms(ts.httpUrl, ts.secretId, "wrong-secret-key-0123456789abcd").GetRegions())).toBe("AuthFailure.SignatureFailure");
    expect(await sdkCode(tencentKms(ts.httpUrl, `AKID${"0".repeat(32)}`, ts.secretKey).GetRegions())).toBe("AuthFailure.SecretIdNotFound");
  });
});

describe.each([
  ["TC3 over GET", { reqMethod: "GET" as const }],
  ["v1 HmacSHA256 form POST", { signMethod: "HmacSHA256" as const }],
  ["v1 HmacSHA1 GET", { signMethod: "HmacSHA1" as const, reqMethod: "GET" as const }],
])("the SDK with %s", (_name, opts) => {
  it("creates, lists with nested parameters, encrypts and decrypts", async () => {
    const c = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey, opts);
    const alias = `v-${Math.random().toString(36).slice(2, 10)}`;
    const { KeyId } = await c.CreateKey({ Alias: alias, Tags: [{ TagKey: "via", TagValue: alias }] });
    const found = await c.ListKeyDetail({ KeyUsage: "ALL", TagFilters: [{ TagKey: "via", TagValue: [alias] }] });
    expect(found.KeyMetadatas!.map((m) => m.KeyId)).toEqual([KeyId]);
    expect((await c.DescribeKeys({ KeyIds: [KeyId!] })).KeyMetadatas).toHaveLength(1);
    const enc = await c.Encrypt({ KeyId: KeyId!, Plaintext: b64("+/= survive the form"), EncryptionContext: '{"k":"v & w"}' });
    expect(unb64((await c.Decrypt({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: '{"k":"v & w"}' })).Plaintext)).toBe("+/= survive the form");
    expect(await sdkCode(c.DescribeKey({ KeyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await sdkCode(tencentKms(ts.httpUrl, ts.secretId, "bad-secret-key-0123456789abcdef", opts).GetRegions())).toBe("AuthFailure.SignatureFailure");
  });
});
