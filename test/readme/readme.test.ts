/**
 * The README runs as pasted. Its fenced blocks (test/readme/extract.ts) run
 * in README order in ONE bash session (test/readme/session.ts), the way a
 * reader pastes them into one terminal at the repo root after the quick
 * start, against a fresh server this file starts with `npm start`.
 *
 * - The working directory is a copy of the repo's top level made of
 *   symlinks (node_modules included) with its own `bin/` and `dist/`, so the
 *   server's `./data`, the files the examples write, and the build are this
 *   run's own; the repo is not touched.
 * - Addresses: the README defines each in a shell variable with the default
 *   a reader gets (`KMS_GRPC_ADDR=${KMS_GRPC_ADDR:-127.0.0.1:50051}` ...).
 *   This file sets those variables to free loopback ports before the first
 *   block, and starts the quick start's server on them, so nothing is
 *   rewritten: the README's text is what runs.
 * - MariaDB: a private one (test/helpers/mariadb.ts), given to the README as
 *   DB_HOST, DB_PORT, DB_ROOT_USER and DB_ROOT_PASSWORD. etcd, SoftHSM2 and
 *   second servers are started by the README's own blocks.
 * - A block fails when any command in it fails, or when its output lacks
 *   what its `→` comments say it prints. `<!-- readme: skip (why) -->` above
 *   a fence keeps a block from running.
 *
 * Writing an example that runs: use the addresses' variables ($KMS_GRPC_ADDR,
 * $KMS_HTTP_ADDR; $KMS2_* (and $KMS3_*) for a second (third) server started with `node
 * dist/main.js ... &` and `wait_ready`, and stopped in the same block), `kms`
 * and `buf` as the PATH of the README's first block gives them, names no
 * earlier block used, and shell variables for what a previous answer gave
 * (`KEY_ID=$(... | jq -r .KeyId)`), never a placeholder. A command meant to
 * fail says so (`cmd || echo "exit $?"`); nothing may read stdin unless piped.
 * Only what the machine cannot do here is skipped, with its reason.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readlink, rm, symlink } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsInOrder, extractBlocks, type Block } from "./extract.js";
import { BashSession, PYTHON, type BlockRun } from "./session.js";
import { freePorts } from "../helpers/etcd.js";
import { mariadbAvailable, startMariaDb, type MariaDb } from "../helpers/mariadb.js";

const REPO = resolve(import.meta.dirname, "../..");
const README = join(REPO, "README.md");
const blocks = extractBlocks(readFileSync(README, "utf8"));
const BLOCK_TIMEOUT_MS = 90_000;

/** What the examples use besides Node.js; outside CI a missing one skips this file with a message, under CI it fails. */
function missingTools(): string[] {
  const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
  const missing = ["bash", "jq", "curl", "openssl", "ssh-keygen", "mariadb", "etcd", "softhsm2-util"].filter((c) => !has(c));
  if (!mariadbAvailable) missing.push("mariadbd (mariadb-server)");
  if (spawnSync(PYTHON, ["-c", "import grpc, grpc_tools"], { stdio: "ignore" }).status !== 0) missing.push(`${PYTHON} with grpc and grpc_tools (python3-grpcio, python3-grpc-tools)`);
  return missing;
}
const missing = missingTools();
const inCi = !!process.env.CI && process.env.CI !== "false";
const skipAll = missing.length > 0 && !inCi;
if (skipAll) console.warn(`README test skipped: missing ${missing.join(", ")} (.ci/run installs them)`);

/** The repo's top-level entries a clone has (tracked or new, not ignored), for the working copy. */
function topLevelEntries(): string[] {
  try {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: REPO, encoding: "utf8" }).split("\n");
    return [...new Set(files.filter(Boolean).map((f) => f.split("/")[0] as string))].filter((e) => existsSync(join(REPO, e)));
  } catch {
    // Not a git checkout: everything but what a run makes.
    return readdirSync(REPO).filter((e) => !/^(\.git|node_modules|dist|data|data-.*|backups|py)$/.test(e));
  }
}

/** A directory that looks like the repo after `npm ci`: symlinks, but bin/ and dist/ of its own (bin/kms.mjs runs ../dist/kms.js). */
async function makeWorkingCopy(work: string): Promise<void> {
  await mkdir(work);
  for (const entry of topLevelEntries()) {
    if (entry === "bin" || entry === "dist") continue;
    await symlink(join(REPO, entry), join(work, entry));
  }
  await symlink(join(REPO, "node_modules"), join(work, "node_modules"));
  await mkdir(join(work, "bin"));
  for (const name of await readdir(join(REPO, "bin"))) {
    const from = join(REPO, "bin", name);
    const link = await readlink(from).catch(() => undefined);
    if (link !== undefined) await symlink(link, join(work, "bin", name));
    else await cp(from, join(work, "bin", name));
  }
  // The console build writes beside console/build.ts's real path; the server serves dist/console/ beside its bundle.
  await mkdir(join(REPO, "dist", "console"), { recursive: true });
  await mkdir(join(work, "dist"));
  await symlink(join(REPO, "dist", "console"), join(work, "dist", "console"));
}

/** The environment of a reader's shell: this process's, without any KMS_ or other settings the README defines. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(KMS_|KMS2_|KMS3_|TENCENTCLOUD_|DB_|ETCD|METRICS_ADDR$|TOKEN$|NODE_OPTIONS$|VITEST|PYTHONPATH$)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

async function waitForHealth(httpAddr: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`npm start exited ${server.exitCode}:\n${log()}`);
    const ok = await fetch(`http://${httpAddr}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`npm start did not answer /healthz on ${httpAddr} within 120 s:\n${log()}`);
}

/** Process groups this file started (the server, the session); a test process that dies must not leave them behind. */
const groups = new Set<number>();
process.once("exit", () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

let scratch = "";
let server: ChildProcess | undefined;
let serverLog = "";
let db: MariaDb | undefined;
let session: BashSession | undefined;
let broken: string | undefined;
const runs = new Map<number, BlockRun>();
const t0 = Date.now();

beforeAll(async () => {
  if (skipAll) return;
  if (missing.length > 0) throw new Error(`the README's examples need ${missing.join(", ")}: .ci/run must install them`);
  scratch = await mkdtemp(join(tmpdir(), "kms-readme-"));
  const work = join(scratch, "repo");
  await makeWorkingCopy(work);
  await mkdir(join(scratch, "tmp"));
  const [grpc, http, grpc2, http2, grpc3, http3, metrics, etcd, etcdPeer] = await freePorts(9);
  const addr = (p: number | undefined) => `127.0.0.1:${p}`;
  const preset: Record<string, string> = {
    KMS_GRPC_ADDR: addr(grpc),
    KMS_HTTP_ADDR: addr(http),
    KMS2_GRPC_ADDR: addr(grpc2),
    KMS2_HTTP_ADDR: addr(http2),
    KMS3_GRPC_ADDR: addr(grpc3),
    KMS3_HTTP_ADDR: addr(http3),
    METRICS_ADDR: addr(metrics),
    ETCD_ADDR: addr(etcd),
    ETCD_PEER_ADDR: addr(etcdPeer),
  };
  const base = { ...cleanEnv(), TMPDIR: join(scratch, "tmp"), XDG_CONFIG_HOME: join(scratch, "config") };

  // The quick start: `npm start` in the repo (here, the working copy), on this run's ports.
  const starting = (async () => {
    server = spawn("npm", ["start"], { cwd: work, env: { ...base, KMS_GRPC_ADDR: preset.KMS_GRPC_ADDR, KMS_HTTP_ADDR: preset.KMS_HTTP_ADDR }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (server.pid !== undefined) groups.add(server.pid);
    server.stdout?.setEncoding("utf8").on("data", (d: string) => (serverLog += d));
    server.stderr?.setEncoding("utf8").on("data", (d: string) => (serverLog += d));
    await waitForHealth(preset.KMS_HTTP_ADDR as string, server, () => serverLog.slice(-4000));
  })();
  const [mariadb] = await Promise.all([startMariaDb(), starting]);
  db = mariadb;
  Object.assign(preset, { DB_HOST: db.host, DB_PORT: String(db.port), DB_ROOT_USER: db.adminUser, DB_ROOT_PASSWORD: db.adminPassword });

  session = await BashSession.start(join(scratch, "session"), work, { ...base, ...preset }, join(REPO, "node_modules"));
  groups.add(session.pid);
}, 180_000);

afterAll(async () => {
  if (skipAll) return;
  await session?.close();
  if (server?.pid !== undefined) {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    await new Promise((r) => (server?.exitCode !== null ? r(undefined) : server?.once("exit", r)));
  }
  await db?.dispose();
  const ran = [...runs.values()];
  const slowest = [...runs.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 5);
  const skipped = blocks.filter((b) => b.runner && b.skip);
  const shown = blocks.filter((b) => !b.runner);
  console.log(
    `README: ${blocks.length} blocks; ran ${ran.length} (${ran.filter((r) => r.status === "ok").length} passed), skipped ${skipped.length}, shown only ${shown.length}; ` +
      `${((Date.now() - t0) / 1000).toFixed(1)} s in all; slowest: ${slowest.map(([i, r]) => `#${i} ${(r.ms / 1000).toFixed(1)} s`).join(", ")}`,
  );
  for (const b of skipped) console.log(`README: skipped block ${b.index} (line ${b.line}, ${b.section}): ${b.skip}`);
  if (scratch && !process.env.README_KEEP) await rm(scratch, { recursive: true, force: true });
  else if (scratch) console.log(`README: kept ${scratch}`);
}, 60_000);

function title(b: Block): string {
  return `block ${b.index} (line ${b.line}, ${b.section}: ${b.lang}${b.file ? ` ${b.file}` : ""})`;
}

describe.skipIf(skipAll)("README.md runs as pasted, in order, in one shell", () => {
  it("has blocks, each with a language, and few skips", () => {
    expect(blocks.filter((b) => b.runner && !b.skip).length).toBeGreaterThan(30);
    expect(blocks.filter((b) => b.skip).length).toBeLessThanOrEqual(8);
  });

  for (const block of blocks) {
    if (!block.runner) continue;
    if (block.skip) {
      it.skip(`${title(block)}: ${block.skip}`, () => {});
      continue;
    }
    it(title(block), async () => {
      if (broken) throw new Error(`not run: ${broken} failed, and the blocks after it build on it`);
      const run = await (session as BashSession).run(block, BLOCK_TIMEOUT_MS);
      runs.set(block.index, run);
      const where = `README.md:${block.line} (${block.section})`;
      if (run.status !== "ok") {
        broken = title(block);
        const why = run.status === "timeout" ? `did not finish in ${BLOCK_TIMEOUT_MS / 1000} s` : `a command failed (exit ${run.code})`;
        throw new Error(`${where}: ${why}; output:\n${run.output.slice(-6000)}`);
      }
      for (const fragments of block.expects) {
        if (!containsInOrder(run.output, fragments)) {
          throw new Error(`${where}: the README says it prints ${JSON.stringify(fragments.join(" … "))}, but it printed:\n${run.output.slice(-6000)}`);
        }
      }
    }, BLOCK_TIMEOUT_MS + 5000);
  }
});
