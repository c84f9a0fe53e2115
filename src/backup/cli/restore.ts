/**
 * npm run restore -- --from FILE --to DIR: restores a sealed backup into a
 * new data directory, offline, and verifies it (restore.ts says how) before
 * the directory appears. The root key comes from KMS_ROOT_KEY, or from
 * --root-key-file (for example the old data directory's root.key), which is
 * then also written to DIR/root.key so the new directory starts like the old.
 *
 * Exit codes: 0 restored and verified, 1 refused (damaged, tampered, wrong root
 * key, counts or audit chain wrong: nothing was written), 2 could not run.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { BackupFormatError } from "../format.js";
import { restoreBackup } from "../restore.js";
import { parseOptions, rootKeyFrom, UsageError } from "./args.js";

const USAGE = `usage: npm run restore -- --from FILE --to DIR [--root-key-file FILE]   (offline)

  --from FILE            the backup file (from npm run backup / CreateBackup)
  --to DIR               the new data directory (must not exist, or be empty)
  --root-key-file FILE   the root key (base64 of 32 bytes), copied to DIR/root.key;
                         without it, KMS_ROOT_KEY
  -h, --help

Prints a JSON report. Exit 0 restored and verified, 1 refused (nothing written), 2 could not run.
`;

async function main(argv: readonly string[]): Promise<number> {
  let from: string;
  let to: string;
  let rootKey: Buffer;
  let keyFile: string | undefined;
  try {
    const opts = parseOptions(argv, ["from", "to", "root-key-file"]);
    if (opts.has("help")) {
      process.stdout.write(USAGE);
      return 0;
    }
    const f = opts.get("from");
    const t = opts.get("to");
    if (!f || !t) throw new UsageError("--from and --to are required");
    from = resolve(f);
    to = resolve(t);
    keyFile = opts.get("root-key-file");
    if (keyFile) rootKey = rootKeyFrom(await readFile(keyFile, "utf8"), keyFile);
    else if (process.env.KMS_ROOT_KEY) rootKey = rootKeyFrom(process.env.KMS_ROOT_KEY, "KMS_ROOT_KEY");
    else throw new UsageError("no root key: set KMS_ROOT_KEY or pass --root-key-file");
  } catch (err) {
    if (!(err instanceof UsageError) && (err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    process.stderr.write(`restore: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const report = await restoreBackup({ from, to, rootKey, writeRootKeyFile: keyFile !== undefined });
    process.stdout.write(`${JSON.stringify({ restored: to, ...report }, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof BackupFormatError) {
      process.stderr.write(`restore: refused: ${err.message}; nothing was written\n`);
      return 1;
    }
    process.stderr.write(`restore: ${(err as Error).message}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`restore: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
