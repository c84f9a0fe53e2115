/**
 * Builds the web console into dist/console/: one JavaScript bundle and one
 * stylesheet with content hashes in their names (src/console/serve.ts caches
 * those for a year), index.html naming them, and the icon. Run by `npm run
 * build`; the browser tests call buildConsole() to test the current source.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

export interface ConsoleBuild {
  outdir: string;
  /** Output file name → bytes. */
  files: Record<string, number>;
}

export async function buildConsole(outdir = join(here, "..", "dist", "console")): Promise<ConsoleBuild> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
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
  const files: Record<string, number> = { "index.html": Buffer.byteLength(html) };
  for (const o of outputs) files[o.name] = o.bytes;
  return { outdir, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildConsole(process.argv[2]);
  const total = Object.values(out.files).reduce((a, b) => a + b, 0);
  if (process.env.CONSOLE_BUILD_VERBOSE) console.log(`console: ${Object.entries(out.files).map(([n, b]) => `${n} ${b} B`).join(", ")}; ${total} B`);
}
