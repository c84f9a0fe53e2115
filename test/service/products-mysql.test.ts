/**
 * The Mysql product backend against a real, private MariaDB server: accounts
 * with global, database, table and column privileges (checked with SHOW
 * GRANTS and by logging in and trying allowed and forbidden statements),
 * idempotence, injection attempts in every identifier, and the mapping of
 * failures to typed product errors without secrets in their messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { createMysqlBackend } from "../../src/secrets/products/mysql.js";
import { ProductError, validatePrivileges, type InstanceEndpoint, type PrivilegeGrant } from "../../src/secrets/products/product.js";
import { KmsError } from "../../src/errors.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";

const backend = createMysqlBackend({ connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 });

describe.skipIf(skipWithoutMariadb)(`Mysql backend on MariaDB${skipWithoutMariadb ? ` (${MARIADB_SKIP_REASON})` : ""}`, () => {
  let db: MariaDb;
  let instance: InstanceEndpoint;

  beforeAll(async () => {
    db = await startMariaDb();
    console.log(`MariaDB started in ${db.startMs} ms`);
    instance = { instanceId: "cdb-test", host: db.host, port: db.port, adminUser: db.adminUser, adminPassword: db.adminPassword };
    await db.rootQuery(
      "CREATE DATABASE shop",
      "CREATE TABLE shop.orders (id INT PRIMARY KEY, total INT, note TEXT)",
      "CREATE TABLE shop.audit (id INT)",
      "CREATE DATABASE app_db",
      "CREATE TABLE app_db.t (id INT)",
      "CREATE DATABASE appXdb",
      "CREATE TABLE appXdb.t (id INT)",
      "CREATE DATABASE other",
      "CREATE TABLE other.secrets (id INT)",
      "INSERT INTO shop.orders VALUES (1, 10, 'n')",
    );
  }, 60_000);
  afterAll(async () => db?.dispose());

  const grants = (units: Parameters<typeof validatePrivileges>[1]) => validatePrivileges(backend, units);
  const showGrants = async (user: string, host: string) => {
    const [rows] = (await db.rootQuery(`SHOW GRANTS FOR '${user}'@'${host}'`)) as [RowDataPacket[]];
    return rows.map((r) => String(Object.values(r)[0]).replace(/ IDENTIFIED BY PASSWORD '[^']*'/, "")).sort();
  };

  it("creates an account on every host with exactly the global, database, table and column privileges asked", async () => {
    const privileges = grants([
      { privilegeName: "GlobalPrivileges", privileges: ["PROCESS"] },
      { privilegeName: "DatabasePrivileges", privileges: ["SELECT", "INSERT"], database: "app_db" },
      { privilegeName: "TablePrivileges", privileges: ["SELECT", "UPDATE"], database: "shop", tableName: "orders" },
      { privilegeName: "ColumnPrivileges", privileges: ["SELECT"], database: "shop", tableName: "audit", columnName: "id" },
    ]);
    await backend.ensureAccount(instance, { user: "appSSM001", hosts: ["127.0.0.1", "10.0.0.%"], password: "Pw-1!aaaaaaaaaaaaaaaaaaa", privileges });
    for (const host of ["127.0.0.1", "10.0.0.%"])
      expect(await showGrants("appSSM001", host)).toEqual(
        [
          `GRANT PROCESS ON *.* TO \`appSSM001\`@\`${host}\``,
          `GRANT SELECT, INSERT ON \`app\\_db\`.* TO \`appSSM001\`@\`${host}\``,
          `GRANT SELECT, UPDATE ON \`shop\`.\`orders\` TO \`appSSM001\`@\`${host}\``,
          `GRANT SELECT (\`id\`) ON \`shop\`.\`audit\` TO \`appSSM001\`@\`${host}\``,
        ].sort(),
      );
    const pw = "Pw-1!aaaaaaaaaaaaaaaaaaa";
    expect(await tryAs(db, "appSSM001", pw, "SELECT total FROM shop.orders")).toBe("ok");
    expect(await tryAs(db, "appSSM001", pw, "UPDATE shop.orders SET total = 11 WHERE id = 1")).toBe("ok");
    expect(await tryAs(db, "appSSM001", pw, "DELETE FROM shop.orders")).toBe("ER_TABLEACCESS_DENIED_ERROR");
    expect(await tryAs(db, "appSSM001", pw, "INSERT INTO app_db.t VALUES (1)")).toBe("ok");
    expect(await tryAs(db, "appSSM001", pw, "DELETE FROM app_db.t")).toBe("ER_TABLEACCESS_DENIED_ERROR");
    expect(await tryAs(db, "appSSM001", pw, "SELECT id FROM shop.audit")).toBe("ok");
    expect(await tryAs(db, "appSSM001", pw, "INSERT INTO shop.audit VALUES (1)")).toBe("ER_TABLEACCESS_DENIED_ERROR");
    expect(await tryAs(db, "appSSM001", pw, "SELECT * FROM other.secrets")).toBe("ER_TABLEACCESS_DENIED_ERROR");
    expect(await tryAs(db, "appSSM001", pw, "SHOW PROCESSLIST")).toBe("ok");
    // The database-level grant on app_db is not a pattern: appXdb stays closed.
    expect(await tryAs(db, "appSSM001", pw, "SELECT * FROM appXdb.t")).toBe("ER_TABLEACCESS_DENIED_ERROR");
    expect(await tryAs(db, "appSSM001", "wrong-password", "SELECT 1")).toBe("ER_ACCESS_DENIED_ERROR");
  });

  it("is idempotent: an existing account is brought to the given password and exactly the given privileges", async () => {
    const first = grants([{ privilegeName: "GlobalPrivileges", privileges: ["SELECT", "INSERT"] }]);
    await backend.ensureAccount(instance, { user: "idemSSM002", hosts: ["127.0.0.1"], password: "First-1!xxxxxxxxxxxxxxx", privileges: first });
    await db.rootQuery("GRANT DROP ON *.* TO 'idemSSM002'@'127.0.0.1'"); // drift a human added
    const second = grants([{ privilegeName: "TablePrivileges", privileges: ["SELECT"], database: "shop", tableName: "orders" }]);
    await backend.ensureAccount(instance, { user: "idemSSM002", hosts: ["127.0.0.1"], password: "Second-2!yyyyyyyyyyyyyy", privileges: second });
    await backend.ensureAccount(instance, { user: "idemSSM002", hosts: ["127.0.0.1"], password: "Second-2!yyyyyyyyyyyyyy", privileges: second });
    expect(await showGrants("idemSSM002", "127.0.0.1")).toEqual([
      "GRANT SELECT ON `shop`.`orders` TO `idemSSM002`@`127.0.0.1`",
      "GRANT USAGE ON *.* TO `idemSSM002`@`127.0.0.1`",
    ]);
    expect(await tryAs(db, "idemSSM002", "First-1!xxxxxxxxxxxxxxx", "SELECT 1")).toBe("ER_ACCESS_DENIED_ERROR");
    expect(await tryAs(db, "idemSSM002", "Second-2!yyyyyyyyyyyyyy", "SELECT * FROM shop.orders")).toBe("ok");
    expect(await tryAs(db, "idemSSM002", "Second-2!yyyyyyyyyyyyyy", "SELECT * FROM app_db.t")).toBe("ER_TABLEACCESS_DENIED_ERROR");
  });

  it("sets passwords, verifies them (hash on every host, login where ours is admitted), and drops accounts", async () => {
    const privileges = grants([{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"] }]);
    const hosts = ["127.0.0.1", "192.168.7.%"];
    await backend.ensureAccount(instance, { user: "rotSSM003", hosts, password: "Old-pass-1!zzzzzzzzzzzz", privileges });
    expect(await backend.accountExists(instance, "rotSSM003")).toBe(true);
    expect(await backend.accountExists(instance, "rotSSM999")).toBe(false);
    await backend.setPassword(instance, "rotSSM003", hosts, "New-pass-2!wwwwwwwwwwww");
    await backend.verifyLogin(instance, "rotSSM003", hosts, "New-pass-2!wwwwwwwwwwww");
    await expect(backend.verifyLogin(instance, "rotSSM003", hosts, "Old-pass-1!zzzzzzzzzzzz")).rejects.toMatchObject({ kind: "VerifyFailed" });
    // One host left behind with another password: the hash check catches it although we cannot log in from 192.168.7.x.
    await db.rootQuery("ALTER USER 'rotSSM003'@'192.168.7.%' IDENTIFIED BY 'Drifted-3!vvvvvvvvvvvv'");
    await expect(backend.verifyLogin(instance, "rotSSM003", hosts, "New-pass-2!wwwwwwwwwwww")).rejects.toMatchObject({ kind: "VerifyFailed" });
    // Privileges are not touched by setPassword.
    await backend.setPassword(instance, "rotSSM003", hosts, "New-pass-4!uuuuuuuuuuuu");
    expect(await showGrants("rotSSM003", "127.0.0.1")).toEqual(["GRANT SELECT ON *.* TO `rotSSM003`@`127.0.0.1`"]);
    await backend.dropAccount(instance, "rotSSM003", hosts);
    await backend.dropAccount(instance, "rotSSM003", hosts); // idempotent
    expect(await backend.accountExists(instance, "rotSSM003")).toBe(false);
    await expect(backend.setPassword(instance, "rotSSM003", hosts, "x-Y-1!abcdefghijklmnop")).rejects.toMatchObject({ kind: "AccountMissing" });
    await expect(backend.verifyLogin(instance, "rotSSM003", hosts, "x-Y-1!abcdefghijklmnop")).rejects.toMatchObject({ kind: "AccountMissing" });
  });

  it("quotes hostile database, table and column names so they name objects and nothing else", async () => {
    const evilDb = "x`; DROP DATABASE other; --";
    const evilTable = "t`.* TO 'root'@'%'; --";
    const evilColumn = "c`) ON *.* TO `x";
    await db.rootQuery(
      `CREATE DATABASE \`${evilDb.replace(/`/g, "``")}\``,
      `CREATE TABLE \`${evilDb.replace(/`/g, "``")}\`.\`${evilTable.replace(/`/g, "``")}\` (\`${evilColumn.replace(/`/g, "``")}\` INT, safe INT)`,
    );
    const privileges = grants([
      { privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database: evilDb },
      { privilegeName: "TablePrivileges", privileges: ["INSERT"], database: evilDb, tableName: evilTable },
      { privilegeName: "ColumnPrivileges", privileges: ["UPDATE"], database: evilDb, tableName: evilTable, columnName: evilColumn },
    ]);
    await backend.ensureAccount(instance, { user: "evilSSM004", hosts: ["127.0.0.1"], password: "Evil-1!qqqqqqqqqqqqqqqq", privileges });
    const [dbs] = (await db.rootQuery("SHOW DATABASES")) as [RowDataPacket[]];
    expect(dbs.map((r) => r.Database)).toEqual(expect.arrayContaining(["other", evilDb]));
    const shown = await showGrants("evilSSM004", "127.0.0.1");
    // The names come back quoted exactly as created; every grant goes to our account and no one else.
    expect(shown).toEqual([
      "GRANT INSERT, UPDATE (`c``) ON *.* TO ``x`) ON `x``; DROP DATABASE other; --`.`t``.* TO 'root'@'%'; --` TO `evilSSM004`@`127.0.0.1`",
      "GRANT SELECT ON `x``; DROP DATABASE other; --`.* TO `evilSSM004`@`127.0.0.1`",
      "GRANT USAGE ON *.* TO `evilSSM004`@`127.0.0.1`",
    ]);
    const [rootGrants] = (await db.rootQuery("SELECT COUNT(*) AS n FROM mysql.user WHERE User IN ('root', 'x') AND Host = '%'")) as [RowDataPacket[]];
    expect(Number(rootGrants[0]?.n)).toBe(0);
    const q = (s: string) => "`" + s.replace(/`/g, "``") + "`";
    expect(await tryAs(db, "evilSSM004", "Evil-1!qqqqqqqqqqqqqqqq", `INSERT INTO ${q(evilDb)}.${q(evilTable)} (safe) VALUES (1)`)).toBe("ok");
    expect(await tryAs(db, "evilSSM004", "Evil-1!qqqqqqqqqqqqqqqq", `UPDATE ${q(evilDb)}.${q(evilTable)} SET ${q(evilColumn)} = 2`)).toBe("ok");
    expect(await tryAs(db, "evilSSM004", "Evil-1!qqqqqqqqqqqqqqqq", `UPDATE ${q(evilDb)}.${q(evilTable)} SET safe = 2`)).toBe(
      "ER_COLUMNACCESS_DENIED_ERROR",
    );
    expect(await tryAs(db, "evilSSM004", "Evil-1!qqqqqqqqqqqqqqqq", "SELECT * FROM other.secrets")).toBe("ER_TABLEACCESS_DENIED_ERROR");
  });

  it("refuses what no quoting makes safe: quotes in user names, hosts and passwords, control characters, backslashes in database names", async () => {
    const ok = grants([{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"] }]);
    for (const account of [
      { user: "a'@'%' IDENTIFIED BY 'x", hosts: ["127.0.0.1"], password: "P-1!aaaaaaaaaaaaaaaaaaaa" },
      { user: "okSSM005", hosts: ["127.0.0.1' OR '1"], password: "P-1!aaaaaaaaaaaaaaaaaaaa" },
      { user: "okSSM005", hosts: ["127.0.0.1"], password: "p' ; DROP DATABASE other; --" },
      { user: "okSSM005", hosts: ["127.0.0.1"], password: "back\\slash" },
    ])
      await expect(backend.ensureAccount(instance, { ...account, privileges: ok })).rejects.toBeInstanceOf(ProductError);
    expect(() => grants([{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database: "a\\_b" }])).toThrow(KmsError);
    expect(() => grants([{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database: "a\u0000b" }])).toThrow(KmsError);
    // A privilege name is never spelt into SQL unless it is on the allow-list, even if validation were skipped.
    const forged = [{ level: "GlobalPrivileges", privileges: ["ALL PRIVILEGES ON *.* TO 'root'@'%' --"] }] as PrivilegeGrant[];
    await expect(backend.ensureAccount(instance, { user: "okSSM005", hosts: ["127.0.0.1"], password: "P-1!aaaaaaaaaaaaaaaaaaaa", privileges: forged })).rejects.toMatchObject({
      kind: "BadPrivilege",
    });
    const [rows] = (await db.rootQuery("SHOW DATABASES LIKE 'other'")) as [RowDataPacket[]];
    expect(rows).toHaveLength(1);
  });

  it("maps failures to typed errors that never carry a password", async () => {
    const secret = "Never-shown-1!rrrrrrrrrrr";
    const missing = grants([{ privilegeName: "TablePrivileges", privileges: ["SELECT"], database: "shop", tableName: "nosuch" }]);
    const bad = await backend.ensureAccount(instance, { user: "badSSM006", hosts: ["127.0.0.1"], password: secret, privileges: missing }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ kind: "BadPrivilege" });
    const noColumn = grants([{ privilegeName: "ColumnPrivileges", privileges: ["SELECT"], database: "shop", tableName: "orders", columnName: "nope" }]);
    expect(await backend.ensureAccount(instance, { user: "badSSM006", hosts: ["127.0.0.1"], password: secret, privileges: noColumn }).catch((e: unknown) => e)).toMatchObject({
      kind: "BadPrivilege",
    });
    const wrongAdmin = { ...instance, adminPassword: "not-the-admin-password" };
    const denied = await backend.ping(wrongAdmin).catch((e: unknown) => e);
    expect(denied).toMatchObject({ kind: "AccessDenied" });
    const nobody = { ...instance, port: 1 };
    const unreachable = await backend.setPassword(nobody, "badSSM006", ["127.0.0.1"], secret).catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ kind: "Unreachable" });
    for (const e of [bad, denied, unreachable]) {
      expect(String((e as Error).message)).not.toContain(secret);
      expect(String((e as Error).message)).not.toContain(db.adminPassword);
      expect(JSON.stringify(e)).not.toContain(secret);
    }
  });

  it("an admin without rights gets AccessDenied, and a stopped server Unreachable", async () => {
    await db.rootQuery("CREATE USER 'weak'@'127.0.0.1' IDENTIFIED BY 'Weak-1!pppppppppppp'", "GRANT SELECT ON shop.* TO 'weak'@'127.0.0.1'");
    const weak = { ...instance, adminUser: "weak", adminPassword: "Weak-1!pppppppppppp" };
    const privileges = grants([{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"] }]);
    await expect(backend.ensureAccount(weak, { user: "weakSSM007", hosts: ["127.0.0.1"], password: "W-1!aaaaaaaaaaaaaaaaaaaa", privileges })).rejects.toMatchObject({
      kind: "AccessDenied",
    });
    await db.stop();
    try {
      await expect(backend.ping(instance)).rejects.toMatchObject({ kind: "Unreachable" });
    } finally {
      await db.start();
    }
    await backend.ping(instance);
  });
});
