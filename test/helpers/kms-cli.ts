/**
 * Running the `kms` command line as a user runs it: bin/kms.mjs beside a
 * bundle built into a temp tree (so a test never races another writing
 * dist/), as a child process with a chosen environment and stdin, or on a
 * pseudo-terminal (util-linux `script`) to drive its prompts.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** bin/kms.mjs beside dist/kms.js, bundled with the options of package.json's build script. */
export async function buildCli(root: string): Promise<string> {
  await mkdir(join(root, "bin"), { recursive: true });
  await copyFile(join(REPO, "bin/kms.mjs"), join(root, "bin/kms.mjs"));
  await copyFile(join(REPO, "package.json"), join(root, "package.json"));
  await build({
    entryPoints: [join(REPO, "src/cli/kms/kms.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: join(root, "dist/kms.js"),
    logLevel: "warning",
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return join(root, "bin/kms.mjs");
}

export interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Added to (or, when undefined, removed from) the environment. */
  env?: Record<string, string | undefined>;
  /** Piped to stdin. */
  input?: Buffer | string;
  /** Given as stdin the way `< file` does (a regular file). */
  stdinFile?: string;
  cwd?: string;
}

/** The runner's environment without KMS_* or XDG settings, so only what a test passes counts. */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("KMS_") && !k.startsWith("XDG_") && k !== "WHITEBOX_FINGERPRINT") env[k] = v;
  env.HOME = home;
  return env;
}

function withEnv(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs bin/kms.mjs with `args`; resolves with its exit code and output. */
export function runCli(bin: string, env: NodeJS.ProcessEnv, args: string[], o: RunOptions & { cwd: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const stdinFd = o.stdinFile !== undefined ? openSync(o.stdinFile, "r") : undefined;
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: o.cwd,
      env: withEnv(env, o.env),
      stdio: [stdinFd ?? (o.input !== undefined ? "pipe" : "ignore"), "pipe", "pipe"],
    });
    if (stdinFd !== undefined) closeSync(stdinFd);
    const out: Buffer[] = [];
    let err = "";
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    if (o.input !== undefined) {
      // The CLI may stop reading early (refused input): that is not the test's failure.
      child.stdin!.on("error", () => undefined);
      child.stdin!.end(o.input);
    }
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
  });
}

/**
 * Runs bin/kms.mjs on a pseudo-terminal (`script`), answering each prompt
 * once it appears, as a person types: everything the terminal showed
 * (stdout, stderr and any echo) comes back as `screen`.
 */
export function runOnTerminal(bin: string, env: NodeJS.ProcessEnv, args: string[], answers: { prompt: string; type: string }[], cwd: string): Promise<{ code: number; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-e", "-c", [process.execPath, bin, ...args].map(quote).join(" "), "/dev/null"], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let screen = "";
    let next = 0;
    let cursor = 0;
    const onOutput = (d: Buffer) => {
      screen += d.toString();
      const answer = answers[next];
      const at = answer ? screen.indexOf(answer.prompt, cursor) : -1;
      if (answer && at >= 0) {
        next++;
        cursor = at + answer.prompt.length;
        // Typed after the prompt shows, so the terminal is in no-echo mode by then.
        setTimeout(() => child.stdin!.write(`${answer.type}\r`), 50);
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    child.stdin!.on("error", () => undefined);
    child.on("error", reject);
    child.on("close", (code) => {
      child.stdin!.destroy();
      resolve({ code: code ?? -1, screen });
    });
  });
}

/** A free loopback port (for a server whose ports must be known before it answers). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
