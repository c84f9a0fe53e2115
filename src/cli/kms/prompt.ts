/**
 * Secrets the CLI reads without putting them on the command line (where `ps`
 * and shell history show them): a prompt that does not echo when stdin is a
 * terminal, else lines from stdin (a pipe or a redirected file), else a file
 * or an environment variable the user names.
 */
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { CliIo } from "./cli.js";
import { UsageError } from "./errors.js";

type TtyInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

const ENTER = new Set(["\r", "\n"]);
const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const ERASE = new Set(["\u007f", "\b"]);

/** Whether secrets can be asked for at a prompt (stdin is a terminal). */
export function canPrompt(io: CliIo): boolean {
  const input = io.stdin as TtyInput;
  return input.isTTY === true && typeof input.setRawMode === "function";
}

/** Asks on stderr and reads one line from the terminal without echoing it. */
export async function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const input = io.stdin as TtyInput;
  if (!canPrompt(io)) throw new UsageError(`cannot prompt for ${prompt.replace(/:\s*$/, "")}: stdin is not a terminal`);
  // No echo from here on, before the prompt invites typing.
  input.setRawMode!(true);
  io.stderr.write(prompt);
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const finish = (outcome: () => void) => {
        input.off("data", onData);
        outcome();
      };
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString()) {
          if (ENTER.has(ch)) return finish(() => resolve(value));
          if (ch === CTRL_C || (ch === CTRL_D && value === "")) return finish(() => reject(new UsageError("cancelled")));
          if (ERASE.has(ch)) value = [...value].slice(0, -1).join("");
          else if (ch >= " ") value += ch;
        }
      };
      input.on("data", onData);
    });
  } finally {
    input.setRawMode!(false);
    input.pause();
    io.stderr.write("\n");
  }
}

/**
 * The non-empty lines of stdin, trimmed, one at a time (for shares piped in or
 * pasted). Stops reading once the caller has what it needs.
 */
export async function readLines(io: CliIo, count: number, what: string): Promise<string[]> {
  const rl = createInterface({ input: io.stdin, terminal: false, crlfDelay: Infinity });
  const lines: string[] = [];
  try {
    for await (const line of rl) {
      const t = line.trim();
      if (t !== "") lines.push(t);
      if (lines.length === count) break;
    }
  } finally {
    rl.close();
  }
  if (lines.length < count) throw new UsageError(`expected ${count} ${what}${count === 1 ? "" : "s"} on stdin, got ${lines.length}`);
  return lines;
}

/** Every non-blank line of stdin, trimmed (for shares piped in). */
export async function readAllLines(io: CliIo): Promise<string[]> {
  const rl = createInterface({ input: io.stdin, terminal: false, crlfDelay: Infinity });
  const lines: string[] = [];
  for await (const line of rl) if (line.trim() !== "") lines.push(line.trim());
  return lines;
}

/** `count` secrets: at a prompt each when stdin is a terminal, else one per line of stdin. */
export async function readSecrets(io: CliIo, count: number, what: string): Promise<string[]> {
  if (!canPrompt(io)) return readLines(io, count, what);
  const values: string[] = [];
  for (let i = 1; i <= count; i++) {
    const v = (await promptHidden(io, count === 1 ? `${what}: ` : `${what} ${i} of ${count}: `)).trim();
    if (v === "") throw new UsageError(`empty ${what}`);
    values.push(v);
  }
  return values;
}

/** A file's content (stdin for "-") with one trailing line break removed: a password or token file. */
export async function readSecretFile(path: string, what: string, io: CliIo): Promise<string> {
  let text: string;
  if (path === "-") {
    const parts: Buffer[] = [];
    for await (const chunk of io.stdin) parts.push(Buffer.from(chunk as Buffer));
    text = Buffer.concat(parts).toString("utf8");
  } else {
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const value = text.replace(/\r?\n$/, "");
  if (value === "") throw new UsageError(`${what} ${path === "-" ? "on stdin" : `file ${path}`} is empty`);
  return value;
}

/** The value of an environment variable the user named. */
export function readSecretEnv(io: CliIo, name: string, what: string): string {
  const value = io.env[name];
  if (value === undefined || value === "") throw new UsageError(`${what}: environment variable ${name} is not set`);
  return value;
}
