/**
 * The layout's rules, checked on the source: arrows point inward. Rooms are
 * the folders under src/ (src/transport's protocols each count as their own
 * room); each file at the top of src/ is a room of its own (shared types and
 * utilities, and the composition root app.ts with main.ts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** The room of a file: "keys", "transport/grpc", or the file's own name at the top of src/. */
function roomOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  if (parts.length === 1) return parts[0] as string;
  if (parts[0] === "transport") return `transport/${parts[1]}`;
  return parts[0] as string;
}

/** The src files a file imports (relative imports only). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)) {
    const target = resolve(dirname(file), (m[1] as string).replace(/\.js$/, ".ts"));
    if (target.startsWith(SRC)) out.push(target);
  }
  return out;
}

const files = sourceFiles(SRC);
const edges = new Map<string, Set<string>>();
for (const file of files) {
  const from = roomOf(file);
  for (const target of importsOf(file)) {
    const to = roomOf(target);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of graph.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) found.push([...path.slice(at), next]);
      else visit(next, [...path, next]);
    }
  };
  for (const node of graph.keys()) visit(node, [node]);
  return found;
}

describe("the layout", () => {
  it("has no import cycle between rooms", () => {
    expect(cycles(edges)).toEqual([]);
  });

  it("keeps transports apart: a protocol imports no other protocol", () => {
    const protocols = [...edges.keys()].filter((r) => r.startsWith("transport/") && r !== "transport/http");
    for (const p of protocols) expect([...(edges.get(p) ?? [])].filter((to) => to.startsWith("transport/") && to !== "transport/http"), p).toEqual([]);
  });

  it("keeps the families below the pipeline and the transports", () => {
    for (const family of ["keys", "access", "audit", "crypto", "store", "contract", "datakeys"])
      expect([...(edges.get(family) ?? [])].filter((to) => to === "pipeline" || to.startsWith("transport/")), family).toEqual([]);
  });

  it("lets the hosted data keys reach the key domain through one adapter, and never the other way", () => {
    const intoKeys = files.filter((f) => roomOf(f) === "datakeys" && importsOf(f).some((t) => roomOf(t) === "keys"));
    expect(intoKeys.map((f) => relative(SRC, f))).toEqual(["datakeys/key-domain.ts"]);
    expect([...(edges.get("keys") ?? [])]).not.toContain("datakeys");
  });

  it("keeps the composition root at the top: nothing imports app.ts or main.ts", () => {
    for (const [from, tos] of edges) if (from !== "main.ts") expect([...tos].filter((to) => to === "app.ts" || to === "main.ts"), from).toEqual([]);
  });
});
