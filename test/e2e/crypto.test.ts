/** Symmetric crypto through the real server: gRPC protocol and Connect JSON. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { DataKeySpec, KeyManagementService, KeyState } from "../../gen/kms/v1/kms_pb.js";
import { bearer, codeOf, connectClients, type ConnectClients, type KmsClient } from "../helpers/clients.js";
import { startTestServer, useServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let clients: ConnectClients;
let kms: KmsClient;
let seq = 0;
const alias = () => `c-${Date.now().toString(36)}-${++seq}`;
const bytes = (s: string) => new TextEncoder().encode(s);

useServer((s, c) => {
  ts = s;
  clients = c;
  kms = c.grpc;
});

async function newKey(): Promise<string> {
  return (await kms.createKey({ alias: alias() })).keyId;
}

describe("Encrypt and Decrypt", () => {
  it("round-trip 1 to 4096 bytes without a key id on Decrypt", async () => {
    const keyId = await newKey();
    for (const n of [1, 32, 4096]) {
      const plaintext = randomBytes(n);
      const enc = await kms.encrypt({ keyId, plaintext });
      expect(enc.keyId).toBe(keyId);
      const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob });
      expect(dec.keyId).toBe(keyId);
      expect(Buffer.from(dec.plaintext).equals(plaintext)).toBe(true);
    }
  });

  it("uses a fresh IV every time", async () => {
    const keyId = await newKey();
    const a = await kms.encrypt({ keyId, plaintext: bytes("same") });
    const b = await kms.encrypt({ keyId, plaintext: bytes("same") });
    expect(Buffer.from(a.ciphertextBlob).equals(Buffer.from(b.ciphertextBlob))).toBe(false);
    // Layout: version 1, AES-256-GCM (1), key id, key version 1, then the IV.
    const blob = Buffer.from(a.ciphertextBlob);
    expect(blob[0]).toBe(1);
    expect(blob[1]).toBe(1);
    expect(blob.subarray(2, 18).toString("hex")).toBe(keyId.replace(/-/g, ""));
    expect(blob.readUInt32BE(18)).toBe(1);
    expect(blob.length).toBe(34 + 4 + 16);
  });

  it("refuses plaintext outside 1..4096 bytes", async () => {
    const keyId = await newKey();
    expect(await codeOf(kms.encrypt({ keyId, plaintext: new Uint8Array(0) }))).toBe("InvalidParameterValue.InvalidPlaintext");
    expect(await codeOf(kms.encrypt({ keyId, plaintext: new Uint8Array(4097) }))).toBe("InvalidParameterValue.InvalidPlaintext");
  });

  it("binds the encryption context, in any member order", async () => {
    const keyId = await newKey();
    const context = JSON.stringify({ tenant: "a", purpose: "backup", n: 1 });
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: bytes("secret"), encryptionContext: context });
    const reordered = '{ "n": 1, "purpose": "backup", "tenant": "a" }';
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob, encryptionContext: reordered })).plaintext)).toBe("secret");
    for (const wrong of ["", '{"tenant":"b","purpose":"backup","n":1}', '{"tenant":"a","purpose":"backup"}', '{"tenant":"a","purpose":"backup","n":"1"}'])
      expect(await codeOf(kms.decrypt({ ciphertextBlob, encryptionContext: wrong }))).toBe("FailedOperation.DecryptError");
    // A blob made without context does not decrypt with one.
    const plain = await kms.encrypt({ keyId, plaintext: bytes("x") });
    expect(await codeOf(kms.decrypt({ ciphertextBlob: plain.ciphertextBlob, encryptionContext: '{"a":"b"}' }))).toBe("FailedOperation.DecryptError");
  });

  it("keeps keys and values apart in the context (no concatenation ambiguity)", async () => {
    const keyId = await newKey();
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: bytes("x"), encryptionContext: '{"ab":"c"}' });
    expect(await codeOf(kms.decrypt({ ciphertextBlob, encryptionContext: '{"a":"bc"}' }))).toBe("FailedOperation.DecryptError");
  });

  it("refuses malformed or oversized contexts", async () => {
    const keyId = await newKey();
    for (const bad of ["not json", "[1,2]", '"str"', "null", "{"])
      expect(await codeOf(kms.encrypt({ keyId, plaintext: bytes("x"), encryptionContext: bad }))).toBe("InvalidParameterValue");
    const big = JSON.stringify({ k: "v".repeat(1020) });
    expect(await codeOf(kms.encrypt({ keyId, plaintext: bytes("x"), encryptionContext: big }))).toBe("InvalidParameterValue");
  });

  it("never returns plaintext for a tampered, truncated or foreign blob", async () => {
    const keyId = await newKey();
    const other = await newKey();
    const blob = Buffer.from((await kms.encrypt({ keyId, plaintext: bytes("tamper me"), encryptionContext: '{"a":"1"}' })).ciphertextBlob);
    const accepted = new Set(["InvalidParameterValue.InvalidCiphertext", "FailedOperation.DecryptError", "ResourceUnavailable.CmkNotFound"]);
    for (let i = 0; i < blob.length; i++) {
      const t = Buffer.from(blob);
      t[i] = (t[i] as number) ^ 0x01;
      expect(accepted).toContain(await codeOf(kms.decrypt({ ciphertextBlob: t, encryptionContext: '{"a":"1"}' })));
    }
    for (const len of [0, 1, 33, 49, blob.length - 1])
      expect(["InvalidParameterValue.InvalidCiphertext", "FailedOperation.DecryptError"]).toContain(
        await codeOf(kms.decrypt({ ciphertextBlob: blob.subarray(0, len), encryptionContext: '{"a":"1"}' })),
      );
    // The same bytes re-labelled with another existing key id fail the tag.
    const moved = Buffer.from(blob);
    moved.set(Buffer.from(other.replace(/-/g, ""), "hex"), 2);
    expect(await codeOf(kms.decrypt({ ciphertextBlob: moved, encryptionContext: '{"a":"1"}' }))).toBe("FailedOperation.DecryptError");
    // An unknown version of a real key is not a valid ciphertext.
    const v9 = Buffer.from(blob);
    v9.writeUInt32BE(9, 18);
    expect(await codeOf(kms.decrypt({ ciphertextBlob: v9, encryptionContext: '{"a":"1"}' }))).toBe("InvalidParameterValue.InvalidCiphertext");
  });

  it("follows the key state: disabled refuses both, archived only decrypts, pending states refuse", async () => {
    const keyId = await newKey();
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: bytes("x") });

    await kms.disableKey({ keyId });
    expect(await codeOf(kms.encrypt({ keyId, plaintext: bytes("x") }))).toBe("ResourceUnavailable.CmkDisabled");
    expect(await codeOf(kms.decrypt({ ciphertextBlob }))).toBe("ResourceUnavailable.CmkDisabled");
    expect(await codeOf(kms.generateDataKey({ keyId, keySpec: DataKeySpec.AES_256 }))).toBe("ResourceUnavailable.CmkDisabled");

    await kms.enableKey({ keyId });
    await kms.archiveKey({ keyId });
    expect(await codeOf(kms.encrypt({ keyId, plaintext: bytes("x") }))).toBe("ResourceUnavailable.CmkArchived");
    expect(await codeOf(kms.generateDataKey({ keyId, keySpec: DataKeySpec.AES_256 }))).toBe("ResourceUnavailable.CmkArchived");
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe("x");

    await kms.cancelKeyArchive({ keyId });
    await kms.disableKey({ keyId });
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
    expect(await codeOf(kms.encrypt({ keyId, plaintext: bytes("x") }))).toBe("ResourceUnavailable.CmkStateNotSupport");
    expect(await codeOf(kms.decrypt({ ciphertextBlob }))).toBe("ResourceUnavailable.CmkStateNotSupport");

    const external = (await kms.createKey({ alias: alias(), type: 2 })).keyId;
    expect(await codeOf(kms.encrypt({ keyId: external, plaintext: bytes("x") }))).toBe("ResourceUnavailable.CmkStateNotSupport");
  });

  it("answers CmkNotFound and InvalidKeyId for bad key ids", async () => {
    expect(await codeOf(kms.encrypt({ keyId: "00000000-0000-4000-8000-000000000000", plaintext: bytes("x") }))).toBe("ResourceUnavailable.CmkNotFound");
    expect(await codeOf(kms.encrypt({ keyId: "", plaintext: bytes("x") }))).toBe("InvalidParameterValue.InvalidKeyId");
  });
});

describe("GenerateDataKey", () => {
  it("returns a data key of the requested length, in plaintext and under the CMK", async () => {
    const keyId = await newKey();
    const cases: [Parameters<KmsClient["generateDataKey"]>[0], number][] = [
      [{ keyId, keySpec: DataKeySpec.AES_128 }, 16],
      [{ keyId, keySpec: DataKeySpec.AES_256 }, 32],
      [{ keyId, numberOfBytes: 1 }, 1],
      [{ keyId, numberOfBytes: 1024 }, 1024],
      [{ keyId, keySpec: DataKeySpec.AES_128, numberOfBytes: 48 }, 48],
    ];
    for (const [req, len] of cases) {
      const res = await kms.generateDataKey({ ...req, encryptionContext: '{"file":"a.txt"}' });
      expect(res.keyId).toBe(keyId);
      expect(res.plaintext.length).toBe(len);
      const dec = await kms.decrypt({ ciphertextBlob: res.ciphertextBlob, encryptionContext: '{"file":"a.txt"}' });
      expect(Buffer.from(dec.plaintext).equals(Buffer.from(res.plaintext))).toBe(true);
    }
  });

  it("refuses missing or out-of-range lengths", async () => {
    const keyId = await newKey();
    expect(await codeOf(kms.generateDataKey({ keyId }))).toBe("InvalidParameter");
    expect(await codeOf(kms.generateDataKey({ keyId, numberOfBytes: 1025 }))).toBe("InvalidParameterValue");
    expect(await codeOf(kms.generateDataKey({ keyId, keySpec: 7 as DataKeySpec }))).toBe("InvalidParameterValue");
  });
});

describe("GenerateRandom", () => {
  it("returns 1 to 1024 fresh random bytes", async () => {
    expect((await kms.generateRandom({ numberOfBytes: 1 })).plaintext.length).toBe(1);
    const a = (await kms.generateRandom({ numberOfBytes: 1024 })).plaintext;
    const b = (await kms.generateRandom({ numberOfBytes: 1024 })).plaintext;
    expect(a.length).toBe(1024);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(await codeOf(kms.generateRandom({ numberOfBytes: 0 }))).toBe("InvalidParameterValue");
    expect(await codeOf(kms.generateRandom({ numberOfBytes: 1025 }))).toBe("InvalidParameterValue");
  });
});

describe("ReEncrypt", () => {
  it("returns the blob unchanged when key, version and context are the same", async () => {
    const keyId = await newKey();
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: bytes("r"), encryptionContext: '{"a":"1"}' });
    const res = await kms.reEncrypt({ ciphertextBlob, sourceEncryptionContext: '{"a":"1"}', destinationEncryptionContext: '{"a":"1"}' });
    expect(res).toMatchObject({ keyId, sourceKeyId: keyId, reEncrypted: false });
    expect(Buffer.from(res.ciphertextBlob).equals(Buffer.from(ciphertextBlob))).toBe(true);
  });

  it("moves ciphertext to another key and context", async () => {
    const from = await newKey();
    const to = await newKey();
    const { ciphertextBlob } = await kms.encrypt({ keyId: from, plaintext: bytes("move me"), encryptionContext: '{"a":"1"}' });
    const res = await kms.reEncrypt({ ciphertextBlob, destinationKeyId: to, sourceEncryptionContext: '{"a":"1"}', destinationEncryptionContext: '{"b":"2"}' });
    expect(res).toMatchObject({ keyId: to, sourceKeyId: from, reEncrypted: true });
    expect(await codeOf(kms.decrypt({ ciphertextBlob: res.ciphertextBlob, encryptionContext: '{"a":"1"}' }))).toBe("FailedOperation.DecryptError");
    const dec = await kms.decrypt({ ciphertextBlob: res.ciphertextBlob, encryptionContext: '{"b":"2"}' });
    expect(dec.keyId).toBe(to);
    expect(new TextDecoder().decode(dec.plaintext)).toBe("move me");
    // Same key, new context: re-encrypted.
    const again = await kms.reEncrypt({ ciphertextBlob, sourceEncryptionContext: '{"a":"1"}' });
    expect(again.reEncrypted).toBe(true);
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: again.ciphertextBlob })).plaintext)).toBe("move me");
  });

  it("checks the source context and the destination key", async () => {
    const from = await newKey();
    const to = await newKey();
    const { ciphertextBlob } = await kms.encrypt({ keyId: from, plaintext: bytes("x"), encryptionContext: '{"a":"1"}' });
    expect(await codeOf(kms.reEncrypt({ ciphertextBlob, destinationKeyId: to }))).toBe("FailedOperation.DecryptError");
    await kms.disableKey({ keyId: to });
    expect(await codeOf(kms.reEncrypt({ ciphertextBlob, destinationKeyId: to, sourceEncryptionContext: '{"a":"1"}' }))).toBe("ResourceUnavailable.CmkDisabled");
    expect(await codeOf(kms.reEncrypt({ ciphertextBlob, destinationKeyId: "00000000-0000-4000-8000-000000000000", sourceEncryptionContext: '{"a":"1"}' }))).toBe(
      "ResourceUnavailable.CmkNotFound",
    );
    expect(await codeOf(kms.reEncrypt({ ciphertextBlob, destinationKeyId: "bad", sourceEncryptionContext: '{"a":"1"}' }))).toBe("InvalidParameterValue.InvalidKeyId");
    await kms.archiveKey({ keyId: from }).catch(() => undefined);
    expect(await codeOf(kms.reEncrypt({ ciphertextBlob: new Uint8Array(10) }))).toBe("InvalidParameterValue.InvalidCiphertext");
  });
});

describe("Connect JSON over HTTP/1.1", () => {
  it("serves the same actions with base64 bytes", async () => {
    const c = clients.connectJson;
    const { keyId } = await c.createKey({ alias: alias() });
    const enc = await c.encrypt({ keyId, plaintext: bytes("json path"), encryptionContext: '{"x":"y"}' });
    const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: '{"x":"y"}' });
    expect(new TextDecoder().decode(dec.plaintext)).toBe("json path");
    expect(await codeOf(c.describeKey({ keyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
  });

  it("answers raw HTTP with the API code in the error detail and header", async () => {
    const res = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/DescribeKey`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ts.token}` },
      body: JSON.stringify({ KeyId: "nope" }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("kms-error-code")).toBe("InvalidParameterValue.InvalidKeyId");
    expect(res.headers.get("kms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { code: string; details: { type: string }[] };
    expect(body.code).toBe("invalid_argument");
    expect(body.details[0]!.type).toBe("kms.v1.ErrorInfo");
  });

  it("refuses a message over 1 MiB before reading it all", async () => {
    const huge = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/Encrypt`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ts.token}` },
      body: JSON.stringify({ KeyId: "x", Plaintext: Buffer.alloc(2 * 1024 * 1024).toString("base64") }),
    });
    // Connect's answer for a message over readMaxBytes: resource_exhausted (HTTP 429).
    expect(huge.status).toBe(429);
    expect(((await huge.json()) as { code: string }).code).toBe("resource_exhausted");
    expect((await kms.getRegions({})).regions.length).toBeGreaterThan(0);
  });

  it("answers malformed JSON and unknown methods without crashing", async () => {
    const bad = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/Encrypt`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ts.token}` }, body: "{oops" });
    // Rejected by the Connect framework before any interceptor: a standard invalid_argument.
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe("invalid_argument");
    const wrongType = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/GenerateRandom`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ts.token}` },
      body: '{"NumberOfBytes":"many"}',
    });
    expect(wrongType.status).toBe(400);
    const unknown = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/StealKeys`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ts.token}` }, body: "{}" });
    expect(unknown.status).toBe(404);
    expect((await kms.getRegions({})).regions.length).toBeGreaterThan(0);
  });
});

describe("gRPC-Web", () => {
  it.each([
    ["HTTP/2 on the h2c port", () => ts.grpcUrl, "2"],
    ["HTTP/1.1 on the HTTP port, as browsers send it", () => ts.httpUrl, "1.1"],
  ] as const)("is served over %s", async (_name, url, httpVersion) => {
    const sessions = new Http2SessionManager(url());
    const web = createClient(KeyManagementService, createGrpcWebTransport({ baseUrl: url(), httpVersion, sessionManager: sessions, interceptors: [bearer(ts.token)] }));
    const { keyId } = await web.createKey({ alias: alias() });
    const enc = await web.encrypt({ keyId, plaintext: bytes("web") });
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext)).toBe("web");
    expect(await codeOf(web.describeKey({ keyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
    sessions.abort();
  });
});

describe("GM (SM4-GCM) keys", () => {
  let gm: TestServer;
  let gmClients: ConnectClients;
  beforeAll(async () => {
    gm = await startTestServer({ env: { KMS_DEFAULT_KEY_TYPE: "GM" } });
    gmClients = connectClients(gm);
  });
  afterAll(async () => {
    gmClients.close();
    await gm.dispose();
  });

  it("are Type 4 and encrypt with SM4-GCM", async () => {
    const c = gmClients.grpc;
    const { keyId } = await c.createKey({ alias: "gm-key" });
    expect((await c.describeKey({ keyId })).keyMetadata).toMatchObject({ type: 4, keyState: KeyState.ENABLED });
    const enc = await c.encrypt({ keyId, plaintext: bytes("国密"), encryptionContext: '{"k":"v"}' });
    expect(Buffer.from(enc.ciphertextBlob)[1]).toBe(2);
    expect(new TextDecoder().decode((await c.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: '{"k":"v"}' })).plaintext)).toBe("国密");
    const t = Buffer.from(enc.ciphertextBlob);
    t[t.length - 1] = (t[t.length - 1] as number) ^ 0x80;
    expect(await codeOf(c.decrypt({ ciphertextBlob: t, encryptionContext: '{"k":"v"}' }))).toBe("FailedOperation.DecryptError");
    const dk = await c.generateDataKey({ keyId, keySpec: DataKeySpec.AES_256 });
    expect(Buffer.from((await c.decrypt({ ciphertextBlob: dk.ciphertextBlob })).plaintext).equals(Buffer.from(dk.plaintext))).toBe(true);
  });
});
