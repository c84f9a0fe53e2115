/**
 * Offline audit tool for operators, run while the server is stopped:
 *
 *   node --import tsx src/cli/audit.ts verify [--data-dir DIR]
 *   node --import tsx src/cli/audit.ts export [--data-dir DIR] [filters]
 *
 * It finds the data and opens the keyring as the server does (KMS_DATA_DIR,
 * KMS_SEAL: the development key from KMS_ROOT_KEY or <dataDir>/root.key, or
 * the HSM through KMS_PKCS11_*; a Shamir-sealed store is verified through
 * the running service instead) but never creates or changes anything: a tool
 * that only reads must not initialise a store or invent a key.
 *
 * `verify --checkpoint FILE` (default: KMS_AUDIT_CHECKPOINT_FILE) also checks
 * the chain against the signed checkpoints the server wrote outside the data
 * directory, which catches a log cut short or wiped.
 *
 * `--archive DIR` (default: KMS_AUDIT_ARCHIVE_DIR, else <data dir>-audit-archive)
 * names where retention moved old events: verify proves them from the first
 * event into the store's, export writes them before the store's.
 *
 * With KMS_STORE=etcd it reads the etcd store (KMS_ETCD_*) instead, and
 * verifies every replica's chain and their witnesses of each other; export
 * writes every chain in turn, each event naming its chain.
 *
 * Exit codes: 0 done (chain intact), 1 chain broken (verify), 2 could not run
 * (usage, configuration, store missing or locked, root key missing or wrong).
 */
import { once } from "node:events";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { AuditLog, loadAuditKey, MAX_QUERY_LIMIT, readCheckpointFile, storedCheckpointKey, toJsonLines, type AuditFilter } from "../audit/index.js";
import { archivedEvents } from "../audit/archive.js";
import { matches } from "../audit/audit-log.js";
import { auditMacKey, LEGACY_CHAIN, readBase } from "../audit/chain.js";
import type { StoredAuditEvent } from "../audit/event.js";
import { verifyDeployment, type DeploymentVerifyOptions } from "../audit/deployment.js";
import { chainLayouts } from "../audit/replicas.js";
import { openStore as openConfiguredStore } from "../store/open.js";
import { ConfigError, loadConfig } from "../config.js";
import type { RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import { openKeyringReadOnly } from "../trust/open.js";
import { TrustError } from "../trust/root.js";
import { openLevelStore } from "../store/level-store.js";
import { StoreOpenError, type KvStore } from "../store/store.js";
import { invokedDirectly } from "./invoked.js";

export const EXIT_OK = 0;
export const EXIT_BROKEN = 1;
export const EXIT_CANNOT_RUN = 2;

export const USAGE = `usage: kms-audit <verify|export> [options]   (run with the server stopped)

  verify   recompute the audit MAC chain; prints one JSON line
           {ok, checked, headSeq, failure?: {seq, reason, detail}}
           exit 0 intact, 1 broken, 2 could not run
  export   write matching events as JSON lines to stdout, in chain order

options:
  --data-dir DIR     data directory (default: KMS_DATA_DIR, else ./data)
  --checkpoint FILE  verify: signed checkpoints to verify against (default: KMS_AUDIT_CHECKPOINT_FILE);
                     a chain that ends before one is reported as "truncated"
  --archive DIR      archived events (default: KMS_AUDIT_ARCHIVE_DIR, else <data-dir>-audit-archive):
                     verify proves them too, export writes them first
  --from ISO|ms      export: events at or after this time
  --to ISO|ms        export: events before this time
  --principal UIN    export: events of this principal
  --action A         export: e.g. kms:Encrypt
  --key KEYID        export: events that name this key
  --result CODE      export: e.g. Success, UnauthorizedOperation
  -h, --help

The keyring is opened as the server opens it (KMS_SEAL, KMS_ROOT_KEY or <data-dir>/root.key, KMS_PKCS11_*).
`;

export type Command = "verify" | "export";

export type CliArgs = { help: true } | { help: false; command: Command; dataDir: string | undefined; filter: AuditFilter; checkpoint?: string; archive?: string };

/** A mistake in the command line: reported with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Options that take a value, and the filter field each sets (dataDir is not a filter). */
const VALUE_OPTIONS = ["--data-dir", "--from", "--to", "--principal", "--action", "--key", "--result", "--checkpoint", "--archive"] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

function isValueOption(name: string): name is ValueOption {
  return (VALUE_OPTIONS as readonly string[]).includes(name);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ].*)?$/;

/** Milliseconds since the epoch from digits, or from an ISO 8601 date/time (date only = UTC midnight). */
export function parseTime(option: string, value: string): number {
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    if (!Number.isSafeInteger(ms)) throw new UsageError(`${option}: ${value} is out of range`);
    return ms;
  }
  const ms = ISO_DATE.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`${option} must be an ISO 8601 time or milliseconds since the epoch, got "${value}"`);
  return ms;
}

export function parseUin(option: string, value: string): string {
  if (!/^[1-9]\d{0,19}$/.test(value)) throw new UsageError(`${option} must be a principal UIN (a positive integer), got "${value}"`);
  return value;
}

/** Splits "--opt=value" and "--opt value" into [name, value] pairs and positionals. */
export function tokenize(argv: readonly string[]): { options: [string, string | undefined][]; positionals: string[] } {
  const options: [string, string | undefined][] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") {
      options.push([arg, undefined]);
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (!isValueOption(name)) throw new UsageError(`unknown option ${name}`);
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
      options.push([name, value]);
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
    }
  }
  return { options, positionals };
}

/** The command line as a value; throws UsageError. Pure: no environment, no I/O. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const { options, positionals } = tokenize(argv);
  if (options.some(([name]) => name === "-h" || name === "--help")) return { help: true };
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "name a command: verify or export" : `one command expected, got ${positionals.join(" ")}`);
  const command = positionals[0];
  if (command !== "verify" && command !== "export") throw new UsageError(`unknown command "${command}": verify or export`);

  const seen = new Set<string>();
  let dataDir: string | undefined;
  let checkpoint: string | undefined;
  let archive: string | undefined;
  const filter: AuditFilter = {};
  for (const [name, value] of options) {
    if (seen.has(name)) throw new UsageError(`${name} given twice`);
    seen.add(name);
    const v = value as string;
    switch (name as ValueOption) {
      case "--data-dir":
        dataDir = v;
        break;
      case "--checkpoint":
        checkpoint = v;
        break;
      case "--archive":
        archive = v;
        break;
      case "--from":
        filter.fromMs = parseTime(name, v);
        break;
      case "--to":
        filter.toMs = parseTime(name, v);
        break;
      case "--principal":
        filter.principalUin = parseUin(name, v);
        break;
      case "--action":
        filter.action = v;
        break;
      case "--key":
        filter.keyId = v;
        break;
      case "--result":
        filter.result = v;
        break;
    }
  }
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.fromMs >= filter.toMs)
    throw new UsageError("--from must be before --to (--from is inclusive, --to exclusive)");
  // Verify always checks the whole chain; a filter there would suggest otherwise.
  if (command === "verify" && Object.keys(filter).length > 0) throw new UsageError("filters apply to export only; verify checks the whole chain");
  if (command === "export" && checkpoint !== undefined) throw new UsageError("--checkpoint applies to verify only");
  return { help: false, command, dataDir, filter, ...(checkpoint !== undefined ? { checkpoint } : {}), ...(archive !== undefined ? { archive } : {}) };
}

/** Where output goes; process.stdout/stderr in production. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A refusal to run with a message for the operator (never containing key material). */
class CannotRun extends Error {
  override readonly name = "CannotRun";
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text !== "" && !out.write(text)) await once(out, "drain");
}

async function openStore(config: ReturnType<typeof loadConfig>): Promise<KvStore> {
  if (config.store.kind === "etcd") {
    try {
      return await openConfiguredStore(config);
    } catch (err) {
      if (err instanceof StoreOpenError) throw new CannotRun(err.message);
      throw err;
    }
  }
  const dbDir = join(config.dataDir, "db");
  // LevelDB would create an empty store in a mistyped directory; look before opening.
  const current = await stat(join(dbDir, "CURRENT")).catch(() => undefined);
  if (!current?.isFile()) throw new CannotRun(`no KMS store in ${dbDir} (set KMS_DATA_DIR or --data-dir)`);
  try {
    // No writes are made; sync only matters for LevelDB's own recovery on open.
    return await openLevelStore(dbDir, { sync: true });
  } catch (err) {
    if (err instanceof StoreOpenError && /lock/i.test(err.message))
      throw new CannotRun(`the store in ${dbDir} is locked by another process: stop the KMS server first (LevelDB allows one process at a time)`);
    if (err instanceof StoreOpenError) throw new CannotRun(err.message);
    throw err;
  }
}

async function runCommand(args: Extract<CliArgs, { help: false }>, store: KvStore, rootKey: RootKey, io: Io, checkpointFile: string | undefined, archiveDir: string): Promise<number> {
  let auditKey: Uint8Array;
  try {
    auditKey = await loadAuditKey(store, rootKey);
  } catch (err) {
    if (err instanceof KmsError) throw new CannotRun(`cannot read the audit key: ${err.message}`);
    throw err;
  }
  if (args.command === "verify") {
    // Offline: the stored head is the whole truth, so events past it are flagged rather than skipped.
    let options: DeploymentVerifyOptions = { archive: archiveDir };
    if (checkpointFile !== undefined) {
      const set = await readCheckpointFile(checkpointFile).catch((err: Error) => {
        throw new CannotRun(`cannot read the checkpoint file ${checkpointFile}: ${err.message}`);
      });
      if (set.valid.length === 0 && set.rejected === 0) await write(io.stderr, `kms-audit: ${checkpointFile} holds no checkpoints yet\n`);
      options = { ...options, checkpoints: { set, storeKey: await storedCheckpointKey(store, rootKey) } };
    }
    const report = await verifyDeployment(store, auditKey, options);
    // A store of one process reports as it always did; with replicas, one line per chain follows in "chains".
    const one = report.chains[0];
    const printed =
      report.chains.length <= 1
        ? { ok: report.ok, checked: report.checked, headSeq: report.headSeq, ...(report.failure ? { failure: report.failure } : {}), ...(report.checkpoint ? { checkpoint: report.checkpoint } : {}), ...(one?.base ? { base: one.base } : {}), ...(one?.archive ? { archive: one.archive } : {}) }
        : report;
    await write(io.stdout, `${JSON.stringify(printed)}\n`);
    return report.ok ? EXIT_OK : EXIT_BROKEN;
  }
  // The audit key exists (loaded above), so open() only reads.
  const log = await AuditLog.open(store, rootKey);
  try {
    const key = auditMacKey(auditKey);
    for (const { layout } of await chainLayouts(store, key)) {
      const chain = layout.id;
      // Archived events first (up to the base: a segment past it is an interrupted run's), then the store's after the base.
      const base = await readBase(store, key, layout);
      if (base) await exportArchived(io, archiveDir, base.seq, chain, args.filter);
      let afterSeq = base?.seq ?? 0;
      for (;;) {
        const page = await log.query(args.filter, { afterSeq, limit: MAX_QUERY_LIMIT }, chain);
        await write(io.stdout, toJsonLines(page.events, chain === LEGACY_CHAIN ? undefined : chain));
        if (page.nextAfterSeq === undefined) break;
        afterSeq = page.nextAfterSeq;
      }
    }
  } finally {
    await log.close();
  }
  return EXIT_OK;
}

/** A chain's archived events 1..baseSeq that pass the filter, as export lines. */
async function exportArchived(io: Io, dir: string, baseSeq: number, chain: string, filter: AuditFilter): Promise<void> {
  const page: StoredAuditEvent[] = [];
  const tag = chain === LEGACY_CHAIN ? undefined : chain;
  let seen = 0;
  for await (const event of archivedEvents(dir, chain)) {
    if (event.seq > baseSeq) break;
    seen++;
    if (!matches(event, filter)) continue;
    page.push(event);
    if (page.length === MAX_QUERY_LIMIT) await write(io.stdout, toJsonLines(page.splice(0), tag));
  }
  await write(io.stdout, toJsonLines(page, tag));
  if (seen < baseSeq) await write(io.stderr, `kms-audit: chain ${chain}: events 1..${baseSeq} were archived, ${dir} holds ${seen} of them (run verify)\n`);
}

/** The whole tool, given argv (without node and script), the environment and where to write. Returns the exit code. */
export async function runAuditCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const fail = async (message: string, code: number) => {
    await write(io.stderr, `kms-audit: ${message}\n`);
    return code;
  };
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message}\n\n${USAGE}`, EXIT_CANNOT_RUN);
    throw err;
  }
  if (args.help) {
    await write(io.stdout, USAGE);
    return EXIT_OK;
  }

  let store: KvStore | undefined;
  try {
    const config = loadConfig(args.dataDir === undefined ? env : { ...env, KMS_DATA_DIR: args.dataDir });
    store = await openStore(config);
    const rootKey = await openKeyringReadOnly(config, store);
    const checkpointFile = args.command === "verify" ? (args.checkpoint ?? config.auditCheckpoint?.file) : undefined;
    return await runCommand(args, store, rootKey, io, checkpointFile, args.archive ?? config.auditArchive.dir);
  } catch (err) {
    if (err instanceof CannotRun || err instanceof ConfigError || err instanceof TrustError) return fail(err.message, EXIT_CANNOT_RUN);
    // e.g. an unreadable event during export: the message names the event, nothing secret.
    return fail(err instanceof Error ? err.message : String(err), EXIT_CANNOT_RUN);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

if (invokedDirectly(import.meta.url)) {
  // A closed pipe (| head) ends the export early; that is the reader's choice, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT_OK);
    throw err;
  });
  runAuditCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      // exitCode, not exit(): lets stdout drain when it is a pipe.
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`kms-audit: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_CANNOT_RUN;
    },
  );
}
