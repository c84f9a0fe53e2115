/**
 * Moving a deployment between stores, run with every server stopped:
 *
 *   npm run store -- copy --from level:./data/db --to etcd:http://127.0.0.1:2379
 *   npm run store -- copy --from etcd:http://127.0.0.1:2379 --to level:./data2/db
 *   npm run store -- verify --from level:./data/db --to etcd:http://127.0.0.1:2379
 *
 * copy writes every key of the source, whatever its space (keys, versions,
 * aliases, principals, access keys, tokens, policies, audit records and head,
 * schedule entries, import tokens, meta), byte for byte: sealed material stays
 * sealed under the same root key. Then it verifies: the count and a SHA-256
 * over every key and value, in key order, on both sides. verify only compares.
 *
 * Refusals: a target that holds any key (unless --wipe-target, which deletes
 * them first), a LevelDB source that does not exist, a LevelDB a server holds
 * (its lock), the same store on both sides.
 *
 * Exit codes: 0 copied (or compared) and equal, 1 the two sides differ,
 * 2 could not run.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, parseStore } from "../config.js";
import { openLevelStore } from "../store/level-store.js";
import { openStore } from "../store/open.js";
import { StoreOpenError, type BatchOp, type KvStore } from "../store/store.js";
import { invokedDirectly } from "./invoked.js";

export const EXIT_OK = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_CANNOT_RUN = 2;

export const USAGE = `usage: kms-store <copy|verify> --from STORE --to STORE [--wipe-target]   (run with every server stopped)

  copy     copy every key and value from --from into --to, then verify
  verify   compare the two stores (count and SHA-256 of every key and value)
           both print one JSON line {ok, copied?, from: {count, sha256}, to: {count, sha256}}
           exit 0 equal, 1 different, 2 could not run

STORE:
  level:DIR              a LevelDB store directory (the server's is KMS_DATA_DIR/db)
  etcd:URL[,URL...]      etcd client URLs; the key prefix, TLS files and limits come from
                         KMS_ETCD_PREFIX, KMS_ETCD_CA, KMS_ETCD_CERT, KMS_ETCD_KEY,
                         KMS_ETCD_MAX_TXN_OPS and KMS_ETCD_MAX_REQUEST_BYTES, as for the server

options:
  --wipe-target   copy: delete every key in the target first (otherwise a non-empty target is refused)
  -h, --help
`;

export type StoreSpec = { kind: "level"; dir: string } | { kind: "etcd"; endpoints: string };

export type StoreCliArgs = { help: true } | { help: false; command: "copy" | "verify"; from: StoreSpec; to: StoreSpec; wipeTarget: boolean };

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A refusal with a message for the operator. */
class CannotRun extends Error {
  override readonly name = "CannotRun";
}

export function parseStoreSpec(option: string, value: string): StoreSpec {
  const colon = value.indexOf(":");
  const kind = colon === -1 ? "" : value.slice(0, colon);
  const rest = value.slice(colon + 1);
  if (kind === "level" && rest !== "") return { kind: "level", dir: resolve(rest) };
  if (kind === "etcd" && rest !== "") return { kind: "etcd", endpoints: rest };
  throw new UsageError(`${option} must be level:DIR or etcd:URL[,URL...], got "${value}"`);
}

export function parseStoreArgs(argv: readonly string[]): StoreCliArgs {
  let command: string | undefined;
  const values = new Map<string, string>();
  let wipeTarget = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") return { help: true };
    if (arg === "--wipe-target") {
      wipeTarget = true;
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (name !== "--from" && name !== "--to") throw new UsageError(`unknown option ${name}`);
      if (values.has(name)) throw new UsageError(`${name} given twice`);
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
      values.set(name, value);
    } else if (command === undefined) {
      command = arg;
    } else {
      throw new UsageError(`one command expected, got ${command} ${arg}`);
    }
  }
  if (command !== "copy" && command !== "verify") throw new UsageError(command === undefined ? "name a command: copy or verify" : `unknown command "${command}": copy or verify`);
  const fromText = values.get("--from");
  const toText = values.get("--to");
  if (fromText === undefined || toText === undefined) throw new UsageError("--from and --to are both required");
  if (wipeTarget && command !== "copy") throw new UsageError("--wipe-target applies to copy only");
  const from = parseStoreSpec("--from", fromText);
  const to = parseStoreSpec("--to", toText);
  if (JSON.stringify(from) === JSON.stringify(to)) throw new UsageError("--from and --to name the same store");
  return { help: false, command, from, to, wipeTarget };
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}

function describeSpec(spec: StoreSpec): string {
  return spec.kind === "level" ? `level:${spec.dir}` : `etcd:${spec.endpoints}`;
}

async function openSpec(spec: StoreSpec, env: NodeJS.ProcessEnv, role: "source" | "target"): Promise<KvStore> {
  if (spec.kind === "level") {
    // LevelDB creates an empty store in a mistyped directory; a source must already be one.
    const current = await stat(join(spec.dir, "CURRENT")).catch(() => undefined);
    if (role === "source" && !current?.isFile()) throw new CannotRun(`no LevelDB store in ${spec.dir} (the server's is KMS_DATA_DIR/db)`);
    if (role === "target") await mkdir(spec.dir, { recursive: true, mode: 0o700 });
    try {
      return await openLevelStore(spec.dir, { sync: true });
    } catch (err) {
      if (err instanceof StoreOpenError && /lock/i.test(err.message))
        throw new CannotRun(`the store in ${spec.dir} is locked by another process: stop the KMS server first (LevelDB allows one process at a time)`);
      throw err;
    }
  }
  // The server's own parsing of the etcd settings, so the CLI reads them exactly as a replica does.
  const store = parseStore({ ...env, KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: spec.endpoints });
  return openStore({ store, dataDir: "", syncWrites: true });
}

export interface Digest {
  count: number;
  sha256: string;
}

/** Count and SHA-256 over (length, key, length, value) of every entry, in key order. */
export async function digestStore(store: KvStore): Promise<Digest> {
  const hash = createHash("sha256");
  const len = Buffer.alloc(4);
  let count = 0;
  for await (const [key, value] of store.scan({ prefix: "" })) {
    const k = Buffer.from(key, "utf8");
    len.writeUInt32BE(k.length);
    hash.update(len).update(k);
    len.writeUInt32BE(value.byteLength);
    hash.update(len).update(value);
    count++;
  }
  return { count, sha256: hash.digest("hex") };
}

/**
 * Batches that fit the target: at most its op limit, and half its byte limit
 * of keys and values (room for framing). Only the last is synced: LevelDB's
 * log is sequential, so that one makes every earlier one durable.
 */
function chunker(target: KvStore) {
  const flush = (ops: BatchOp[], last: boolean) => target.batch(ops, { durable: last });
  const maxOps = Math.min(target.limits.maxOps, 1000);
  const maxBytes = Math.min(target.limits.maxBytes / 2, 4 * 1024 * 1024);
  let ops: BatchOp[] = [];
  let bytes = 0;
  return {
    async add(op: BatchOp): Promise<void> {
      const size = Buffer.byteLength(op.key) + (op.type === "put" ? op.value.byteLength : 0);
      if (ops.length > 0 && (ops.length >= maxOps || bytes + size > maxBytes)) {
        await flush(ops, false);
        ops = [];
        bytes = 0;
      }
      ops.push(op);
      bytes += size;
    },
    async end(): Promise<void> {
      if (ops.length > 0) await flush(ops, true);
    },
  };
}

async function wipe(target: KvStore): Promise<number> {
  let n = 0;
  // Keys are collected first: deleting under a live scan is not something every backend orders the same way.
  const keys: string[] = [];
  for await (const key of target.scanKeys({ prefix: "" })) keys.push(key);
  const c = chunker(target);
  for (const key of keys) {
    await c.add({ type: "del", key });
    n++;
  }
  await c.end();
  return n;
}

async function copy(source: KvStore, target: KvStore, progress: (n: number) => Promise<void>): Promise<number> {
  let n = 0;
  const c = chunker(target);
  for await (const [key, value] of source.scan({ prefix: "" })) {
    await c.add({ type: "put", key, value });
    if (++n % 10_000 === 0) await progress(n);
  }
  await c.end();
  return n;
}

async function run(args: Extract<StoreCliArgs, { help: false }>, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let source: KvStore | undefined;
  let target: KvStore | undefined;
  try {
    source = await openSpec(args.from, env, "source");
    target = await openSpec(args.to, env, args.command === "copy" ? "target" : "source");
    let copied: number | undefined;
    if (args.command === "copy") {
      let first: string | undefined;
      for await (const key of target.scanKeys({ prefix: "", limit: 1 })) first = key;
      if (first !== undefined && !args.wipeTarget)
        throw new CannotRun(`the target ${describeSpec(args.to)} is not empty (it holds "${first}"): refusing to copy into it; --wipe-target deletes every key in it first`);
      if (first !== undefined) await write(io.stderr, `kms-store: deleted ${await wipe(target)} keys from the target\n`);
      copied = await copy(source, target, (n) => write(io.stderr, `kms-store: copied ${n} keys\n`));
    }
    const [from, to] = await Promise.all([digestStore(source), digestStore(target)]);
    const ok = from.count === to.count && from.sha256 === to.sha256;
    await write(io.stdout, `${JSON.stringify({ ok, ...(copied !== undefined ? { copied } : {}), from, to })}\n`);
    return ok ? EXIT_OK : EXIT_DIFFERENT;
  } finally {
    await source?.close().catch(() => undefined);
    await target?.close().catch(() => undefined);
  }
}

/** The whole tool, given argv (without node and script), the environment and where to write. Returns the exit code. */
export async function runStoreCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const fail = async (message: string) => {
    await write(io.stderr, `kms-store: ${message}\n`);
    return EXIT_CANNOT_RUN;
  };
  let args: StoreCliArgs;
  try {
    args = parseStoreArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message}\n\n${USAGE}`);
    throw err;
  }
  if (args.help) {
    await write(io.stdout, USAGE);
    return EXIT_OK;
  }
  try {
    return await run(args, env, io);
  } catch (err) {
    if (err instanceof CannotRun || err instanceof ConfigError || err instanceof StoreOpenError) return fail(err.message);
    return fail(err instanceof Error ? err.message : String(err));
  }
}

if (invokedDirectly(import.meta.url)) {
  runStoreCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`kms-store: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_CANNOT_RUN;
    },
  );
}
