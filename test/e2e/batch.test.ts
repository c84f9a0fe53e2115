/**
 * Batch crypto over gRPC: up to 1,000 items a call, each authorised, run and
 * audited as the single call it stands for; one bad item fails only itself.
 */
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchCryptoService } from "../../gen/kms/v1/batch_pb.js";
import { adminClient, bearer, codeOf, connectClients, type ConnectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let clients: ConnectClients;
let sessions: Http2SessionManager;
let batch: Client<typeof BatchCryptoService>;
let keyA: string;
let keyB: string;
let disabled: string;

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);
const MISSING = "00000000-0000-4000-8000-000000000000";

function codes(results: { result: { case?: string; value?: unknown } }[]): string[] {
  return results.map((r) => (r.result.case === "ok" ? "ok" : r.result.case === "error" ? (r.result.value as { code: string }).code : "?"));
}

beforeAll(async () => {
  ts = await startTestServer();
  clients = connectClients(ts);
  sessions = new Http2SessionManager(ts.grpcUrl);
  batch = createClient(BatchCryptoService, createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(ts.token)] }));
  keyA = (await clients.grpc.createKey({ alias: "batch-a" })).keyId;
  keyB = (await clients.grpc.createKey({ alias: "batch-b" })).keyId;
  disabled = (await clients.grpc.createKey({ alias: "batch-off" })).keyId;
  await clients.grpc.disableKey({ keyId: disabled });
});
afterAll(async () => {
  sessions.abort();
  clients.close();
  await ts.dispose();
});

describe("BatchCryptoService", () => {
  it("encrypts each item as Encrypt would, a bad item failing only itself with the single call's code", async () => {
    const { results } = await batch.batchEncrypt({
      items: [
        { keyId: keyA, plaintext: text("one"), encryptionContext: '{"n":"1"}' },
        { keyId: disabled, plaintext: text("two") },
        { keyId: MISSING, plaintext: text("three") },
        { keyId: keyB, plaintext: new Uint8Array(0) },
        { keyId: "not-a-key", plaintext: text("five") },
        { keyId: keyB, plaintext: text("six") },
      ],
    });
    expect(codes(results)).toEqual(["ok", "ResourceUnavailable.CmkDisabled", "ResourceUnavailable.CmkNotFound", "InvalidParameterValue.InvalidPlaintext", "InvalidParameterValue.InvalidKeyId", "ok"]);
    const first = results[0]!.result;
    const sixth = results[5]!.result;
    if (first.case !== "ok" || sixth.case !== "ok") throw new Error("expected ciphertexts");
    expect(read((await clients.grpc.decrypt({ ciphertextBlob: first.value.ciphertextBlob, encryptionContext: '{"n":"1"}' })).plaintext)).toBe("one");
    expect(sixth.value.keyId).toBe(keyB);
  });

  it("decrypts, re-encrypts and generates data keys item by item", async () => {
    const enc = await batch.batchEncrypt({ items: Array.from({ length: 50 }, (_, i) => ({ keyId: i % 2 ? keyA : keyB, plaintext: text(`item ${i}`) })) });
    const blobs = enc.results.map((r) => (r.result.case === "ok" ? r.result.value.ciphertextBlob : new Uint8Array(0)));
    const tampered = Uint8Array.from(blobs[3]!);
    tampered[tampered.length - 1]! ^= 1;
    const dec = await batch.batchDecrypt({ items: [...blobs.map((b) => ({ ciphertextBlob: b })), { ciphertextBlob: tampered }, { ciphertextBlob: blobs[0]!, encryptionContext: '{"wrong":"ctx"}' }] });
    expect(dec.results.slice(0, 50).map((r) => (r.result.case === "ok" ? read(r.result.value.plaintext) : r.result.case))).toEqual(Array.from({ length: 50 }, (_, i) => `item ${i}`));
    expect(codes(dec.results.slice(50))).toEqual(["FailedOperation.DecryptError", "FailedOperation.DecryptError"]);

    const re = await batch.batchReEncrypt({ items: [{ ciphertextBlob: blobs[0]!, destinationKeyId: keyA }, { ciphertextBlob: blobs[1]!, destinationKeyId: disabled }] });
    expect(codes(re.results)).toEqual(["ok", "ResourceUnavailable.CmkDisabled"]);

    const gdk = await batch.batchGenerateDataKey({ items: [{ keyId: keyA, numberOfBytes: 32 }, { keyId: keyB, numberOfBytes: 2048 }] });
    expect(codes(gdk.results)).toEqual(["ok", "InvalidParameterValue"]);
    const dataKey = gdk.results[0]!.result;
    if (dataKey.case !== "ok") throw new Error("expected a data key");
    expect(dataKey.value.plaintext).toHaveLength(32);
    expect((await clients.grpc.decrypt({ ciphertextBlob: dataKey.value.ciphertextBlob })).plaintext).toEqual(dataKey.value.plaintext);
  });

  it("refuses an empty batch and one of more than 1,000 items", async () => {
    expect(await codeOf(batch.batchEncrypt({ items: [] }))).toBe("InvalidParameterValue");
    expect(await codeOf(batch.batchEncrypt({ items: Array.from({ length: 1001 }, () => ({ keyId: keyA, plaintext: text("x") })) }))).toBe("InvalidParameterValue");
    expect((await batch.batchEncrypt({ items: Array.from({ length: 1000 }, () => ({ keyId: keyA, plaintext: text("x") })) })).results).toHaveLength(1000);
  });

  it("authorises each item on its own key, with no grant needed for the batch itself, and audits every item", async () => {
    const admin = adminClient(ts);
    const principal = (await admin.client.createPrincipal({ name: "batch-user" })).principal!;
    const document = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:Encrypt"], resource: [`qcs::kms::uin/*:key/creatorUin/*/${keyA}`] }] });
    await admin.client.createPolicy({ name: "batch-a-only", document });
    await admin.client.attachPolicy({ principalUin: principal.uin, policyName: "batch-a-only" });
    const { secret } = await admin.client.createToken({ principalUin: principal.uin });
    const userSessions = new Http2SessionManager(ts.grpcUrl);
    const asUser = createClient(BatchCryptoService, createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: userSessions, interceptors: [bearer(secret)] }));
    let requestId = "";
    const { results } = await asUser.batchEncrypt(
      { items: [{ keyId: keyA, plaintext: text("mine") }, { keyId: keyB, plaintext: text("not mine") }, { keyId: MISSING, plaintext: text("nobody's") }] },
      { onHeader: (h) => (requestId = h.get("kms-request-id") ?? "") },
    );
    expect(codes(results)).toEqual(["ok", "UnauthorizedOperation", "UnauthorizedOperation"]);
    userSessions.abort();

    await ts.server.audit.flush();
    const events = (await ts.server.audit.query({ principalUin: principal.uin.toString() }, { limit: 100 })).events;
    const mine = events.filter((e) => e.requestId === requestId || e.requestId.startsWith(`${requestId}/`));
    expect(mine.map((e) => [e.requestId.slice(requestId.length), e.action, e.result, e.keyIds])).toEqual([
      ["/0", "kms:Encrypt", "Success", [keyA]],
      ["/1", "kms:Encrypt", "UnauthorizedOperation", [keyB]],
      ["/2", "kms:Encrypt", "UnauthorizedOperation", [MISSING]],
      ["", "kms:BatchEncrypt", "Success", []],
    ]);
    admin.close();
  });
});
