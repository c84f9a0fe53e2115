/**
 * A product secret's automatic rotation in the audit trail (real MariaDB):
 * the scheduler's start and the background flow's end (credentials made
 * current, or the flow failed) are each written with a system event in the
 * same batch, and the chain verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog, loadAuditKey, verifyChain, type StoredAuditEvent } from "../../src/audit/index.js";
import { SYSTEM_PRINCIPAL, systemJournals } from "../../src/audit/system.js";
import { formatApiTime } from "../../src/secrets/products/rotation.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, type MariaDb } from "../helpers/mariadb.js";
import { INSTANCE_ID, openWorld, ref, SCOPE, type World } from "../helpers/products-world.js";

describe.skipIf(skipWithoutMariadb)(`product secret rotations as system events${skipWithoutMariadb ? ` (${MARIADB_SKIP_REASON})` : ""}`, () => {
  let db: MariaDb;
  let w: World;
  let audit: AuditLog;

  beforeAll(async () => {
    db = await startMariaDb();
    w = await openWorld(db);
    audit = await AuditLog.open(w.store, w.rootKey);
    w.engine.auditWith(systemJournals(audit, () => w.clock.now()));
  }, 60_000);
  afterAll(async () => {
    await audit?.close();
    await w?.close();
    await db?.dispose();
  });

  const systemEvents = async (): Promise<StoredAuditEvent[]> => (await audit.query({}, { limit: 1000 })).events.filter((e) => e.principalName === SYSTEM_PRINCIPAL);

  it("records the scheduled start, the flow's end, and a failed flow", async () => {
    const r = ref("audited");
    const created = await w.engine.startCreate({ ref: r, product: "Mysql", instanceId: INSTANCE_ID, userNamePrefix: "aud", domains: ["127.0.0.1"], privileges: [{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"] }] });
    await w.engine.settled();
    // The create flow's end (started by a call, finished in the background).
    expect((await systemEvents()).map((e) => [e.action, e.keyIds])).toEqual([["ssm:CompleteProductSecretFlow", ["audited", `flow:${created.flowId}`]]]);

    const begin = w.clock.now() + 1000;
    await w.engine.updateRotation(r, { enabled: true, frequencyDays: 30, beginTime: begin });
    w.clock.set(begin);
    const journals = systemJournals(audit, () => w.clock.now());
    const [flow] = await w.engine.runDue(journals);
    await w.engine.settled();
    expect((await w.engine.repo.findFlow(flow!.flowId))?.state).toBe("Done");
    const events = await systemEvents();
    expect(events.slice(1).map((e) => [e.action, e.keyIds])).toEqual([
      ["ssm:RotateProductSecret", ["audited"]],
      ["ssm:CompleteProductSecretFlow", ["audited", `flow:${flow!.flowId}`]],
    ]);
    for (const e of events) expect(e).toMatchObject({ transport: "internal", principalUin: "", account: SCOPE.uin, result: "Success" });
    expect((await w.engine.rotationDetail(r)).NextRotateBeginTime).toBe(formatApiTime(begin + 30 * 86_400_000));

    // The database down: the next rotation fails, and that is in the trail too.
    w.clock.set(begin + 30 * 86_400_000);
    await db.stop();
    try {
      const [failing] = await w.engine.runDue(journals);
      await w.engine.settled();
      expect((await w.engine.repo.findFlow(failing!.flowId))?.state).toBe("Failed");
      expect((await systemEvents()).slice(3).map((e) => [e.action, e.keyIds])).toEqual([
        ["ssm:RotateProductSecret", ["audited"]],
        ["ssm:FailProductSecretFlow", ["audited", `flow:${failing!.flowId}`]],
      ]);
    } finally {
      await db.start();
    }
    await audit.flush();
    expect(await verifyChain(w.store, await loadAuditKey(w.store, w.rootKey))).toMatchObject({ ok: true, checked: 5 });
  }, 60_000);
});
