/**
 * Finding 11: an existing data directory with mode 0755 left db/ and its
 * files world-readable. At start it is tightened to 0700 (files 0600) with a
 * warning, and files LevelDB creates afterwards are born private.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLevelStore } from "../../src/store/level-store.js";
import { secureDataDir } from "../../src/trust/data-dir.js";

const mode = async (p: string) => (await stat(p)).mode & 0o777;
let base: string;
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe("data directory permissions", () => {
  it("tightens a 0755 directory, db/ and its files, warns once, and keeps new store files private", async () => {
    base = await mkdtemp(join(tmpdir(), "kms-perm-"));
    const dir = join(base, "data");
    const previous = process.umask(0o022);
    try {
      await mkdir(join(dir, "db"), { recursive: true });
      const store = await openLevelStore(join(dir, "db"), { sync: true });
      await store.batch([{ type: "put", key: "v1/x", value: Buffer.from("y") }]);
      await store.close();
      await writeFile(join(dir, "root-credentials.json"), "{}", { mode: 0o644 });
      await chmod(dir, 0o755);
      await chmod(join(dir, "db"), 0o755);
      const files = await readdir(join(dir, "db"));
      expect(files.length).toBeGreaterThan(0);
      // Before: readable by everyone (the finding).
      expect((await mode(join(dir, "db", files[0]!))) & 0o044).not.toBe(0);

      const warnings: string[] = [];
      const report = await secureDataDir(dir, (m) => warnings.push(m));
      expect(await mode(dir)).toBe(0o700);
      expect(await mode(join(dir, "db"))).toBe(0o700);
      for (const f of files) expect((await mode(join(dir, "db", f))) & 0o077).toBe(0);
      expect(await mode(join(dir, "root-credentials.json"))).toBe(0o600);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`the data directory ${dir} was readable by others`);
      expect(report.tightened).toContain(dir);

      // Already private: nothing to say.
      const again: string[] = [];
      expect((await secureDataDir(dir, (m) => again.push(m))).tightened).toEqual([]);
      expect(again).toEqual([]);

      // Files the store creates from now on (new log, tables) are private too.
      const reopened = await openLevelStore(join(dir, "db"), { sync: true });
      for (let i = 0; i < 50; i++) await reopened.batch([{ type: "put", key: `v1/k${i}`, value: Buffer.alloc(1024, i) }]);
      await reopened.close();
      const after = await readdir(join(dir, "db"));
      expect(after.some((f) => !files.includes(f))).toBe(true);
      if (report.umaskSet) for (const f of after) expect((await mode(join(dir, "db", f))) & 0o077).toBe(0);
      else console.warn("umask not settable in this worker: new files are protected by the 0700 directory only");
      // A fresh directory is created 0700.
      const fresh = join(base, "fresh");
      await secureDataDir(fresh, () => undefined);
      expect(await mode(fresh)).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });
});
