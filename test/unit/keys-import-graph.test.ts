/**
 * The import graph of src/keys and src/crypto, read from the sources (type
 * imports included): no cycle inside either folder, the key family imports
 * no transport and not the access family, and the engine imports no family.
 * (`npx madge --circular --extensions ts src/keys src/crypto` says the same.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Repository-relative paths of the source files `file` imports. */
function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(join(ROOT, file), "utf8").matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? "";
    if (spec.startsWith(".")) out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, ".ts"));
  }
  return out;
}

/** One cycle among `files` (as a path), or undefined. */
function findCycle(files: readonly string[]): string[] | undefined {
  const inside = new Set(files);
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === "done") return undefined;
    if (state.get(f) === "open") return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, "open");
    stack.push(f);
    for (const g of importsOf(f).filter((x) => inside.has(x))) {
      const cycle = visit(g);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(f, "done");
    return undefined;
  };
  for (const f of files) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("import graph", () => {
  const keys = filesUnder("src/keys");
  const crypto = filesUnder("src/crypto");

  it("reads the sources it checks", () => {
    expect(importsOf("src/keys/resolver.ts")).toContain("src/keys/state.ts");
    expect(findCycle(["src/keys/state.ts", "src/keys/resolver.ts"])).toBeUndefined();
  });

  it("has no cycle inside src/keys or src/crypto", () => {
    expect(findCycle(keys)).toBeUndefined();
    expect(findCycle(crypto)).toBeUndefined();
  });

  it("src/keys imports no transport and not the access family; src/crypto imports no family", () => {
    const bad = (files: readonly string[], forbidden: RegExp) => files.flatMap((f) => importsOf(f).filter((g) => forbidden.test(g)).map((g) => `${f} → ${g}`));
    expect(bad(keys, /^src\/(access|server|gateway)\//)).toEqual([]);
    expect(bad(crypto, /^src\/(keys|access|server|gateway)\//)).toEqual([]);
  });

  it("the key records import no behaviour", () => {
    expect(importsOf("src/keys/key.ts").filter((g) => g.startsWith("src/keys/"))).toEqual([]);
  });
});
