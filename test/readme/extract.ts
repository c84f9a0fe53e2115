/**
 * The README's fenced blocks, read with a markdown parser (marked's lexer),
 * in document order, each with its section, line, language, what the runner
 * does with it, and the output it says it prints.
 *
 * - A block's language is the first word of its info string. Shell (`sh`,
 *   `bash`, `shell`), JavaScript (`js`, `mjs`) and Python (`python`, `py`)
 *   blocks run; others (`text`, `json`...) are shown, not run. A block
 *   without a language is an error: say what it is.
 * - A runnable block preceded by `<!-- readme: skip (why) -->` (directly
 *   above its fence) is not run; the reason is required.
 * - A JavaScript or Python block is a file: its first line is a comment
 *   naming it (`// example.mjs ...`, `# kms_grpc.py ...`).
 * - A comment holding `→` states output: `# → text` in shell and Python,
 *   `// → text` in JavaScript, on its own line or after a command. The
 *   block's output must contain each such text, in order; `…` stands for
 *   anything, and whitespace is not compared (JSON may be printed pretty).
 */
import { marked, type Token, type Tokens } from "marked";

export type Runner = "shell" | "node" | "python";

export interface Block {
  /** 1-based position among all fenced blocks. */
  index: number;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above (## or ###). */
  section: string;
  lang: string;
  code: string;
  /** How it runs, or undefined for a block that is shown only (text, json...). */
  runner?: Runner;
  /** Why it is not run, from `<!-- readme: skip (why) -->`. */
  skip?: string;
  /** For node and python blocks: the file name its first line gives. */
  file?: string;
  /** Output it states with `→` comments, each a list of fragments that `…` separated. */
  expects: string[][];
}

const RUNNERS: Record<string, Runner> = { sh: "shell", bash: "shell", shell: "shell", js: "node", mjs: "node", python: "python", py: "python" };
/** Languages that are shown, never run. */
const SHOWN = new Set(["text", "json", "console", "proto", "protobuf", "ts", "typescript", "yaml", "ini"]);

const DIRECTIVE = /^<!--\s*readme:\s*(.*?)\s*-->\s*$/s;
const SKIP = /^skip\s*\((.+)\)$/s;

export class ReadmeError extends Error {}

/** The directive of an HTML comment token, or undefined when it is not one. */
function directive(token: Token | undefined): string | undefined {
  if (token?.type !== "html") return undefined;
  return DIRECTIVE.exec((token as Tokens.HTML).text.trim())?.[1];
}

function fileName(runner: Runner, code: string): string | undefined {
  const first = code.split("\n", 1)[0] ?? "";
  const m = runner === "node" ? /^\/\/\s*([\w.-]+\.m?js)\b/.exec(first) : runner === "python" ? /^#\s*([\w.-]+\.py)\b/.exec(first) : null;
  return m?.[1];
}

/** The `→` statements of a block: the text after the arrow, split on `…`. */
export function expectations(runner: Runner, code: string): string[][] {
  const marker = runner === "node" ? /(?:^|\s)\/\/\s*→\s?(.*)$/ : /(?:^|\s)#\s*→\s?(.*)$/;
  const out: string[][] = [];
  for (const line of code.split("\n")) {
    const m = marker.exec(line);
    if (!m) continue;
    const fragments = (m[1] ?? "")
      .split("…")
      .map((f) => f.trim())
      .filter((f) => f !== "");
    if (fragments.length > 0) out.push(fragments);
  }
  return out;
}

function toBlock(t: Tokens.Code, index: number, line: number, section: string, said: string | undefined): Block {
  const lang = (t.lang ?? "").trim().split(/\s+/)[0] ?? "";
  if (lang === "") throw new ReadmeError(`README.md:${line}: block ${index} (${section}) has no language tag: say what it is (sh, js, python, text, json...)`);
  const runner = RUNNERS[lang];
  if (runner === undefined && !SHOWN.has(lang)) throw new ReadmeError(`README.md:${line}: block ${index} has language "${lang}", which the README runner neither runs nor knows as shown-only`);
  let skip: string | undefined;
  if (said !== undefined) {
    const m = SKIP.exec(said);
    if (!m) throw new ReadmeError(`README.md:${line}: unknown directive "readme: ${said}" (only "skip (reason)")`);
    if (runner === undefined) throw new ReadmeError(`README.md:${line}: a skip on a ${lang} block, which never runs`);
    skip = (m[1] ?? "").trim();
  }
  const block: Block = { index, line, section, lang, code: t.text, expects: runner ? expectations(runner, t.text) : [] };
  if (runner) block.runner = runner;
  if (skip !== undefined) block.skip = skip;
  if (runner === "node" || runner === "python") {
    const file = fileName(runner, t.text);
    if (file === undefined && skip === undefined) throw new ReadmeError(`README.md:${line}: a ${lang} block's first line must name its file (${runner === "node" ? "// name.mjs" : "# name.py"})`);
    if (file !== undefined) block.file = file;
  }
  return block;
}

/** Every fenced block of a markdown document, in order. */
export function extractBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let section = "";
  const lineAt = (offset: number) => markdown.slice(0, offset).split("\n").length;

  // Top-level tokens' raw texts follow each other; a nested token is found after its parent's start.
  const visit = (tokens: Token[], start: number, nested: boolean) => {
    let previous: Token | undefined;
    let offset = start;
    for (const token of tokens) {
      const at = nested ? Math.max(markdown.indexOf(token.raw, offset), start) : offset;
      if (token.type === "heading" && (token as Tokens.Heading).depth <= 3) section = (token as Tokens.Heading).text;
      if (token.type === "code") blocks.push(toBlock(token as Tokens.Code, blocks.length + 1, lineAt(at), section, directive(previous)));
      const children = (token as { tokens?: Token[] }).tokens ?? (token as { items?: Token[] }).items;
      if (Array.isArray(children)) visit(children, at, true);
      if (token.type !== "space") {
        if (token.type !== "code" && directive(previous) !== undefined) throw new ReadmeError(`README.md:${lineAt(at)}: a "readme:" comment must stand directly above a fence`);
        previous = token;
      }
      offset = nested ? at : offset + token.raw.length;
    }
  };
  visit(marked.lexer(markdown), 0, false);
  return blocks;
}

/** Whether `output` contains every fragment of `fragments`, in order, whitespace aside. */
export function containsInOrder(output: string, fragments: string[]): boolean {
  const squeeze = (s: string) => s.replace(/\s+/g, "");
  const text = squeeze(output);
  let from = 0;
  for (const raw of fragments) {
    const f = squeeze(raw);
    const at = text.indexOf(f, from);
    if (at < 0) return false;
    from = at + f.length;
  }
  return true;
}
