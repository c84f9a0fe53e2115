/**
 * A private MariaDB server for tests (Debian's mariadb-server): a data dir
 * made by mariadb-install-db under a temp dir, mariadbd on a free loopback
 * port with its own socket and pid file, grant tables on, and an admin
 * account with a random password. It can be stopped, killed (-9) and started
 * again on the same port and data, so tests can make the database refuse or
 * vanish mid-flow. It runs as root where the tests do (CI), with --user=root.
 *
 * Without the binaries, tests that need it skip with MARIADB_SKIP_REASON,
 * unless CI is set: there they must run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import type { Connection } from "mysql2/promise";

function findBinary(name: string): string | undefined {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", ...(process.env.PATH ?? "").split(":")]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const MARIADBD = findBinary("mariadbd") ?? findBinary("mysqld");
const INSTALL_DB = findBinary("mariadb-install-db") ?? findBinary("mysql_install_db");

export const mariadbAvailable = MARIADBD !== undefined && INSTALL_DB !== undefined;
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
/** Skip only on a developer machine without MariaDB; in CI a missing server is a failure. */
export const skipWithoutMariadb = !mariadbAvailable && !inCi;
export const MARIADB_SKIP_REASON = "MariaDB tests skipped: mariadbd / mariadb-install-db not found (apt-get install mariadb-server)";
if (skipWithoutMariadb) console.warn(MARIADB_SKIP_REASON);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface MariaDb {
  host: "127.0.0.1";
  port: number;
  adminUser: string;
  adminPassword: string;
  dir: string;
  /** Milliseconds the first start took (install + server up + admin made). */
  startMs: number;
  /** A connection as root over the server's socket (no password): for checks and for revoking the admin's rights. */
  root(): Promise<Connection>;
  /** Runs statements as root, one by one. */
  rootQuery(...sql: string[]): Promise<unknown[]>;
  /** A TCP connection to the server as any account. */
  connectAs(user: string, password: string, database?: string): Promise<Connection>;
  /** Stops the server (SIGTERM, waits for exit): connections are refused until start(). */
  stop(): Promise<void>;
  /** kill -9 the server. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  running(): boolean;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function startMariaDb(): Promise<MariaDb> {
  if (!MARIADBD || !INSTALL_DB) throw new Error("mariadbd / mariadb-install-db not found: apt-get install mariadb-server");
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), "kms-mariadb-"));
  const dataDir = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  const install = spawnSync(
    INSTALL_DB,
    ["--no-defaults", "--user=root", `--datadir=${dataDir}`, "--auth-root-authentication-method=normal", "--skip-test-db"],
    { encoding: "utf8" },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed (${install.status}): ${install.stderr}${install.stdout}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function startServer(): Promise<void> {
    const proc = spawn(
      MARIADBD!,
      [
        "--no-defaults",
        "--user=root",
        `--datadir=${dataDir}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${socket}`,
        `--pid-file=${join(dir, "mysqld.pid")}`,
        `--log-error=${join(dir, "error.log")}`,
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=16M",
        "--max-connections=100",
        "--skip-log-bin",
      ],
      { stdio: "ignore" },
    );
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`mariadbd exited at start; see ${join(dir, "error.log")}`);
      try {
        const c = await mysql.createConnection({ socketPath: socket, user: "root", password: "" });
        await c.end();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`mariadbd not ready after 30 s; see ${join(dir, "error.log")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  const root = async () => {
    const c = await mysql.createConnection({ socketPath: socket, user: "root", password: "", multipleStatements: false });
    c.on("error", () => undefined);
    return c;
  };
  const rootQuery = async (...sql: string[]) => {
    const c = await root();
    try {
      const out: unknown[] = [];
      for (const s of sql) out.push((await c.query(s))[0]);
      return out;
    } finally {
      await c.end();
    }
  };

  await startServer();
  const adminUser = "kmsadmin";
  const adminPassword = `Adm-${randomBytes(18).toString("base64url")}`;
  await rootQuery(
    `CREATE USER '${adminUser}'@'127.0.0.1' IDENTIFIED BY '${adminPassword}'`,
    `GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'127.0.0.1' WITH GRANT OPTION`,
  );

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    await exited;
  }

  return {
    host: "127.0.0.1",
    port,
    adminUser,
    adminPassword,
    dir,
    startMs: Date.now() - t0,
    root,
    rootQuery,
    connectAs: async (user, password, database) => {
      const c = await mysql.createConnection({ host: "127.0.0.1", port, user, password, ...(database ? { database } : {}), connectTimeout: 5_000 });
      c.on("error", () => undefined);
      return c;
    },
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    start: startServer,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async dispose() {
      await signal("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in as an account and runs one statement; resolves with the error code, or "ok". */
export async function tryAs(db: MariaDb, user: string, password: string, sql: string): Promise<string> {
  let c: Connection | undefined;
  try {
    c = await db.connectAs(user, password);
    await c.query(sql);
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await c?.end().catch(() => undefined);
  }
}
