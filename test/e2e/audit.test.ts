/**
 * The audit trail through the real server: every call (allowed, denied,
 * unauthenticated) is an event with who, where, what and the result; events
 * carry no secrets; and tampering with the stored chain (edit, delete,
 * reorder, truncate) is reported by VerifyAuditLog at the right position.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyUsage } from "../../gen/kms/v1/kms_pb.js";
import type { AuditEvent as AuditEventMessage } from "../../gen/kms/v1/admin_pb.js";
import type { Logger } from "../../src/log.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { readAudit, restore, writeLines, type AuditSnapshot } from "../helpers/audit-store.js";
import { adminClient, codeOf, connectClients, type AdminClient, type ConnectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms } from "../helpers/tencent.js";

/** A logger that keeps every line, so the test can grep what the server wrote. */
function capturingLogger(lines: string[]): Logger {
  const put = (level: string) => (msg: string, err?: unknown) => lines.push(`${level} ${msg}${err instanceof Error ? ` ${err.stack ?? err.message}` : ""}`);
  return { info: put("INFO"), warn: put("WARN"), error: put("ERROR") };
}

async function allEvents(admin: AdminClient): Promise<AuditEventMessage[]> {
  const out: AuditEventMessage[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await admin.queryAuditEvents({ afterSeq, limit: 1000 });
    out.push(...page.events);
    if (page.nextAfterSeq === 0n) return out;
    afterSeq = page.nextAfterSeq;
  }
}

const jsonOf = (events: readonly AuditEventMessage[]) => JSON.stringify(events, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

describe("the audit trail", () => {
  const lines: string[] = [];
  let ts: TestServer;
  let root: ConnectClients;
  let admin: { client: AdminClient; close(): void };
  /** Every secret the test sees: none may appear in events or logs. */
  const secrets: string[] = [];
  let aliceUin = 0n;
  let keyId = "";
  let encryptRequestId = "";

  beforeAll(async () => {
    ts = await startTestServer({ log: capturingLogger(lines) });
    root = connectClients(ts);
    admin = adminClient(ts);
    secrets.push(ts.token, ts.secretKey, ts.rootKey);

    const alice = (await admin.client.createPrincipal({ name: "alice" })).principal!;
    aliceUin = alice.uin;
    const token = (await admin.client.createToken({ principalUin: alice.uin })).secret;
    const ak = await admin.client.createAccessKey({ principalUin: alice.uin });
    secrets.push(token, ak.secretKey);
    await admin.client.createPolicy({ name: "alice-encrypt", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:Encrypt", "kms:Decrypt"], resource: ["*"] }] }) });
    await admin.client.attachPolicy({ principalUin: alice.uin, policyName: "alice-encrypt" });

    keyId = (await root.grpc.createKey({ alias: "audited" })).keyId;
    const plaintext = "audit-plaintext-7f3a9c";
    secrets.push(plaintext, Buffer.from(plaintext).toString("base64"));
    const aliceClients = connectClients({ ...ts, token });
    const enc = await aliceClients.grpc.encrypt(
      { keyId, plaintext: new TextEncoder().encode(plaintext), encryptionContext: '{"app":"billing"}' },
      { onHeader: (h) => (encryptRequestId = h.get("kms-request-id") ?? "") },
    );
    await aliceClients.connectJson.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: '{"app":"billing"}' });
    expect(await codeOf(aliceClients.grpc.listKeys({}))).toBe("UnauthorizedOperation");
    aliceClients.close();
    const stranger = connectClients({ ...ts, token: "kmstAAAAAAAAAAAAAAAA.not-a-real-token-value" });
    expect(await codeOf(stranger.grpc.listKeys({}))).toBe("AuthFailure.TokenFailure");
    stranger.close();

    const sdk = tencentKms(ts.httpUrl, ak.accessKey!.secretId, ak.secretKey);
    await sdk.Encrypt({ KeyId: keyId, Plaintext: Buffer.from(plaintext).toString("base64") });
    expect(await sdkCode(sdk.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 }))).toBe("UnauthorizedOperation");

    const dk = await root.grpc.generateDataKey({ keyId, numberOfBytes: 32 });
    secrets.push(Buffer.from(dk.plaintext).toString("base64"), Buffer.from(dk.plaintext).toString("hex"));
    const signer = (await root.grpc.createKey({ alias: "audited-signer", keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC })).keyId;
    const sig = await root.grpc.signByAsymmetricKey({ keyId: signer, message: new TextEncoder().encode("sign me"), algorithm: "ECC_P256_R1" });
    secrets.push(Buffer.from(sig.signature).toString("base64"));
  }, 60_000);

  afterAll(async () => {
    root?.close();
    admin?.close();
    await ts?.dispose();
  });

  it("records allowed, denied and unauthenticated calls with who, where, what and the result", async () => {
    const events = await allEvents(admin.client);
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_e, i) => i + 1));
    // One event per call: a change is written with its event, never recorded twice.
    expect(new Set(events.map((e) => e.requestId)).size).toBe(events.length);
    const encrypt = events.find((e) => e.requestId === encryptRequestId)!;
    expect(encrypt).toMatchObject({ principalUin: aliceUin, principalName: "alice", transport: "grpc", action: "kms:Encrypt", keyIds: [keyId], result: "Success" });
    expect(encrypt.source).toMatch(/127\.0\.0\.1$/);
    expect(encrypt.credential).toMatch(/^kmst[A-Za-z0-9]{16}$/);
    expect(encrypt.latencyMs).toBeGreaterThan(0);
    expect(encrypt.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(events).toContainEqual(expect.objectContaining({ principalName: "alice", transport: "connect", action: "kms:Decrypt", keyIds: [keyId], result: "Success" }));
    expect(events).toContainEqual(expect.objectContaining({ principalName: "alice", action: "kms:ListKeys", result: "UnauthorizedOperation" }));
    expect(events).toContainEqual(expect.objectContaining({ principalUin: 0n, action: "kms:ListKeys", result: "AuthFailure.TokenFailure" }));
    expect(events).toContainEqual(expect.objectContaining({ principalName: "alice", transport: "api3", action: "kms:Encrypt", result: "Success" }));
    expect(events).toContainEqual(expect.objectContaining({ principalName: "alice", transport: "api3", action: "kms:ScheduleKeyDeletion", keyIds: [keyId], result: "UnauthorizedOperation" }));
    expect(events).toContainEqual(expect.objectContaining({ principalName: "root", action: "kmsadmin:CreatePrincipal", result: "Success" }));
    expect(events).toContainEqual(expect.objectContaining({ principalName: "root", action: "kms:CreateKey", keyIds: [keyId], result: "Success" }));
  });

  it("filters by principal, action, key, result and time", async () => {
    const byAlice = await admin.client.queryAuditEvents({ principalUin: aliceUin });
    expect(byAlice.events.length).toBeGreaterThanOrEqual(5);
    expect(byAlice.events.every((e) => e.principalUin === aliceUin)).toBe(true);
    const denied = await admin.client.queryAuditEvents({ result: "UnauthorizedOperation" });
    expect(denied.events.map((e) => e.action).sort()).toEqual(["kms:ListKeys", "kms:ScheduleKeyDeletion"]);
    const onKey = await admin.client.queryAuditEvents({ keyId, action: "kms:Encrypt" });
    expect(onKey.events).toHaveLength(2);
    const now = BigInt(ts.clock.now());
    expect((await admin.client.queryAuditEvents({ fromTimeMs: now + 1n })).events).toHaveLength(0);
    expect((await admin.client.queryAuditEvents({ toTimeMs: now + 1n, limit: 3 })).events).toHaveLength(3);
    expect(await codeOf(admin.client.queryAuditEvents({ limit: 5000 }))).toBe("InvalidParameterValue");
  });

  it("never holds plaintext, data keys, signatures, tokens or secret keys, nor do the logs", async () => {
    const text = jsonOf(await allEvents(admin.client)) + lines.join("\n");
    for (const s of secrets) expect(text, "a secret leaked into audit events or logs").not.toContain(s);
  });

  it("verifies while untouched", async () => {
    const report = await admin.client.verifyAuditLog({});
    expect(report).toMatchObject({ ok: true, failureSeq: 0n, failureReason: "" });
    expect(report.checked).toBe(report.headSeq);
  });
});

describe("tampering with the stored chain", () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer();
    const c = connectClients(ts);
    // State changes, one after the other: each answer waits for its own group commit, so every event is a
    // group of its own and a deleted one leaves a gap at its seq. (Read-only calls' events share groups as
    // timing has it: event 7 could then sit inside a group, and its deletion fail the group's MAC instead.)
    for (let i = 0; i < 12; i++) await c.grpc.createKey({ alias: `tampered-${i}` });
    c.close();
    await ts.stop();
  });

  afterAll(async () => {
    await ts.dispose();
  });

  /** The chain as it was before the last tampering: an edit inside a group commit is reported at the group's first event. */
  let tampered: AuditSnapshot | undefined;

  /** Changes the stored events with the server stopped, restarts, verifies, and puts everything back. */
  async function tamperAndVerify(change: (lines: Map<number, string>) => void) {
    const store = await openLevelStore(`${ts.dataDir}/db`, { sync: true });
    const snapshot = await readAudit(store);
    tampered = snapshot;
    const lines = new Map(snapshot.lines);
    change(lines);
    await writeLines(store, snapshot, lines);
    await store.close();

    const again = await startTestServer({ dataDir: ts.dataDir, rootKey: ts.rootKey, env: ts.env });
    const admin = adminClient(again);
    const report = await admin.client.verifyAuditLog({});
    admin.close();
    await again.stop();

    const back = await openLevelStore(`${ts.dataDir}/db`, { sync: true });
    await restore(back, snapshot);
    await back.close();
    return report;
  }

  const edited = (line: string, edit: (e: Record<string, unknown>) => void) => {
    const e = JSON.parse(line) as Record<string, unknown>;
    edit(e);
    return JSON.stringify(e);
  };

  it("reports an edited event where it was edited", async () => {
    const report = await tamperAndVerify((lines) => lines.set(5, edited(lines.get(5)!, (e) => (e.result = "UnauthorizedOperation"))));
    expect(report).toMatchObject({ ok: false, failureSeq: BigInt(tampered!.blockStart(5)), failureReason: "mac-mismatch" });
  });

  it("reports a deleted event at its position", async () => {
    const report = await tamperAndVerify((lines) => lines.delete(7));
    expect(tampered!.blockStart(7)).toBe(7);
    expect(report).toMatchObject({ ok: false, failureSeq: 7n, failureReason: "missing" });
  });

  it("reports two swapped events at the first of them", async () => {
    const report = await tamperAndVerify((lines) => {
      const third = lines.get(3)!;
      lines.set(3, lines.get(4)!);
      lines.set(4, third);
    });
    expect(report).toMatchObject({ ok: false, failureSeq: 3n, failureReason: "sequence-mismatch" });
  });

  it("reports a forged MAC recomputed without the audit key", async () => {
    const report = await tamperAndVerify((lines) => lines.set(9, edited(lines.get(9)!, (e) => (e.principalName = "someone-else"))));
    expect(report).toMatchObject({ ok: false, failureSeq: BigInt(tampered!.blockStart(9)), failureReason: "mac-mismatch" });
  });

  it("verifies again once restored", async () => {
    const again = await startTestServer({ dataDir: ts.dataDir, rootKey: ts.rootKey, env: ts.env });
    const admin = adminClient(again);
    expect(await admin.client.verifyAuditLog({})).toMatchObject({ ok: true });
    admin.close();
    await again.stop();
  });
});
