/**
 * Builds the web console into dist/console/: one JavaScript bundle and one
 * stylesheet with content hashes in their names (src/console/serve.ts caches
 * those for a year), index.html naming them, and the icon. Run by `npm run
 * build`; the browser tests call buildConsole() to test the current source.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { invokedDirectly } from "../src/cli/invoked.js";

const here = dirname(fileURLToPath(import.meta.url));

export interface ConsoleBuild {
  outdir: string;
  /** Output file name → bytes. */
  files: Record<string, number>;
}

/**
 * Builds into a private folder, then moves each file into `outdir` (a rename
 * replaces a file whole) and removes what the new build no longer has: a
 * server reading `outdir`, or a second build running at once (two test files),
 * never sees a half-written file or an empty folder.
 */
export async function buildConsole(outdir = join(here, "..", "dist", "console")): Promise<ConsoleBuild> {
  const staging = `${outdir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    const built = await buildInto(staging);
    await mkdir(outdir, { recursive: true });
    // index.html last: the assets it names are in place before it names them.
    const names = Object.keys(built).sort((x, y) => Number(x === "index.html") - Number(y === "index.html"));
    for (const name of names) await rename(join(staging, name), join(outdir, name));
    for (const name of await readdir(outdir)) if (!(name in built)) await rm(join(outdir, name), { force: true });
    return { outdir, files: built };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function buildInto(outdir: string): Promise<Record<string, number>> {
  const result = await build({
    entryPoints: { app: join(here, "main.tsx") },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    legalComments: "eof",
    entryNames: "[name]-[hash]",
    outdir,
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.entries(result.metafile.outputs).map(([path, out]) => ({ name: basename(path), bytes: out.bytes }));
  const js = outputs.find((o) => o.name.endsWith(".js"));
  const css = outputs.find((o) => o.name.endsWith(".css"));
  if (!js || !css) throw new Error("console build: expected one .js and one .css output");
  const html = (await readFile(join(here, "index.html"), "utf8")).replace("{{JS}}", js.name).replace("{{CSS}}", css.name);
  await writeFile(join(outdir, "index.html"), html);
  await copyFile(join(here, "favicon.svg"), join(outdir, "favicon.svg"));
  const files: Record<string, number> = { "index.html": Buffer.byteLength(html), "favicon.svg": Buffer.byteLength(await readFile(join(here, "favicon.svg"))) };
  for (const o of outputs) files[o.name] = o.bytes;
  return files;
}

// Run as a script (npm run build), also when reached through a symlinked path.
if (invokedDirectly(import.meta.url)) {
  const out = await buildConsole(process.argv[2]);
  const total = Object.values(out.files).reduce((a, b) => a + b, 0);
  if (process.env.CONSOLE_BUILD_VERBOSE) console.log(`console: ${Object.entries(out.files).map(([n, b]) => `${n} ${b} B`).join(", ")}; ${total} B`);
}
