/**
 * Backup and restore through the real server and the two commands: data
 * written, a backup taken (npm run backup) while writes go on, restored
 * (npm run restore) into a new data directory, a server started on it, and
 * everything checked there; refusals of the RPC and of the restore.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupService } from "../../gen/kms/v1/backup_pb.js";
import { KeyUsage, MessageType } from "../../gen/kms/v1/kms_pb.js";
import { adminClient, bearer, codeOf, connectClients, type ConnectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const REPO = resolve(__dirname, "../..");

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("KMS_")) env[k] = v;
  return { ...env, ...extra };
}

function run(command: "backup" | "restore", args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ["--import", "tsx", `src/backup/cli/${command}.ts`, ...args], { cwd: REPO, env: cleanEnv(env), timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

let work: string;
let ts: TestServer;
let clients: ConnectClients;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "kms-backup-e2e-"));
  ts = await startTestServer({ env: { KMS_BACKUP_DIR: join(work, "backups") } });
  clients = connectClients(ts);
});
afterAll(async () => {
  clients.close();
  await ts.dispose();
  await rm(work, { recursive: true, force: true });
});

const backupClient = (s: TestServer, token: string) => {
  const sessions = new Http2SessionManager(s.grpcUrl);
  return { client: createClient(BackupService, createGrpcTransport({ baseUrl: s.grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] })), close: () => sessions.abort() };
};

describe("online backup and offline restore", () => {
  it("back up while writes go on, restore into a new directory, and serve everything from it", async () => {
    // Data before the backup: a rotated symmetric key with ciphertext of each version, an ECC key's signature, a sub-user.
    const sym = await clients.grpc.createKey({ alias: "before-backup" });
    const old: { blob: Uint8Array; plaintext: string; context: string }[] = [];
    const encryptSym = async (i: number) => {
      const plaintext = `message ${i} ${randomBytes(4).toString("hex")}`;
      const context = JSON.stringify({ n: String(i) });
      old.push({ blob: (await clients.grpc.encrypt({ keyId: sym.keyId, plaintext: Buffer.from(plaintext), encryptionContext: context })).ciphertextBlob, plaintext, context });
    };
    await encryptSym(1);
    await clients.grpc.enableKeyRotation({ keyId: sym.keyId });
    await clients.grpc.rotateKey({ keyId: sym.keyId });
    await encryptSym(2);
    const ecc = await clients.grpc.createKey({ alias: "before-backup-ecc", keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC });
    const message = Buffer.from("signed before the backup");
    const { signature } = await clients.grpc.signByAsymmetricKey({ keyId: ecc.keyId, algorithm: "ECC_P256_R1", message, messageType: MessageType.RAW });
    const admin = adminClient(ts);
    const user = await admin.client.createPrincipal({ name: "restored-user" });
    const userToken = (await admin.client.createToken({ principalUin: user.principal!.uin })).secret;
    admin.close();

    // Writes go on while the backup runs: one writer, keys in order, each with a ciphertext.
    const written: { keyId: string; blob: Uint8Array }[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const { keyId } = await clients.grpc.createKey({ alias: `during-${i}` });
        written.push({ keyId, blob: (await clients.grpc.encrypt({ keyId, plaintext: Buffer.from(`w${i}`) })).ciphertextBlob });
      }
    })();
    await expect.poll(() => written.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    const acknowledgedBefore = written.length;
    const backup = await run("backup", ["--endpoint", ts.grpcUrl, "--token", ts.token]);
    const acknowledgedAfter = written.length;
    await expect.poll(() => written.length, { timeout: 10_000 }).toBeGreaterThan(acknowledgedAfter + 5);
    writing = false;
    await writer;
    expect(backup.code, backup.stderr).toBe(0);
    const made = JSON.parse(backup.stdout) as { fileName: string; sizeBytes: string; sha256: string; manifest: { counts: { keyspace: string; count: string }[]; auditHeadSeq: string; entries: string } };
    expect(made.fileName).toMatch(/^kms-backup-\d{8}T\d{6}Z-[0-9a-f]{12}\.kmsbak$/);
    const file = join(work, "backups", made.fileName);
    expect((await stat(file)).size).toBe(Number(made.sizeBytes));
    const keysInBackup = Number(made.manifest.counts.find((c) => c.keyspace === "keys")?.count);

    // A wrong root key is refused and writes nothing.
    const refusedTo = join(work, "refused");
    const wrong = await run("restore", ["--from", file, "--to", refusedTo], { KMS_ROOT_KEY: randomBytes(32).toString("base64") });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused: .*wrong root key.*nothing was written/);
    await expect(stat(refusedTo)).rejects.toMatchObject({ code: "ENOENT" });

    // The restore, with the root key from a file, as an operator holding the old root.key would.
    const keyFile = join(work, "old-root.key");
    await writeFile(keyFile, `${ts.rootKey}\n`, { mode: 0o600 });
    const to = join(work, "restored");
    const restored = await run("restore", ["--from", file, "--to", to, "--root-key-file", keyFile]);
    expect(restored.code, restored.stderr).toBe(0);
    const report = JSON.parse(restored.stdout) as { restored: string; versionsChecked: number; auditEventsChecked: number; manifest: { entries: number; auditHead: { seq: number } } };
    expect(report.restored).toBe(to);
    expect(report.manifest.entries).toBe(Number(made.manifest.entries));
    expect(report.auditEventsChecked).toBe(Number(made.manifest.auditHeadSeq));
    expect(report.versionsChecked).toBe(keysInBackup + 1); // every key has one version; the rotated one has two

    // A server on the restored directory (its root key from the copied root.key).
    const second = await startTestServer({ dataDir: to, env: { KMS_ROOT_KEY: "" } });
    const c2 = connectClients(second);
    try {
      for (const o of old) expect(Buffer.from((await c2.grpc.decrypt({ ciphertextBlob: o.blob, encryptionContext: o.context })).plaintext).toString()).toBe(o.plaintext);
      expect((await c2.grpc.verifyByAsymmetricKey({ keyId: ecc.keyId, algorithm: "ECC_P256_R1", message, signatureValue: signature, messageType: MessageType.RAW })).signatureValid).toBe(true);
      // One consistent point: the writer's keys restored are exactly its first ones, at least those acknowledged before the backup began.
      const restoredIds = new Set<string>();
      for (let offset = 0; ; offset += 200) {
        const page = await c2.grpc.listKeys({ offset, limit: 200 });
        expect(page.totalCount).toBe(keysInBackup);
        for (const key of page.keys) restoredIds.add(key.keyId);
        if (page.keys.length < 200) break;
      }
      expect(restoredIds.size).toBe(keysInBackup);
      const present = written.map((w) => restoredIds.has(w.keyId));
      const k = present.indexOf(false);
      expect(k).toBeGreaterThanOrEqual(acknowledgedBefore);
      expect(present.slice(k).every((p) => !p)).toBe(true);
      expect(keysInBackup).toBe(2 + k);
      for (const w of written.slice(0, k)) expect((await c2.grpc.decrypt({ ciphertextBlob: w.blob })).keyId).toBe(w.keyId);
      // Keys written after the snapshot are not there.
      expect(await codeOf(c2.grpc.decrypt({ ciphertextBlob: written[written.length - 1]!.blob }))).toMatch(/CmkNotFound|InvalidCiphertext|DecryptError/);
      // The audit chain verifies, holds each restored key's CreateKey, and goes on.
      const admin2 = adminClient(second);
      const verified = await admin2.client.verifyAuditLog({});
      expect(verified.ok).toBe(true);
      const creates = await admin2.client.queryAuditEvents({ action: "kms:CreateKey", result: "Success", limit: 1000 });
      const created = new Set(creates.events.flatMap((e) => e.keyIds));
      for (const id of restoredIds) expect(created.has(id), id).toBe(true);
      // The sub-user and its token came along: it authenticates (and has no policy).
      expect(await codeOf(connectClients({ ...second, token: userToken }).grpc.listKeys({}))).toBe("UnauthorizedOperation");
      admin2.close();
      // This server has no KMS_BACKUP_DIR: backups are off.
      const b2 = backupClient(second, second.token);
      expect(await codeOf(b2.client.createBackup({}))).toBe("UnsupportedOperation");
      b2.close();
    } finally {
      c2.close();
      await second.stop();
    }
  }, 120_000);

  it("CreateBackup is an admin action: a sub-user needs kmsadmin:CreateBackup; one backup runs at a time", async () => {
    const admin = adminClient(ts);
    const p = await admin.client.createPrincipal({ name: "no-backups" });
    const t = (await admin.client.createToken({ principalUin: p.principal!.uin })).secret;
    const asUser = backupClient(ts, t);
    expect(await codeOf(asUser.client.createBackup({}))).toBe("UnauthorizedOperation");
    await admin.client.createPolicy({ name: "backups", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kmsadmin:CreateBackup"], resource: ["*"] }] }) });
    await admin.client.attachPolicy({ principalUin: p.principal!.uin, policyName: "backups" });
    admin.close();
    const results = await Promise.allSettled([asUser.client.createBackup({}), asUser.client.createBackup({})]);
    const codes = await Promise.all(results.map((r) => (r.status === "fulfilled" ? "ok" : codeOf(Promise.reject(r.reason)))));
    expect(codes.sort()).toEqual(["FailedOperation", "ok"]);
    asUser.close();
  });

  it("the commands refuse bad usage with exit 2 and name the problem", async () => {
    const noToken = await run("backup", ["--endpoint", ts.grpcUrl, "--data-dir", join(work, "nowhere")]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/no token/);
    const badToken = await run("backup", ["--endpoint", ts.grpcUrl, "--token", "not-a-valid-token-but-long-enough-000"]);
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/AuthFailure.TokenFailure/);
    const noKey = await run("restore", ["--from", "x", "--to", join(work, "y")]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/no root key/);
    const missing = await run("restore", ["--from", "x"], { KMS_ROOT_KEY: ts.rootKey });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--from and --to are required/);
  }, 60_000);
});
