/**
 * Every action through @grpc/grpc-js with @grpc/proto-loader reading proto/
 * directly: a client that shares no code with the server, as a client in
 * another stack would be. Error codes come from the kms-error-code trailer.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { createSm2Encrypter } from "../../src/crypto/asymmetric/sm2.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { grpcJsClient, grpcJsError, type GrpcJsClient } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let c: GrpcJsClient;

beforeAll(async () => {
  ts = await startTestServer();
  c = grpcJsClient(ts.server.grpc.port, ts.token);
});
afterAll(async () => {
  c.close();
  await ts.dispose();
});

describe("grpc-js client", () => {
  const exercised = new Set<string>();
  const call = (method: string, req: Record<string, unknown> = {}) => {
    exercised.add(method);
    return c.call(method, req);
  };

  it("drives the whole lifecycle and every crypto action", async () => {
    const created = await call("CreateKey", { alias: "grpcjs-1", description: "from grpc-js", tags: [{ tag_key: "k", tag_value: "v" }] });
    expect(created).toMatchObject({ alias: "grpcjs-1", key_state: "KEY_STATE_ENABLED", key_usage: "KEY_USAGE_ENCRYPT_DECRYPT", tag_code: 0 });
    const keyId = created.key_id as string;
    const other = (await call("CreateKey", { alias: "grpcjs-2" })).key_id as string;

    const described = (await call("DescribeKey", { key_id: keyId })).key_metadata as Record<string, unknown>;
    expect(described).toMatchObject({ key_id: keyId, type: 2, origin: "ORIGIN_TENCENT_KMS", creator_uin: "100000000001" });
    expect(((await call("DescribeKeys", { key_ids: [keyId, other] })).key_metadatas as unknown[]).length).toBe(2);
    expect((await call("ListKeys", { limit: 10 })).total_count).toBe(2);
    const detail = await call("ListKeyDetail", { tag_filters: [{ tag_key: "k", tag_value: ["v"] }] });
    expect(detail.total_count).toBe(1);
    await call("UpdateAlias", { key_id: keyId, alias: "grpcjs-renamed" });
    await call("UpdateKeyDescription", { key_id: keyId, description: "changed" });
    expect(((await call("DescribeKey", { key_id: keyId })).key_metadata as Record<string, unknown>).alias).toBe("grpcjs-renamed");

    const enc = await call("Encrypt", { key_id: keyId, plaintext: Buffer.from("grpc-js secret"), encryption_context: '{"app":"x"}' });
    const dec = await call("Decrypt", { ciphertext_blob: enc.ciphertext_blob, encryption_context: '{"app":"x"}' });
    expect((dec.plaintext as Buffer).toString()).toBe("grpc-js secret");
    const re = await call("ReEncrypt", { ciphertext_blob: enc.ciphertext_blob, destination_key_id: other, source_encryption_context: '{"app":"x"}' });
    expect(re).toMatchObject({ key_id: other, source_key_id: keyId, re_encrypted: true });
    const dk = await call("GenerateDataKey", { key_id: keyId, key_spec: "DATA_KEY_SPEC_AES_256" });
    expect((dk.plaintext as Buffer).length).toBe(32);
    expect(((await call("Decrypt", { ciphertext_blob: dk.ciphertext_blob })).plaintext as Buffer).equals(dk.plaintext as Buffer)).toBe(true);
    expect(((await call("GenerateRandom", { number_of_bytes: 64 })).plaintext as Buffer).length).toBe(64);

    await call("DisableKey", { key_id: keyId });
    await call("EnableKey", { key_id: keyId });
    await call("DisableKeys", { key_ids: [keyId, other] });
    await call("EnableKeys", { key_ids: [keyId, other] });
    await call("ArchiveKey", { key_id: other });
    await call("CancelKeyArchive", { key_id: other });
    await call("DisableKey", { key_id: other });
    const scheduled = await call("ScheduleKeyDeletion", { key_id: other, pending_window_in_days: 7 });
    expect(Number(scheduled.deletion_date)).toBe(Math.floor(ts.clock.now() / 1000) + 7 * 86400);
    expect((await call("CancelKeyDeletion", { key_id: other })).key_id).toBe(other);
    await call("EnableKeyRotation", { key_id: keyId, rotate_days: 30 });
    expect((await call("GetKeyRotationStatus", { key_id: keyId })).key_rotation_enabled).toBe(true);
    expect((await call("RotateKey", { key_id: keyId })).task_id).toMatch(/^[0-9a-f-]{36}$/);
    await call("DisableKeyRotation", { key_id: keyId });

    const external = (await call("CreateKey", { alias: "grpcjs-ext", type: 2 })).key_id as string;
    const params = await call("GetParametersForImport", { key_id: external, wrapping_algorithm: "RSAES_OAEP_SHA_256", wrapping_key_spec: "RSA_2048" });
    const wrapped = publicEncrypt(
      { key: createPublicKey({ key: params.public_key as Buffer, format: "der", type: "spki" }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      randomBytes(32),
    );
    await call("ImportKeyMaterial", { key_id: external, import_token: params.import_token, encrypted_key_material: wrapped });
    await call("DeleteImportedKeyMaterial", { key_id: external });
    const signer = (await call("CreateKey", { alias: "grpcjs-ecc", key_usage: "KEY_USAGE_ASYMMETRIC_SIGN_VERIFY_ECC" })).key_id as string;
    expect((await call("GetPublicKey", { key_id: signer })).public_key_pem).toMatch(/BEGIN PUBLIC KEY/);
    const sig = await call("SignByAsymmetricKey", { key_id: signer, algorithm: "ECC_P256_R1", message: Buffer.from("m") });
    expect((await call("VerifyByAsymmetricKey", { key_id: signer, algorithm: "ECC_P256_R1", message: Buffer.from("m"), signature_value: sig.signature })).signature_valid).toBe(true);
    const rsa = (await call("CreateKey", { alias: "grpcjs-rsa", key_usage: "KEY_USAGE_ASYMMETRIC_DECRYPT_RSA_2048" })).key_id as string;
    const rsaPem = (await call("GetPublicKey", { key_id: rsa })).public_key_pem as string;
    const rsaCt = publicEncrypt({ key: rsaPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from("r"));
    expect(((await call("AsymmetricRsaDecrypt", { key_id: rsa, ciphertext: rsaCt, algorithm: "RSAES_OAEP_SHA_256" })).plaintext as Buffer).toString()).toBe("r");
    const sm2 = (await call("CreateKey", { alias: "grpcjs-sm2", key_usage: "KEY_USAGE_ASYMMETRIC_DECRYPT_SM2" })).key_id as string;
    const sm2Spki = (await call("GetPublicKey", { key_id: sm2 })).public_key as Buffer;
    const sm2Ct = createSm2Encrypter(sm2Spki).encrypt(Buffer.from("s"), "C1C3C2_ASN1");
    expect(((await call("AsymmetricSm2Decrypt", { key_id: sm2, ciphertext: Buffer.from(sm2Ct) })).plaintext as Buffer).toString()).toBe("s");
    expect(((await call("ListAlgorithms")).asymmetric_sign_verify_algorithms as unknown[]).length).toBeGreaterThan(0);
    const kem = (await call("CreateKey", { alias: "grpcjs-kem", key_usage: "KEY_USAGE_ASYMMETRIC_DECRYPT_ML_KEM_768" })).key_id as string;
    const pq = await call("PostQuantumCryptoEncrypt", { key_id: kem, plain_text: Buffer.from("pq") });
    expect(((await call("PostQuantumCryptoDecrypt", { ciphertext_blob: pq.ciphertext_blob })).plain_text as Buffer).toString()).toBe("pq");
    const dsa = (await call("CreateKey", { alias: "grpcjs-dsa", key_usage: "KEY_USAGE_ASYMMETRIC_SIGN_VERIFY_ML_DSA_65" })).key_id as string;
    const pqSig = await call("PostQuantumCryptoSign", { key_id: dsa, message: Buffer.from("q") });
    expect((await call("PostQuantumCryptoVerify", { key_id: dsa, message: Buffer.from("q"), signature_value: pqSig.signature })).signature_valid).toBe(true);
    await call("BindCloudResource", { key_id: dsa, product_id: "cos", resource_id: "bucket-1" });
    expect(await grpcJsError(c.call("ArchiveKey", { key_id: dsa }))).toEqual({ status: 9, code: "FailedOperation.CmkUsedByCloudProduct" });
    await call("UnbindCloudResource", { key_id: dsa, product_id: "cos", resource_id: "bucket-1" });
    expect(await grpcJsError(c.call("UnbindCloudResource", { key_id: dsa, product_id: "cos", resource_id: "bucket-1" }))).toEqual({ status: 5, code: "ResourceNotFound" });
    expect((await call("GetServiceStatus")).cmk_user_count).toBe(8);
    expect((await call("GetRegions")).regions).toEqual(["ap-guangzhou"]);
  });

  it("reached every RPC of the service", () => {
    expect([...exercised].sort()).toEqual(KeyManagementService.methods.map((m) => m.name).sort());
  });

  it("manages versions through KeyVersionService", async () => {
    const keyId = (await c.call("CreateKey", { alias: "grpcjs-versions" })).key_id as string;
    await c.call("EnableKeyRotation", { key_id: keyId });
    await c.call("RotateKey", { key_id: keyId });
    const v = grpcJsClient(ts.server.grpc.port, ts.token, "KeyVersionService");
    const listed = (await v.call("ListKeyVersions", { key_id: keyId })).versions as { version: number; state: string; primary: boolean }[];
    expect(listed.map((x) => [x.version, x.state, x.primary])).toEqual([
      [1, "KEY_VERSION_STATE_ENABLED", false],
      [2, "KEY_VERSION_STATE_ENABLED", true],
    ]);
    await v.call("DisableKeyVersion", { key_id: keyId, version: 1 });
    expect(((await v.call("DescribeKeyVersion", { key_id: keyId, version: 1 })).version as { state: string }).state).toBe("KEY_VERSION_STATE_DISABLED");
    await v.call("EnableKeyVersion", { key_id: keyId, version: 1 });
    expect(Number((await v.call("ScheduleKeyVersionDeletion", { key_id: keyId, version: 1 })).deletion_date)).toBeGreaterThan(0);
    await v.call("CancelKeyVersionDeletion", { key_id: keyId, version: 1 });
    expect(await grpcJsError(v.call("DisableKeyVersion", { key_id: keyId, version: 2 }))).toEqual({ status: status.FAILED_PRECONDITION, code: "UnsupportedOperation" });
    v.close();
  });

  it("receives the gRPC status and the API 3.0 code of each failure", async () => {
    const cases: [string, Record<string, unknown>, number, string][] = [
      ["DescribeKey", { key_id: "00000000-0000-4000-8000-000000000000" }, status.NOT_FOUND, "ResourceUnavailable.CmkNotFound"],
      ["DescribeKey", { key_id: "x" }, status.INVALID_ARGUMENT, "InvalidParameterValue.InvalidKeyId"],
      ["CreateKey", { alias: "bad alias" }, status.INVALID_ARGUMENT, "InvalidParameterValue.InvalidAlias"],
      ["CreateKey", { alias: "grpcjs-renamed" }, status.ALREADY_EXISTS, "InvalidParameterValue.AliasAlreadyExists"],
      ["Decrypt", { ciphertext_blob: Buffer.from("garbage") }, status.INVALID_ARGUMENT, "InvalidParameterValue.InvalidCiphertext"],
      ["GenerateRandom", { number_of_bytes: 2048 }, status.INVALID_ARGUMENT, "InvalidParameterValue"],
      ["ScheduleKeyDeletion", { key_id: "00000000-0000-4000-8000-000000000000", pending_window_in_days: 3 }, status.INVALID_ARGUMENT, "InvalidParameter.InvalidPendingWindowInDays"],
    ];
    for (const [method, req, grpcStatus, code] of cases) expect(await grpcJsError(c.call(method, req))).toEqual({ status: grpcStatus, code });

    const { key_id } = await c.call("CreateKey", { alias: "grpcjs-state" });
    expect(await grpcJsError(c.call("ScheduleKeyDeletion", { key_id, pending_window_in_days: 7 }))).toEqual({
      status: status.FAILED_PRECONDITION,
      code: "ResourceUnavailable.CmkShouldBeDisabled",
    });
    await c.call("DisableKey", { key_id });
    expect(await grpcJsError(c.call("Encrypt", { key_id, plaintext: Buffer.from("x") }))).toEqual({
      status: status.FAILED_PRECONDITION,
      code: "ResourceUnavailable.CmkDisabled",
    });
  });
});
