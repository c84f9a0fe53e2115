/**
 * The `Mysql` product on a MariaDB (or MySQL-compatible) server, over mysql2.
 *
 * Every operation opens one admin connection, runs its statements one by one
 * (multiple statements are off) and closes it. Account statements cannot take
 * placeholders for user names, hosts or passwords, so they are spelt out:
 * identifiers in backticks with backticks doubled, strings in single quotes
 * after refusing every character that could end or escape them (validation
 * already allows none: prefixes, IP hosts, generated passwords). SELECTs bind
 * their values as prepared-statement parameters.
 *
 * The admin account needs CREATE USER, GRANT OPTION, every privilege it
 * grants, and SELECT on mysql.user (verifyLogin reads the password hashes).
 */
import type { Connection, RowDataPacket } from "mysql2/promise";
import {
  ProductError,
  type AccountSpec,
  type InstanceEndpoint,
  type PrivilegeAllowList,
  type PrivilegeGrant,
  type ProductBackend,
  type ProductErrorKind,
} from "./product.js";

/** The privilege names the SSM SDK documents for Mysql, per level. */
export const MYSQL_PRIVILEGES: PrivilegeAllowList = {
  GlobalPrivileges: [
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "PROCESS", "DROP", "REFERENCES", "INDEX", "ALTER", "SHOW DATABASES",
    "CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER",
  ],
  DatabasePrivileges: [
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REFERENCES", "INDEX", "ALTER", "CREATE TEMPORARY TABLES", "LOCK TABLES",
    "EXECUTE", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER",
  ],
  TablePrivileges: ["SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REFERENCES", "INDEX", "ALTER", "CREATE VIEW", "SHOW VIEW", "TRIGGER"],
  ColumnPrivileges: ["SELECT", "INSERT", "UPDATE", "REFERENCES"],
};

export interface MysqlBackendOptions {
  /** Connection timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Longest a single statement may take before the operation fails as Unreachable (default 15 s). */
  statementTimeoutMs?: number;
}

// ---- quoting ---------------------------------------------------------------

/** `name` with backticks doubled: the only character special inside a quoted identifier. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes("\u0000")) throw new ProductError("Failed", "an identifier is empty or holds a NUL");
  return "`" + name.replace(/`/g, "``") + "`";
}

/**
 * A database name as a database-level GRANT takes it: there it is a pattern
 * where `_` and `%` match any character, so both are escaped to match only
 * themselves (a grant on `my_db` must not also open `myXdb`).
 */
export function databasePattern(name: string): string {
  if (name.includes("\\")) throw new ProductError("BadPrivilege", "a database name holds a backslash");
  return name.replace(/[_%]/g, (c) => "\\" + c);
}

/**
 * A string literal for a user, host or password. Characters that could end or
 * escape the literal (quotes, backslash) or confuse a client (controls) are
 * refused instead of escaped, so the result means the same under any sql_mode
 * (NO_BACKSLASH_ESCAPES included).
 */
export function literal(value: string, what: string): string {
  if (/['"\\`\u0000-\u001f\u007f]/.test(value)) throw new ProductError("Failed", `${what} holds a character that is not allowed`);
  return `'${value}'`;
}

function accountName(user: string, host: string): string {
  return `${literal(user, "the user name")}@${literal(host, "the host")}`;
}

/** The GRANT statement of one grant, after checking its privilege names against the allow-list again. */
export function grantStatement(grant: PrivilegeGrant, user: string, host: string): string | undefined {
  const allowed = MYSQL_PRIVILEGES[grant.level] ?? [];
  for (const p of grant.privileges) if (!allowed.includes(p)) throw new ProductError("BadPrivilege", `"${p}" is not a ${grant.level} privilege`);
  if (grant.privileges.length === 0) return undefined;
  const to = ` TO ${accountName(user, host)}`;
  const list = grant.privileges.join(", ");
  switch (grant.level) {
    case "GlobalPrivileges":
      return `GRANT ${list} ON *.*${to}`;
    case "DatabasePrivileges":
      return `GRANT ${list} ON ${quoteIdent(databasePattern(grant.database))}.*${to}`;
    case "TablePrivileges":
      return `GRANT ${list} ON ${quoteIdent(grant.database)}.${quoteIdent(grant.table)}${to}`;
    case "ColumnPrivileges": {
      const column = quoteIdent(grant.column);
      return `GRANT ${grant.privileges.map((p) => `${p} (${column})`).join(", ")} ON ${quoteIdent(grant.database)}.${quoteIdent(grant.table)}${to}`;
    }
  }
}

// ---- errors ------------------------------------------------------------------

const UNREACHABLE = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE",
  "PROTOCOL_CONNECTION_LOST", "PROTOCOL_SEQUENCE_TIMEOUT", "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR",
]);
/** Server errors whose text names only users, hosts and objects, so it may be kept (a syntax error's text quotes the statement, and with it a password). */
const KIND_OF_ERRNO: Record<number, ProductErrorKind> = {
  1044: "AccessDenied", // ER_DBACCESS_DENIED_ERROR
  1045: "AccessDenied", // ER_ACCESS_DENIED_ERROR
  1142: "AccessDenied", // ER_TABLEACCESS_DENIED_ERROR
  1143: "AccessDenied", // ER_COLUMNACCESS_DENIED_ERROR
  1227: "AccessDenied", // ER_SPECIFIC_ACCESS_DENIED_ERROR
  1410: "AccessDenied", // ER_CANT_CREATE_USER_WITH_GRANT
  1698: "AccessDenied", // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1049: "BadPrivilege", // ER_BAD_DB_ERROR
  1054: "BadPrivilege", // ER_BAD_FIELD_ERROR
  1146: "BadPrivilege", // ER_NO_SUCH_TABLE
  1147: "AccountMissing", // ER_NONEXISTING_TABLE_GRANT
  1396: "AccountMissing", // ER_CANNOT_USER (ALTER USER on an absent account)
};

interface DriverError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  fatal?: boolean;
}

/** Any error from the driver → ProductError, keeping the server's text only where it cannot hold a secret. */
export function toProductError(err: unknown, instance: InstanceEndpoint, doing: string): ProductError {
  if (err instanceof ProductError) return err;
  const e = (err ?? {}) as DriverError;
  const where = `instance ${instance.instanceId} (${instance.host}:${instance.port})`;
  if (e.code && UNREACHABLE.has(e.code)) return new ProductError("Unreachable", `${where} is unreachable while ${doing} (${e.code})`);
  const kind = e.errno === undefined ? undefined : KIND_OF_ERRNO[e.errno];
  if (kind) return new ProductError(kind, `${where} refused ${doing}: ${e.sqlMessage ?? e.code ?? "error"} (${e.errno})`);
  if (e.fatal) return new ProductError("Unreachable", `${where} dropped the connection while ${doing} (${e.code ?? "fatal"})`);
  return new ProductError("Failed", `${where} failed ${doing} (${e.code ?? "error"}${e.errno === undefined ? "" : ` ${e.errno}`})`);
}

// ---- the backend ---------------------------------------------------------

interface HostRow extends RowDataPacket {
  host: string;
  ok: number | null;
  admits: number | null;
}

/** The driver, loaded on first use: importing it costs about 0.2 s, which a start without product secrets need not pay. */
let driver: Promise<typeof import("mysql2/promise")> | undefined;
const loadDriver = () => (driver ??= import("mysql2/promise"));

export function createMysqlBackend(options: MysqlBackendOptions = {}): ProductBackend {
  const connectTimeout = options.connectTimeoutMs ?? 5_000;
  const timeout = options.statementTimeoutMs ?? 15_000;

  async function connect(instance: InstanceEndpoint, user: string, password: string): Promise<Connection> {
    const mysql = await loadDriver();
    const conn = await mysql.createConnection({
      host: instance.host,
      port: instance.port,
      user,
      password,
      connectTimeout,
      multipleStatements: false,
      charset: "utf8mb4_general_ci",
    });
    // A connection that dies between statements emits "error"; without a listener that would end the process.
    conn.on("error", () => undefined);
    return conn;
  }

  /** Runs `work` on an admin connection; every failure comes out as a ProductError. */
  async function asAdmin<T>(instance: InstanceEndpoint, doing: string, work: (conn: Connection) => Promise<T>): Promise<T> {
    let conn: Connection | undefined;
    try {
      conn = await connect(instance, instance.adminUser, instance.adminPassword);
      const result = await work(conn);
      await conn.end();
      conn = undefined;
      return result;
    } catch (err) {
      throw toProductError(err, instance, doing);
    } finally {
      conn?.destroy();
    }
  }

  const run = (conn: Connection, sql: string) => conn.query({ sql, timeout });

  return {
    name: "Mysql",
    privileges: MYSQL_PRIVILEGES,
    maxUserLength: 80,

    ping: (instance) => asAdmin(instance, "connecting as the admin", (c) => run(c, "SELECT 1").then(() => undefined)),

    accountExists: (instance, user) =>
      asAdmin(instance, `looking up user ${user}`, async (c) => {
        const [rows] = await c.execute<RowDataPacket[]>({ sql: "SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?", timeout }, [user]);
        return Number(rows[0]?.n ?? 0) > 0;
      }),

    ensureAccount: (instance, account: AccountSpec) =>
      asAdmin(instance, `creating user ${account.user}`, async (c) => {
        for (const host of account.hosts) {
          const name = accountName(account.user, host);
          const password = literal(account.password, "the password");
          await run(c, `CREATE USER IF NOT EXISTS ${name} IDENTIFIED BY ${password}`);
          // An account left by an interrupted attempt is brought to this password and exactly these privileges.
          await run(c, `ALTER USER ${name} IDENTIFIED BY ${password}`);
          await run(c, `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${name}`);
          for (const grant of account.privileges) {
            const sql = grantStatement(grant, account.user, host);
            if (sql) await run(c, sql);
          }
        }
      }),

    setPassword: (instance, user, hosts, password) =>
      asAdmin(instance, `setting the password of user ${user}`, async (c) => {
        for (const host of hosts) await run(c, `ALTER USER ${accountName(user, host)} IDENTIFIED BY ${literal(password, "the password")}`);
      }),

    async verifyLogin(instance, user, hosts, password) {
      // The server checks the password hash of every host entry (authoritative for hosts we cannot connect from),
      // and says whether one of them admits the address we connect from; if so we also log in as the account.
      const rows = await asAdmin(instance, `checking the password of user ${user}`, async (c) => {
        const [me] = await c.query<RowDataPacket[]>({ sql: "SELECT SUBSTRING_INDEX(USER(), '@', -1) AS h", timeout });
        const [found] = await c.execute<HostRow[]>(
          {
            sql: "SELECT Host AS host, authentication_string = PASSWORD(?) AS ok, ? LIKE Host AS admits FROM mysql.user WHERE User = ?",
            timeout,
          },
          [password, String(me[0]?.h ?? ""), user],
        );
        return found;
      });
      const byHost = new Map(rows.map((r) => [r.host, r]));
      for (const host of hosts) {
        const row = byHost.get(host);
        if (!row) throw new ProductError("AccountMissing", `instance ${instance.instanceId} has no user ${user}@${host}`);
        if (Number(row.ok) !== 1) throw new ProductError("VerifyFailed", `instance ${instance.instanceId} does not accept the new password of ${user}@${host}`);
      }
      if (!hosts.some((h) => Number(byHost.get(h)?.admits) === 1)) return;
      let conn: Connection | undefined;
      try {
        conn = await connect(instance, user, password);
        await conn.query({ sql: "SELECT 1", timeout });
        await conn.end();
        conn = undefined;
      } catch (err) {
        const e = toProductError(err, instance, `logging in as ${user}`);
        // As the account itself, "access denied" means the password did not work.
        throw e.kind === "AccessDenied" ? new ProductError("VerifyFailed", `instance ${instance.instanceId} refused a login as ${user} with the new password`) : e;
      } finally {
        conn?.destroy();
      }
    },

    dropAccount: (instance, user, hosts) =>
      asAdmin(instance, `dropping user ${user}`, async (c) => {
        for (const host of hosts) await run(c, `DROP USER IF EXISTS ${accountName(user, host)}`);
      }),
  };
}

export const mysqlBackend: ProductBackend = createMysqlBackend();
