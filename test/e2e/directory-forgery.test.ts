/**
 * Finding 4: write access to the data directory must not give root. With the
 * server stopped, an attacker plants a token record of their own (its hash
 * known to them) for the account root, and flips `root: true` on a sub-user.
 * After a restart both records are refused (logged once with their store
 * key), the planted token authenticates nobody, the sub-user is neither root
 * nor anyone else, and every other principal works as before.
 */
import { hash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { keyspace } from "../../src/store/keyspace.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { adminClient, bearer, codeOf } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ACCOUNT = "100000000001";
let ts: TestServer | undefined;
afterAll(async () => {
  await ts?.dispose();
});

function kmsAs(grpcUrl: string, token: string) {
  const sessions = new Http2SessionManager(grpcUrl);
  return { client: createClient(KeyManagementService, createGrpcTransport({ baseUrl: grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] })), close: () => sessions.abort() };
}

describe("directory records cannot be forged offline", () => {
  it("refuses a planted token and a sub-user flipped to root after a restart", async () => {
    ts = await startTestServer();
    const admin = adminClient(ts);
    const sub = await admin.client.createPrincipal({ name: "mallory" });
    const uin = sub.principal!.uin;
    const minted = await admin.client.createToken({ principalUin: uin });
    const honest = await admin.client.createPrincipal({ name: "honest" });
    await admin.client.createPolicy({ name: "list", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:ListKeys"], resource: ["*"] }] }) });
    await admin.client.attachPolicy({ principalUin: honest.principal!.uin, policyName: "list" });
    const honestToken = await admin.client.createToken({ principalUin: honest.principal!.uin });
    admin.close();
    // Before the attack mallory may do nothing.
    const before = kmsAs(ts.grpcUrl, minted.secret);
    expect(await codeOf(before.client.listKeys({}))).toBe("UnauthorizedOperation");
    before.close();
    await ts.stop();

    // The attack, on the stopped store: JSON records in the form the directory stores.
    const planted = `kmst${"Z".repeat(16)}.${randomBytes(30).toString("hex")}`;
    const store = await openLevelStore(join(ts.dataDir, "db"), { sync: true });
    const subKey = keyspace.principal(ACCOUNT, uin.toString());
    const subRecord = JSON.parse(Buffer.from((await store.get(subKey))!).toString("utf8")) as Record<string, unknown>;
    expect(subRecord.mac).toEqual(expect.any(String));
    const flipped = { ...subRecord, root: true };
    const tokenKey = keyspace.token(ACCOUNT, `kmst${"Z".repeat(16)}`);
    const plantedRecord = { f: 1, tokenId: `kmst${"Z".repeat(16)}`, principalUin: "100000000001", hash: hash("sha256", planted, "hex"), description: "", createTime: 1 };
    // Both with and without a (copied) MAC: neither may pass.
    await store.batch([
      { type: "put", key: subKey, value: Buffer.from(JSON.stringify(flipped)) },
      { type: "put", key: tokenKey, value: Buffer.from(JSON.stringify({ ...plantedRecord, mac: subRecord.mac })) },
    ]);
    await store.close();

    ts = await startTestServer({ dataDir: ts.dataDir, rootKey: ts.rootKey, env: { KMS_ROOT_TOKEN: ts.token } });
    // Refused at load (the log line naming each is asserted in test/trust/directory-mac.test.ts).
    expect([...ts.server.directory.refused].sort()).toEqual([subKey, tokenKey].sort());

    const attacker = kmsAs(ts.grpcUrl, planted);
    expect(await codeOf(attacker.client.listKeys({}))).toBe("AuthFailure.TokenFailure");
    attacker.close();
    const flippedUser = kmsAs(ts.grpcUrl, minted.secret);
    expect(await codeOf(flippedUser.client.listKeys({}))).toBe("AuthFailure.TokenFailure");
    flippedUser.close();
    // Everyone else keeps working.
    const honestCaller = kmsAs(ts.grpcUrl, honestToken.secret);
    await expect(honestCaller.client.listKeys({})).resolves.toBeDefined();
    expect(await codeOf(honestCaller.client.createKey({ alias: "nope" }))).toBe("UnauthorizedOperation");
    honestCaller.close();
    const rootCaller = kmsAs(ts.grpcUrl, ts.token);
    await expect(rootCaller.client.createKey({ alias: "still-works" })).resolves.toBeDefined();
    rootCaller.close();

    // A principal whose policy record was deleted behind the service's back is denied everything (it might have been a deny).
    await ts.stop();
    const s2 = await openLevelStore(join(ts.dataDir, "db"), { sync: true });
    await s2.batch([{ type: "del", key: keyspace.policy(ACCOUNT, "list") }]);
    await s2.close();
    ts = await startTestServer({ dataDir: ts.dataDir, rootKey: ts.rootKey, env: { KMS_ROOT_TOKEN: ts.token } });
    const orphan = kmsAs(ts.grpcUrl, honestToken.secret);
    expect(await codeOf(orphan.client.listKeys({}))).toBe("UnauthorizedOperation");
    orphan.close();
  });
});
