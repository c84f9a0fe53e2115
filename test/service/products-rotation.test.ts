/**
 * Product secrets end to end below the actions: a registered MariaDB
 * instance (admin password sealed), the create flow making the account pair,
 * rotations where every credential ever returned is tried against the real
 * server, a database that is down or refuses, crashes at every step (and a
 * real kill -9) followed by recovery, the scheduler's due(), and no secret in
 * the store's files or in any error.
 */
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { KmsError } from "../../src/errors.js";
import { buildInstanceRecord, endpointOf, InstanceRepository } from "../../src/secrets/products/instance.js";
import { ProductError, type ProductBackend, type ProductPrivilegeUnit } from "../../src/secrets/products/product.js";
import { createProductRegistry, PRODUCTS, supportedProducts } from "../../src/secrets/products/registry.js";
import type { FlowRecord } from "../../src/secrets/products/repository.js";
import { generatePassword } from "../../src/secrets/products/password.js";
import { DAY_MS, FLOW_STEPS, formatApiTime } from "../../src/secrets/products/rotation.js";
import type { ProductCredentials, SecretRef } from "../../src/secrets/products/values.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";
import { INSTANCE_ID, openWorld, ref, SCOPE, testBackend, type World } from "../helpers/products-world.js";

const PRIVILEGES: ProductPrivilegeUnit[] = [
  { privilegeName: "DatabasePrivileges", privileges: ["SELECT", "INSERT"], database: "app" },
  { privilegeName: "ColumnPrivileges", privileges: ["SELECT"], database: "app", tableName: "people", columnName: "name" },
];

class Crash extends Error {}

/** The real backend, except that the chosen call does its work on the database and then "crashes" before the flow can record it. */
function crashingAfter(method: keyof ProductBackend, real: ProductBackend = testBackend()): ProductBackend {
  const wrapped = { ...real } as Record<string, unknown>;
  const original = real[method] as (...args: unknown[]) => Promise<unknown>;
  wrapped[method] = async (...args: unknown[]) => {
    await original(...args);
    throw new Crash(`crash after ${String(method)}`);
  };
  return wrapped as unknown as ProductBackend;
}

describe.skipIf(skipWithoutMariadb)(`product secret flows on MariaDB${skipWithoutMariadb ? ` (${MARIADB_SKIP_REASON})` : ""}`, () => {
  let db: MariaDb;
  let w: World;

  beforeAll(async () => {
    db = await startMariaDb();
    console.log(`MariaDB started in ${db.startMs} ms`);
    await db.rootQuery("CREATE DATABASE app", "CREATE TABLE app.people (id INT, name TEXT, secret TEXT)", "INSERT INTO app.people VALUES (1, 'ann', 's')");
    w = await openWorld(db);
  }, 60_000);
  afterAll(async () => {
    await w?.close();
    await db?.dispose();
  });

  const works = (c: ProductCredentials) => tryAs(db, c.UserName, c.Password, "SELECT * FROM app.people");
  const current = async (r: SecretRef) => (await w.values.read(r)).current!;

  async function createSecret(name: string, extra: Partial<Parameters<World["engine"]["startCreate"]>[0]> = {}): Promise<FlowRecord> {
    const flow = await w.engine.startCreate({
      ref: ref(name),
      product: "Mysql",
      instanceId: INSTANCE_ID,
      userNamePrefix: "app",
      domains: ["127.0.0.1", "10.9.%"],
      privileges: PRIVILEGES,
      ...extra,
    });
    await w.engine.settled();
    return (await w.engine.repo.findFlow(flow.flowId))!;
  }

  /** The secret's current and previous credentials and the database agree: both log in (when there are two). */
  async function expectAgreement(r: SecretRef): Promise<void> {
    const { current: cur, previous } = await w.values.read(r);
    const binding = await w.engine.repo.getBinding(r);
    const instance = endpointOf(await new InstanceRepository(w.store).get(SCOPE, INSTANCE_ID), w.rootKey);
    const backend = testBackend();
    expect(cur).toBeDefined();
    await backend.verifyLogin(instance, cur!.UserName, binding.hosts, cur!.Password);
    expect(await works(cur!)).toBe("ok");
    if (previous) {
      await backend.verifyLogin(instance, previous.UserName, binding.hosts, previous.Password);
      expect(previous.UserName).not.toBe(cur!.UserName);
    }
    expect(binding.flowInProgress).toBeUndefined();
  }

  it("registers an instance with its admin password sealed, scoped by account and region", async () => {
    const repo = new InstanceRepository(w.store);
    const record = await repo.get(SCOPE, INSTANCE_ID);
    expect(record.adminPasswordSealed).not.toContain(db.adminPassword);
    expect(Buffer.from(record.adminPasswordSealed, "base64").toString("latin1")).not.toContain(db.adminPassword);
    expect(endpointOf(record, w.rootKey).adminPassword).toBe(db.adminPassword);
    await expect(repo.get({ ...SCOPE, region: "ap-beijing" }, INSTANCE_ID)).rejects.toMatchObject({ code: "ResourceNotFound" });
    await expect(repo.get({ ...SCOPE, uin: "100000000002" }, INSTANCE_ID)).rejects.toMatchObject({ code: "ResourceNotFound" });
    // The seal is bound to its place: moved to another instance id it does not open.
    expect(() => endpointOf({ ...record, instanceId: "cdb-other" }, w.rootKey)).toThrow(/integrity/);
    const bad = (over: object) => () =>
      buildInstanceRecord(
        { instanceId: "cdb-x", product: "Mysql", host: "127.0.0.1", port: 3306, adminUser: "a", adminPassword: "p", ...over },
        SCOPE,
        w.rootKey,
        PRODUCTS,
        0,
      );
    expect(bad({ port: 0 })).toThrow(expect.objectContaining({ code: "InvalidParameterValue", message: "Port must be 1 to 65535" }));
    expect(bad({ instanceId: "cdb/../x" })).toThrow(expect.objectContaining({ code: "InvalidParameterValue" }));
    expect(bad({ product: "Redis" })).toThrow(expect.objectContaining({ code: "InvalidParameterValue", message: "ProductName must be one of Mysql" }));
    expect(bad({ host: "bad host" })).toThrow(expect.objectContaining({ code: "InvalidParameterValue" }));
    expect(bad({ adminPassword: "" })).toThrow(expect.objectContaining({ code: "MissingParameter" }));
    expect(supportedProducts(PRODUCTS)).toEqual(["Mysql"]);
  });

  it("creates the account pair: two <prefix>SSM<nnn> accounts on every host, the first current", async () => {
    const flow = await createSecret("orders-db");
    expect(flow).toMatchObject({ state: "Done", kind: "create", versionId: "v1" });
    expect(flow.passwordSealed).toBeUndefined();
    expect(await w.engine.asyncRequestInfo(SCOPE, flow.flowId)).toEqual({ TaskStatus: 1, Description: expect.stringContaining("created") });
    const binding = await w.engine.repo.getBinding(ref("orders-db"));
    expect(binding.users).toHaveLength(2);
    for (const u of binding.users) expect(u).toMatch(/^appSSM\d{3}$/);
    expect(binding.users[0]).not.toBe(binding.users[1]);
    const cur = await current(ref("orders-db"));
    expect(cur.UserName).toBe(binding.users[0]);
    expect(cur.Password).toMatch(/^.{32}$/);
    expect(await works(cur)).toBe("ok");
    expect(await tryAs(db, cur.UserName, cur.Password, "SELECT secret FROM app.people")).toBe("ok"); // database-level SELECT covers it
    expect(await tryAs(db, cur.UserName, cur.Password, "DELETE FROM app.people")).toBe("ER_TABLEACCESS_DENIED_ERROR");
    for (const u of binding.users)
      for (const host of ["127.0.0.1", "10.9.%"]) {
        const [rows] = (await db.rootQuery(`SHOW GRANTS FOR '${u}'@'${host}'`)) as [RowDataPacket[]];
        expect(rows.map((r) => String(Object.values(r)[0]))).toContain(`GRANT SELECT, INSERT ON \`app\`.* TO \`${u}\`@\`${host}\``);
      }
    await expectAgreement(ref("orders-db"));
    await expect(createSecret("orders-db")).rejects.toMatchObject({ code: "ResourceInUse" });
  });

  it("refuses bad requests before anything is written", async () => {
    const base = { ref: ref("bad-one"), product: "Mysql", instanceId: INSTANCE_ID, userNamePrefix: "app", domains: ["%"], privileges: PRIVILEGES };
    const cases: [object, string, string][] = [
      [{ userNamePrefix: "1abc" }, "InvalidParameterValue", "UserNamePrefix"],
      [{ userNamePrefix: "abcdefghi" }, "InvalidParameterValue", "UserNamePrefix"],
      [{ domains: ["example.com"] }, "InvalidParameterValue", "Domains.0"],
      [{ domains: [] }, "MissingParameter", "Domains"],
      [{ product: "Tdsql" }, "InvalidParameterValue", "ProductName"],
      [{ instanceId: "cdb-nosuch" }, "ResourceNotFound", "InstanceID"],
      [{ privileges: [{ privilegeName: "GlobalPrivileges", privileges: ["SUPER"] }] }, "InvalidParameterValue", "PrivilegesList.0.Privileges.0"],
      [{ privileges: [{ privilegeName: "TablePrivileges", privileges: ["SELECT"], database: "app" }] }, "MissingParameter", "PrivilegesList.0.TableName"],
      [{ privileges: [{ privilegeName: "SchemaPrivileges", privileges: ["USAGE"] }] }, "InvalidParameterValue", "PrivilegesList.0.PrivilegeName"],
      [{ ref: ref("a/b") }, "InvalidParameterValue", "SecretName"],
      [{ rotation: { enabled: true, frequencyDays: 30 } }, "MissingParameter", "RotationBeginTime"],
      [{ rotation: { enabled: true, frequencyDays: 366, beginTime: 0 } }, "InvalidParameterValue", "RotationFrequency"],
    ];
    for (const [over, code, field] of cases) {
      const err = await w.engine.startCreate({ ...base, ...over } as Parameters<World["engine"]["startCreate"]>[0]).catch((e: unknown) => e);
      expect(err, JSON.stringify(over)).toBeInstanceOf(KmsError);
      expect(err).toMatchObject({ code });
      expect((err as Error).message).toContain(field);
    }
    expect(await w.engine.repo.findBinding(ref("bad-one"))).toBeUndefined();
  });

  it("rotates many times: current works, previous works until the next rotation, older ones stop", async () => {
    await createSecret("many");
    const r = ref("many");
    const seen: ProductCredentials[] = [await current(r)];
    const users = (await w.engine.repo.getBinding(r)).users;
    for (let i = 1; i <= 6; i++) {
      w.clock.advance(60_000);
      const flow = await w.engine.startRotation(r);
      await w.engine.settled();
      expect((await w.engine.repo.findFlow(flow.flowId))?.state).toBe("Done");
      const { current: cur, previous } = await w.values.read(r);
      expect(previous).toEqual(seen[seen.length - 1]);
      expect(cur!.UserName).toBe(users[i % 2]); // the two accounts alternate
      seen.push(cur!);
      for (let j = 0; j < seen.length; j++) {
        const expected = j >= seen.length - 2 ? "ok" : "ER_ACCESS_DENIED_ERROR";
        expect(await works(seen[j]!), `rotation ${i}, credential ${j}`).toBe(expected);
      }
    }
    expect(new Set(seen.map((c) => c.Password)).size).toBe(seen.length);
    const history = await w.engine.rotationHistory(r);
    expect(history.VersionIDs).toEqual(["v7", "v6", "v5", "v4", "v3", "v2", "v1"]);
    expect(history.AccountInfoList.map((a) => [a.AccountName, a.Version])).toEqual([
      [users[0], "生效中"],
      [users[1], "待轮转"],
    ]);
    expect(history.AccountInfoList[0]!.Host).toEqual(["127.0.0.1", "10.9.%"]);
    const detail = await w.engine.rotationDetail(r);
    expect(detail).toEqual({ EnableRotation: false, Frequency: 1, LatestRotateTime: formatApiTime(w.clock.now()), NextRotateBeginTime: "" });
    await expectAgreement(r);
  });

  it("a database that is down fails the flow, visibly, keeps the current credentials and loses nothing", async () => {
    await createSecret("down");
    const r = ref("down");
    await w.engine.startRotation(r);
    await w.engine.settled();
    const before = await w.values.read(r);
    await db.stop();
    let flow: FlowRecord;
    try {
      flow = await w.engine.startRotation(r);
      await w.engine.settled();
    } finally {
      await db.start();
    }
    const info = await w.engine.asyncRequestInfo(SCOPE, flow.flowId);
    expect(info.TaskStatus).toBe(2);
    expect(info.Description).toMatch(/unreachable.*ECONNREFUSED/);
    expect(info.Description).toContain("may no longer work"); // it could not put the standby's password back either
    expect(await w.values.read(r)).toEqual(before);
    expect(await works(before.current!)).toBe("ok");
    expect((await w.engine.repo.getBinding(r)).flowInProgress).toBeUndefined();
    // Once the database is back, the next rotation goes through.
    const again = await w.engine.startRotation(r);
    await w.engine.settled();
    expect((await w.engine.repo.findFlow(again.flowId))?.state).toBe("Done");
    await expectAgreement(r);
  });

  it("a database that refuses (admin rights revoked) fails the flow; a failed verification puts the standby's previous password back", async () => {
    await createSecret("refuses");
    const r = ref("refuses");
    await w.engine.startRotation(r);
    await w.engine.settled();
    const before = await w.values.read(r);
    await db.rootQuery(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM '${db.adminUser}'@'127.0.0.1'`);
    let flow: FlowRecord;
    try {
      flow = await w.engine.startRotation(r);
      await w.engine.settled();
    } finally {
      await db.rootQuery(`GRANT ALL PRIVILEGES ON *.* TO '${db.adminUser}'@'127.0.0.1' WITH GRANT OPTION`);
    }
    const failed = (await w.engine.repo.findFlow(flow.flowId))!;
    expect(failed.state).toBe("Failed");
    expect(failed.reason).toMatch(/refused setting the password of user appSSM\d{3}: Access denied/);
    expect(await w.values.read(r)).toEqual(before);
    expect(await works(before.current!)).toBe("ok");
    expect(await works(before.previous!)).toBe("ok");

    // The database takes the new password but does not accept it back: the flow fails and the standby gets its old password again.
    const real = testBackend();
    await w.restart({ ...real, verifyLogin: async () => Promise.reject(new ProductError("VerifyFailed", "instance cdb-local1 refused a login")) });
    const v = await w.engine.startRotation(r);
    await w.engine.settled();
    const vf = (await w.engine.repo.findFlow(v.flowId))!;
    expect(vf.state).toBe("Failed");
    expect(vf.reason).toMatch(/refused a login; the previous credentials of appSSM\d{3} were restored/);
    expect(await w.values.read(r)).toEqual(before);
    expect(await works(before.current!)).toBe("ok");
    expect(await works(before.previous!)).toBe("ok");
    await w.restart(real);
    await expectAgreement(r);
  });

  it("a failed create flow is visible, drops what it made, and marks the secret failed", async () => {
    const flow = await createSecret("no-table", {
      privileges: [{ privilegeName: "TablePrivileges", privileges: ["SELECT"], database: "app", tableName: "missing" }],
    });
    expect(flow.state).toBe("Failed");
    expect(flow.reason).toMatch(/Table 'app.missing' doesn't exist.*accounts appSSM\d{3}, appSSM\d{3} were dropped/);
    expect((await w.engine.asyncRequestInfo(SCOPE, flow.flowId)).TaskStatus).toBe(2);
    expect(await w.values.failure(ref("no-table"))).toContain("doesn't exist");
    for (const u of (await w.engine.repo.getBinding(ref("no-table"))).users) {
      const [rows] = (await db.rootQuery(`SELECT COUNT(*) AS n FROM mysql.user WHERE User = '${u}'`)) as [RowDataPacket[]];
      expect(Number(rows[0]?.n)).toBe(0);
    }
    await expect(w.engine.startRotation(ref("no-table"))).rejects.toMatchObject({ code: "FailedOperation" });
    await expect(w.engine.asyncRequestInfo({ ...SCOPE, region: "ap-beijing" }, flow.flowId)).rejects.toMatchObject({ code: "ResourceNotFound" });
  });

  it("a crash after any step, or between a database change and its record, recovers to a secret that agrees with the database", async () => {
    const real = testBackend();
    let n = 0;
    // Rotation: stop after k recorded steps (k = 0 is the intent alone), restart, recover.
    for (let k = 0; k < FLOW_STEPS.rotate.length - 1; k++) {
      const r = ref(`crash-rotate-${k}`);
      await createSecret(r.secretName);
      const before = await current(r);
      const flow = await w.engine.startRotation(r, { launch: false });
      for (let s = 0; s < k; s++) await w.engine.step(flow.flowId);
      await w.restart(real);
      const recovered = await w.engine.recover();
      expect(recovered.map((f) => [f.flowId, f.state])).toEqual([[flow.flowId, "Done"]]);
      expect((await w.values.read(r)).previous).toEqual(before);
      await expectAgreement(r);
      n++;
    }
    // Create: the same at each of its steps.
    for (let k = 0; k < FLOW_STEPS.create.length - 1; k++) {
      const r = ref(`crash-create-${k}`);
      const flow = await w.engine.startCreate(
        { ref: r, product: "Mysql", instanceId: INSTANCE_ID, userNamePrefix: "cr", domains: ["127.0.0.1"], privileges: PRIVILEGES },
        { launch: false },
      );
      for (let s = 0; s < k; s++) await w.engine.step(flow.flowId);
      await w.restart(real);
      expect((await w.engine.recover()).map((f) => f.state)).toEqual(["Done"]);
      await expectAgreement(r);
      n++;
    }
    // The database changed, the process died before recording it.
    for (const method of ["setPassword", "verifyLogin"] as const) {
      const r = ref(`crash-mid-${method}`);
      await createSecret(r.secretName);
      await w.restart(crashingAfter(method, real));
      const flow = await w.engine.startRotation(r, { launch: false });
      await expect(w.engine.run(flow.flowId)).rejects.toBeInstanceOf(Crash);
      await w.restart(real);
      expect((await w.engine.recover()).map((f) => f.state)).toEqual(["Done"]);
      await expectAgreement(r);
      n++;
    }
    {
      const r = ref("crash-mid-ensure");
      await w.restart(crashingAfter("ensureAccount", real));
      const flow = await w.engine.startCreate(
        { ref: r, product: "Mysql", instanceId: INSTANCE_ID, userNamePrefix: "cr", domains: ["127.0.0.1"], privileges: PRIVILEGES },
        { launch: false },
      );
      await expect(w.engine.run(flow.flowId)).rejects.toBeInstanceOf(Crash);
      await w.restart(real);
      expect((await w.engine.recover()).map((f) => f.state)).toEqual(["Done"]);
      await expectAgreement(r);
      n++;
    }
    expect(n).toBe(3 + 4 + 3);
  }, 60_000);

  it("a flow that keeps crashing the process is failed after a bounded number of runs", async () => {
    const r = ref("crash-loop");
    await createSecret(r.secretName);
    const before = await w.values.read(r);
    const crashing = crashingAfter("setPassword");
    await w.restart(crashing);
    const flow = await w.engine.startRotation(r, { launch: false });
    for (let i = 0; i < 5; i++) {
      await expect(w.engine.run(flow.flowId)).rejects.toBeInstanceOf(Crash);
      await w.restart(crashing);
    }
    const [failed] = await w.engine.recover();
    expect(failed).toMatchObject({ state: "Failed", attempts: 6, reason: expect.stringContaining("interrupted 5 times") });
    expect(await w.values.read(r)).toEqual(before);
    await w.restart(testBackend());
    await expectAgreement(r);
  });

  it("kill -9 of a process in the middle of rotations: after restart the secret and the database agree", async () => {
    const r = ref("killed");
    await createSecret(r.secretName);
    await w.engine.settled();
    for (const delayMs of [150, 400, 900]) {
      await w.store.close();
      const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../helpers/rotation-child.ts")], {
        // Its own transpile, not tsx's shared cache: a process killed while writing there must not hand others a torn entry.
        env: { ...process.env, TSX_DISABLE_CACHE: "1", DIR: w.dir, ROOT_KEY: Buffer.from(w.rootKeyBytes).toString("base64"), SECRET: r.secretName },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const wait = setInterval(() => {
          if (out.includes("ready")) {
            clearInterval(wait);
            setTimeout(() => {
              child.kill("SIGKILL");
              resolve();
            }, delayMs);
          }
        }, 10);
        child.once("exit", (code) => (code === 0 ? undefined : !out.includes("ready") && reject(new Error(`child exited ${code}: ${out}`))));
      });
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve)));
      const rotations = (out.match(/done/g) ?? []).length;
      expect(rotations, out).toBeLessThan(1000);
      await w.restart(testBackend());
      const resumed = await w.engine.recover();
      console.log(`kill -9 after ${delayMs} ms: ${rotations} rotations done, ${resumed.length} flow resumed (${resumed.map((f) => f.state).join(", ")})`);
      await expectAgreement(r);
    }
  }, 60_000);

  it("due(): automatic rotation from the begin time, every Frequency days; a failure retries later", async () => {
    await createSecret("auto");
    const r = ref("auto");
    const begin = w.clock.now() + 3_600_000;
    await w.engine.updateRotation(r, { enabled: true, frequencyDays: 30, beginTime: begin });
    expect(await w.engine.due(w.clock.now())).toEqual([]);
    expect((await w.engine.rotationDetail(r)).NextRotateBeginTime).toBe(formatApiTime(begin));
    w.clock.set(begin);
    expect(await w.engine.due(w.clock.now())).toEqual([r]);
    const [flow] = await w.engine.runDue();
    await w.engine.settled();
    expect((await w.engine.repo.findFlow(flow!.flowId))).toMatchObject({ state: "Done", scheduled: true });
    expect(await w.engine.due(w.clock.now())).toEqual([]);
    expect((await w.engine.repo.getBinding(r)).rotation.nextRotateTime).toBe(begin + 30 * DAY_MS);
    w.clock.set(begin + 30 * DAY_MS);
    await db.stop();
    try {
      await w.engine.runDue();
      await w.engine.settled();
    } finally {
      await db.start();
    }
    const rotation = (await w.engine.repo.getBinding(r)).rotation;
    expect(rotation).toMatchObject({ failures: 1, nextRotateTime: begin + 30 * DAY_MS + 60_000 });
    expect(await w.engine.due(w.clock.now())).toEqual([]);
    w.clock.advance(60_000);
    expect(await w.engine.due(w.clock.now())).toEqual([r]);
    await w.engine.runDue();
    await w.engine.settled();
    expect((await w.engine.repo.getBinding(r)).rotation.failures).toBe(0);
    await w.engine.updateRotation(r, { enabled: false });
    w.clock.advance(400 * DAY_MS);
    expect(await w.engine.due(w.clock.now())).toEqual([]);
    expect((await w.engine.rotationDetail(r)).EnableRotation).toBe(false);
    await expectAgreement(r);
  });

  it("no password is in the store's files in clear, nor in any flow's reason", async () => {
    await w.engine.settled();
    const marker = generatePassword();
    await w.store.batch([{ type: "put", key: "v1/test-marker", value: Buffer.from(`{"clear":"${marker}"}`) }]);
    const files = await readdir(join(w.dir, "db"));
    const contents = await Promise.all(files.map((f) => readFile(join(w.dir, "db", f))));
    const all = Buffer.concat(contents);
    // Positive control: a value as random as a password, stored in clear, is found this way.
    expect(all.includes(Buffer.from(marker))).toBe(true);
    const secrets = [db.adminPassword];
    for (const b of await w.engine.repo.bindingsOf(SCOPE)) {
      const { current: cur, previous } = await w.values.read(b);
      for (const c of [cur, previous]) if (c) secrets.push(c.Password);
    }
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) expect(all.includes(Buffer.from(s)), "a password in clear in the store").toBe(false);
    const flows: FlowRecord[] = [];
    for (const b of await w.engine.repo.bindingsOf(SCOPE)) flows.push(...(await w.engine.repo.history(b)));
    expect(flows.some((f) => f.state === "Failed")).toBe(true);
    for (const f of flows) for (const s of secrets) expect(JSON.stringify(f)).not.toContain(s);
    expect(createProductRegistry([testBackend()]).get("Mysql")).toBeDefined();
  });
});
