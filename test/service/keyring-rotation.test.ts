/**
 * A keyring rotation over a store that holds every family's records: each
 * sealed record kind is registered (or its space declared plain), so the
 * rotation finishes and drops the old versions, and every family still
 * reads its material afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataKeyService } from "../../gen/kms/v1/datakeys_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { WhiteBoxAlgorithm, WhiteBoxKeyService } from "../../gen/kms/v1/whitebox_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import { callMethod, expectOk, openInProcess, type InProcess } from "../helpers/in-process.js";

let kms: InProcess;
let root: Credentials;

beforeAll(async () => {
  kms = await openInProcess();
  root = { kind: "token", token: kms.token };
});
afterAll(async () => {
  await kms.dispose();
});

describe("a keyring rotation across the families", () => {
  it("rewraps every sealed record, drops the old versions, and every family still reads", async () => {
    const p = kms.core.pipeline;
    const { keyId } = await expectOk<{ keyId: string }>(callMethod(p, KeyManagementService.method.createKey, { alias: "rotate-me" }, root));
    const { ciphertextBlob } = await expectOk<{ ciphertextBlob: Uint8Array }>(callMethod(p, KeyManagementService.method.encrypt, { keyId, plaintext: new TextEncoder().encode("before") }, root));
    await expectOk(callMethod(p, SecretsManagerService.method.createSecret, { secretName: "rotate-secret", versionId: "v1", secretString: "s3cret" }, root));
    const hosted = await expectOk<{ dataKeyId: string; plaintext: Uint8Array }>(callMethod(p, KeyManagementService.method.generateDataKey, { keyId, numberOfBytes: 32, isHostedByKms: 1, dataKeyName: "rotate-dk" }, root));
    const wb = await expectOk<{ keyId: string }>(callMethod(p, WhiteBoxKeyService.method.createWhiteBoxKey, { alias: "rotate-wb", algorithm: WhiteBoxAlgorithm.SM4 }, root));

    const { trust } = kms.core.domain;
    await trust.rotateKeyring();
    await trust.rotationDone();
    expect(kms.logged.filter((l) => /belongs to no registered sealed record kind|unreadable/.test(l))).toEqual([]);
    expect(kms.logged.some((l) => /older versions dropped/.test(l))).toBe(true);

    const dec = await expectOk<{ plaintext: Uint8Array }>(callMethod(p, KeyManagementService.method.decrypt, { ciphertextBlob }, root));
    expect(new TextDecoder().decode(dec.plaintext)).toBe("before");
    const value = await expectOk<{ secretString: string }>(callMethod(p, SecretsManagerService.method.getSecretValue, { secretName: "rotate-secret", versionId: "v1" }, root));
    expect(value.secretString).toBe("s3cret");
    const dk = await expectOk<{ plaintext: Uint8Array }>(callMethod(p, DataKeyService.method.getDataKeyPlaintext, { dataKeyId: hosted.dataKeyId }, root));
    expect(Buffer.from(dk.plaintext)).toEqual(Buffer.from(hosted.plaintext));
    const enc = await callMethod(p, WhiteBoxKeyService.method.encryptByWhiteBox, { keyId: wb.keyId, plainText: new TextEncoder().encode("wb") }, root);
    expect(enc.ok).toBe(true);
    const tables = await callMethod(p, WhiteBoxKeyService.method.describeWhiteBoxDecryptKey, { keyId: wb.keyId }, root);
    expect(tables.ok).toBe(true);
  });
});
