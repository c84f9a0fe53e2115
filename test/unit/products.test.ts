/** Product secrets, pure parts: request validation, SQL quoting, error mapping, passwords, flow tables, schedule and times. */
import { describe, expect, it } from "vitest";
import { KmsError } from "../../src/errors.js";
import { databasePattern, grantStatement, literal, mysqlBackend, quoteIdent, toProductError } from "../../src/secrets/products/mysql.js";
import { generatePassword, PASSWORD_LENGTH } from "../../src/secrets/products/password.js";
import {
  PRODUCT_ERROR_CODES,
  ProductError,
  productErrorToKms,
  validateDomains,
  validatePrivileges,
  validateUserNamePrefix,
  type ProductPrivilegeUnit,
} from "../../src/secrets/products/product.js";
import type { ProductBinding } from "../../src/secrets/products/repository.js";
import { DAY_MS, FLOW_STEPS, formatApiTime, isDue, nextRotationTime, nextState, parseApiTime, TASK_STATUS } from "../../src/secrets/products/rotation.js";

const v = (units: ProductPrivilegeUnit[]) => validatePrivileges(mysqlBackend, units);
const refusal = (fn: () => unknown): { code: string; message: string } => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KmsError);
    return { code: (err as KmsError).code, message: (err as KmsError).message };
  }
  throw new Error("not refused");
};

describe("PrivilegesList validation (Mysql allow-lists from the SDK)", () => {
  it("accepts each level with its identifiers", () => {
    expect(
      v([
        { privilegeName: "GlobalPrivileges", privileges: ["PROCESS", "SHOW DATABASES"] },
        { privilegeName: "DatabasePrivileges", privileges: ["CREATE TEMPORARY TABLES"], database: "d" },
        { privilegeName: "TablePrivileges", privileges: ["TRIGGER"], database: "d", tableName: "t", columnName: "" },
        { privilegeName: "ColumnPrivileges", privileges: ["REFERENCES"], database: "d", tableName: "t", columnName: "c" },
        { privilegeName: "GlobalPrivileges", privileges: [] },
      ]),
    ).toEqual([
      { level: "GlobalPrivileges", privileges: ["PROCESS", "SHOW DATABASES"] },
      { level: "DatabasePrivileges", database: "d", privileges: ["CREATE TEMPORARY TABLES"] },
      { level: "TablePrivileges", database: "d", table: "t", privileges: ["TRIGGER"] },
      { level: "ColumnPrivileges", database: "d", table: "t", column: "c", privileges: ["REFERENCES"] },
      { level: "GlobalPrivileges", privileges: [] },
    ]);
  });

  it("refuses privileges outside a level's list, unknown levels, duplicates, lower case", () => {
    const cases: [ProductPrivilegeUnit, string, string][] = [
      [{ privilegeName: "DatabasePrivileges", privileges: ["PROCESS"], database: "d" }, "InvalidParameterValue", "PrivilegesList.0.Privileges.0 \"PROCESS\""],
      [{ privilegeName: "DatabasePrivileges", privileges: ["SHOW DATABASES"], database: "d" }, "InvalidParameterValue", "not a DatabasePrivileges privilege"],
      [{ privilegeName: "TablePrivileges", privileges: ["EXECUTE"], database: "d", tableName: "t" }, "InvalidParameterValue", "TablePrivileges"],
      [{ privilegeName: "ColumnPrivileges", privileges: ["DELETE"], database: "d", tableName: "t", columnName: "c" }, "InvalidParameterValue", "ColumnPrivileges"],
      [{ privilegeName: "GlobalPrivileges", privileges: ["SUPER"] }, "InvalidParameterValue", "SUPER"],
      [{ privilegeName: "GlobalPrivileges", privileges: ["ALL PRIVILEGES"] }, "InvalidParameterValue", "ALL PRIVILEGES"],
      [{ privilegeName: "GlobalPrivileges", privileges: ["select"] }, "InvalidParameterValue", "select"],
      [{ privilegeName: "GlobalPrivileges", privileges: ["SELECT", "SELECT"] }, "InvalidParameterValue", "Privileges.1 \"SELECT\" is duplicated"],
      [{ privilegeName: "SchemaPrivileges", privileges: ["USAGE"] }, "InvalidParameterValue", "PrivilegeName must be one of GlobalPrivileges, DatabasePrivileges, TablePrivileges, ColumnPrivileges"],
      [{ privilegeName: "", privileges: [] }, "MissingParameter", "PrivilegeName is required"],
    ];
    for (const [unit, code, text] of cases) {
      const r = refusal(() => v([unit]));
      expect(r.code, JSON.stringify(unit)).toBe(code);
      expect(r.message).toContain(text);
    }
  });

  it("needs exactly the identifiers a level takes", () => {
    expect(refusal(() => v([{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"], database: "d" }]))).toEqual({
      code: "InvalidParameter",
      message: "PrivilegesList.0.Database is not used by GlobalPrivileges",
    });
    expect(refusal(() => v([{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"] }]))).toEqual({
      code: "MissingParameter",
      message: "PrivilegesList.0.Database is required for DatabasePrivileges",
    });
    expect(refusal(() => v([{ privilegeName: "TablePrivileges", privileges: ["SELECT"], database: "d", tableName: "t", columnName: "c" }])).message).toBe(
      "PrivilegesList.0.ColumnName is not used by TablePrivileges",
    );
    expect(refusal(() => v([{ privilegeName: "ColumnPrivileges", privileges: ["SELECT"], database: "d", tableName: "t" }])).code).toBe("MissingParameter");
    expect(refusal(() => v([{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"], schemaName: "s" }])).message).toBe(
      "PrivilegesList.0.SchemaName is not used by Mysql",
    );
    expect(refusal(() => v([])).code).toBe("MissingParameter");
    expect(refusal(() => v(Array.from({ length: 51 }, () => ({ privilegeName: "GlobalPrivileges", privileges: [] })))).message).toContain("at most 50");
  });

  it("refuses identifiers no quoting makes valid", () => {
    const db = (database: string) => refusal(() => v([{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database }]));
    expect(db("a".repeat(65)).message).toContain("longer than 64");
    expect(db("a\nb").message).toContain("control characters");
    expect(db("a\u0000b").message).toContain("control characters");
    expect(db("ab ").message).toContain("end with a space");
    expect(db("a\\b").message).toContain("backslash");
    // Quotes, backticks, semicolons are legal names: they are quoted, not refused.
    expect(v([{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database: "x`; DROP DATABASE y; --" }])).toHaveLength(1);
  });
});

describe("UserNamePrefix and Domains", () => {
  it("prefix: at most 8 letters, digits, underscores, starting with a letter", () => {
    for (const ok of ["a", "App_01", "abcdefgh"]) expect(validateUserNamePrefix(ok)).toBe(ok);
    for (const bad of ["abcdefghi", "1abc", "_abc", "ab-c", "ab'c", "ab c", "ąb"]) expect(refusal(() => validateUserNamePrefix(bad)).code).toBe("InvalidParameterValue");
    expect(refusal(() => validateUserNamePrefix("")).code).toBe("MissingParameter");
  });

  it("domains: %, an IP address, or an IPv4 prefix ending in %", () => {
    expect(validateDomains(["%", "10.0.0.1", "192.168.0.%", "10.%", "::1", "fe80::1"])).toHaveLength(6);
    for (const bad of ["localhost", "10.0.0.256", "%.1.2.3", "1.2.%.4", "a'b", "1.2.3.4.5", "10.0.0.1/24", "%%", "10.01.0.%", " 10.0.0.1", "%'"])
      expect(refusal(() => validateDomains([bad])).message, bad).toContain("Domains.0");
    expect(refusal(() => validateDomains(["%", "%"])).message).toContain("duplicated");
    expect(refusal(() => validateDomains([])).code).toBe("MissingParameter");
    expect(refusal(() => validateDomains(Array.from({ length: 21 }, (_, i) => `10.0.0.${i}`))).message).toContain("at most 20");
  });
});

describe("SQL quoting", () => {
  it("identifiers: backticks doubled; database-level patterns escape _ and %", () => {
    expect(quoteIdent("a`b")).toBe("`a``b`");
    expect(quoteIdent("x`; DROP DATABASE y; --")).toBe("`x``; DROP DATABASE y; --`");
    expect(() => quoteIdent("")).toThrow(ProductError);
    expect(databasePattern("my_db%")).toBe("my\\_db\\%");
    expect(() => databasePattern("a\\b")).toThrow(ProductError);
  });

  it("literals refuse quotes, backslashes and control characters instead of escaping them", () => {
    expect(literal("10.0.0.%", "host")).toBe("'10.0.0.%'");
    for (const bad of ["a'b", 'a"b', "a\\b", "a`b", "a\nb", "a\u0000b"]) expect(() => literal(bad, "x")).toThrow(ProductError);
  });

  it("grant statements, one per level", () => {
    expect(grantStatement({ level: "GlobalPrivileges", privileges: ["SELECT", "SHOW DATABASES"] }, "u", "%")).toBe("GRANT SELECT, SHOW DATABASES ON *.* TO 'u'@'%'");
    expect(grantStatement({ level: "DatabasePrivileges", database: "my_db", privileges: ["SELECT"] }, "u", "%")).toBe("GRANT SELECT ON `my\\_db`.* TO 'u'@'%'");
    expect(grantStatement({ level: "TablePrivileges", database: "my_db", table: "t`x", privileges: ["INSERT"] }, "u", "%")).toBe("GRANT INSERT ON `my_db`.`t``x` TO 'u'@'%'");
    expect(grantStatement({ level: "ColumnPrivileges", database: "d", table: "t", column: "c", privileges: ["SELECT", "UPDATE"] }, "u", "1.2.3.4")).toBe(
      "GRANT SELECT (`c`), UPDATE (`c`) ON `d`.`t` TO 'u'@'1.2.3.4'",
    );
    expect(grantStatement({ level: "GlobalPrivileges", privileges: [] }, "u", "%")).toBeUndefined();
    expect(() => grantStatement({ level: "ColumnPrivileges", database: "d", table: "t", column: "c", privileges: ["DELETE"] }, "u", "%")).toThrow(
      expect.objectContaining({ kind: "BadPrivilege" }),
    );
  });
});

describe("driver errors → product errors", () => {
  const instance = { instanceId: "cdb-1", host: "10.0.0.1", port: 3306, adminUser: "admin", adminPassword: "Admin-Secret-1" };
  it("maps by cause and keeps the server's text only where it cannot hold a secret", () => {
    expect(toProductError({ code: "ECONNREFUSED" }, instance, "x")).toMatchObject({ kind: "Unreachable", message: "instance cdb-1 (10.0.0.1:3306) is unreachable while x (ECONNREFUSED)" });
    expect(toProductError({ code: "PROTOCOL_CONNECTION_LOST", fatal: true }, instance, "x").kind).toBe("Unreachable");
    expect(toProductError({ code: "ER_ACCESS_DENIED_ERROR", errno: 1045, sqlMessage: "Access denied for user 'admin'@'10.0.0.2'" }, instance, "x")).toMatchObject({
      kind: "AccessDenied",
      message: expect.stringContaining("Access denied for user 'admin'"),
    });
    expect(toProductError({ errno: 1227, sqlMessage: "need CREATE USER" }, instance, "x").kind).toBe("AccessDenied");
    expect(toProductError({ errno: 1146, sqlMessage: "Table 'd.t' doesn't exist" }, instance, "x").kind).toBe("BadPrivilege");
    expect(toProductError({ errno: 1396, sqlMessage: "Operation ALTER USER failed" }, instance, "x").kind).toBe("AccountMissing");
    const syntax = toProductError(
      { code: "ER_PARSE_ERROR", errno: 1064, sqlMessage: "You have an error near 'IDENTIFIED BY 'Pw-Secret-9''" },
      instance,
      "setting the password of user u",
    );
    expect(syntax).toMatchObject({ kind: "Failed", message: "instance cdb-1 (10.0.0.1:3306) failed setting the password of user u (ER_PARSE_ERROR 1064)" });
    expect(syntax.message).not.toContain("Pw-Secret-9");
  });

  it("every kind has an SDK code", () => {
    expect(PRODUCT_ERROR_CODES).toEqual({
      Unreachable: "ResourceUnavailable",
      AccessDenied: "FailedOperation",
      BadPrivilege: "InvalidParameterValue",
      AccountMissing: "FailedOperation",
      VerifyFailed: "FailedOperation",
      Failed: "FailedOperation",
    });
    expect(productErrorToKms(new ProductError("Unreachable", "m"))).toMatchObject({ code: "ResourceUnavailable", message: "m", grpcCode: 9 });
  });
});

describe("passwords", () => {
  it("32 characters of every class, from a safe alphabet, never repeating", () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(PASSWORD_LENGTH);
      expect(p).toMatch(/^[A-Za-z0-9!#$%&*+\-=?@^_]+$/);
      for (const cls of [/[A-Z]/, /[a-z]/, /[0-9]/, /[!#$%&*+\-=?@^_]/]) expect(p).toMatch(cls);
      seen.add(p);
      for (const c of p) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(2000);
    // 64,000 draws over 75 symbols: each near 853; a biased generator would stray far.
    expect(counts.size).toBe(75);
    for (const n of counts.values()) expect(n).toBeGreaterThan(650);
  });
});

describe("flow tables", () => {
  it("each kind's steps, and where a flow goes next", () => {
    expect(FLOW_STEPS.create).toEqual(["Started", "Claimed", "Applied", "Verified", "Done"]);
    expect(FLOW_STEPS.rotate).toEqual(["Started", "Applied", "Verified", "Done"]);
    expect(nextState("rotate", "Started")).toBe("Applied");
    expect(nextState("create", "Started")).toBe("Claimed");
    expect(() => nextState("rotate", "Done")).toThrow();
    expect(() => nextState("rotate", "Claimed")).toThrow();
    expect(TASK_STATUS).toEqual({ Started: 0, Claimed: 0, Applied: 0, Verified: 0, Done: 1, Failed: 2 });
  });
});

describe("schedule and API times", () => {
  const t0 = Date.UTC(2026, 0, 1);
  it("next rotation: the begin time until a rotation passes it, then every Frequency days", () => {
    expect(nextRotationTime({ enabled: false, frequencyDays: 30, beginTime: t0 })).toBeUndefined();
    expect(nextRotationTime({ enabled: true, frequencyDays: 30, beginTime: t0 })).toBe(t0);
    expect(nextRotationTime({ enabled: true, frequencyDays: 30, beginTime: t0, lastRotateTime: t0 - 1 })).toBe(t0);
    expect(nextRotationTime({ enabled: true, frequencyDays: 30, beginTime: t0, lastRotateTime: t0 + 5 })).toBe(t0 + 5 + 30 * DAY_MS);
    const b = { users: ["a", "b"], rotation: { enabled: true, frequencyDays: 30, nextRotateTime: t0 } } as unknown as ProductBinding;
    expect(isDue(b, t0 - 1)).toBe(false);
    expect(isDue(b, t0)).toBe(true);
    expect(isDue({ ...b, flowInProgress: 3 }, t0)).toBe(false);
    expect(isDue({ ...b, users: [] }, t0)).toBe(false);
    expect(isDue({ ...b, rotation: { ...b.rotation, enabled: false } }, t0)).toBe(false);
  });

  it('"2006-01-02 15:04:05" in Beijing time, both ways, refusing impossible dates', () => {
    expect(formatApiTime(Date.UTC(2026, 10, 23, 4, 0, 0))).toBe("2026-11-23 12:00:00");
    expect(parseApiTime("2026-11-23 12:00:00", "RotationBeginTime")).toBe(Date.UTC(2026, 10, 23, 4, 0, 0));
    expect(parseApiTime("2026-01-01 00:30:00", "T")).toBe(Date.UTC(2025, 11, 31, 16, 30, 0));
    expect(refusal(() => parseApiTime("2026-02-30 00:00:00", "RotationBeginTime")).message).toBe("RotationBeginTime is not a valid date and time");
    expect(refusal(() => parseApiTime("2026-02-03T00:00:00", "RotationBeginTime")).message).toContain("2006-01-02 15:04:05");
  });
});
