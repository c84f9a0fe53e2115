/**
 * The data directory is the service's alone: 0700, and the store's files
 * 0600. An existing directory with looser modes (0755 leaves every LevelDB
 * file world-readable) is tightened with a warning, and the process umask
 * becomes 077 so files LevelDB creates later are born private.
 */
import { chmod, mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export interface SecureDataDirReport {
  /** Paths whose mode was tightened (the directory, db/, its files). */
  tightened: string[];
  /** Whether the process umask could be set (not in a worker thread). */
  umaskSet: boolean;
}

async function tighten(path: string, want: number, out: string[]): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o777 & ~want) === 0) return;
  await chmod(path, st.mode & want);
  out.push(path);
}

/**
 * Creates `dataDir` (0700) or tightens it and `db/` to 0700 and the files in
 * `db/` and the directory itself to at most 0600; warns once naming what
 * changed. Call at start, before the store opens.
 */
export async function secureDataDir(dataDir: string, warn: (msg: string) => void): Promise<SecureDataDirReport> {
  let umaskSet = true;
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot set the umask; the 0700 directory still keeps others out.
    umaskSet = false;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tightened: string[] = [];
  await tighten(dataDir, 0o700, tightened);
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    const path = join(dataDir, entry.name);
    if (entry.isDirectory()) {
      await tighten(path, 0o700, tightened);
      // LevelDB's directory is flat: its files are one level down.
      for (const inner of await readdir(path, { withFileTypes: true })) if (inner.isFile()) await tighten(join(path, inner.name), 0o600, tightened);
    } else if (entry.isFile()) {
      await tighten(path, 0o600, tightened);
    }
  }
  if (tightened.length > 0)
    warn(`kms: the data directory ${dataDir} was readable by others: tightened ${tightened.length} path(s) to 0700 (directories) and 0600 (files), e.g. ${tightened.slice(0, 3).join(", ")}`);
  return { tightened, umaskSet };
}
