/**
 * One bash session that runs the README's blocks one after another, as a
 * reader pasting them into one terminal would: variables, functions, the
 * working directory and background jobs carry over from block to block.
 *
 * The session runs under `set -eo pipefail`, so any failing command ends it
 * (a block that means to show a failure says so, e.g. `cmd || echo "exit $?"`).
 * Each block's output (stdout and stderr, interleaved) goes to a file of its
 * own; stdin is /dev/null, so nothing a block runs can read the next block.
 * A JavaScript or Python block is written to its file in a directory of its
 * own outside the repo and run there with node or python3 in the session's
 * environment (a reader saving the file elsewhere gets the same).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Block } from "./extract.js";

export interface BlockRun {
  status: "ok" | "failed" | "timeout";
  /** The session's exit code when it ended on this block. */
  code?: number | null;
  output: string;
  ms: number;
}

/** Debian's interpreter: its python3-* packages (grpcio) are not seen by a pyenv or venv python3. */
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class BashSession {
  private readonly proc: ChildProcess;
  private buffered = "";
  private waiters: Array<() => void> = [];
  private exitCode: number | null | undefined;

  private constructor(
    private readonly dir: string,
    cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    // Its own process group, so that whatever the blocks leave running (servers started with &) ends with it.
    this.proc = spawn("bash", ["--noprofile", "--norc"], { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
      this.buffered += d;
      this.wake();
    });
    this.proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.buffered += d;
    });
    this.proc.on("exit", (code) => {
      this.exitCode = code;
      this.wake();
    });
  }

  /** Starts bash in `cwd`; `dir` holds the blocks, their outputs, and the node and python blocks' directories. */
  static async start(dir: string, cwd: string, env: NodeJS.ProcessEnv, nodeModules: string): Promise<BashSession> {
    for (const sub of ["blocks", "out", "js", "py"]) await mkdir(join(dir, sub), { recursive: true });
    // As if `npm install tencentcloud-sdk-nodejs` had run there: the repo's node_modules.
    await symlink(nodeModules, join(dir, "js", "node_modules"));
    const s = new BashSession(dir, cwd, env);
    s.proc.stdin?.write("set -eo pipefail\n");
    return s;
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The shell line that runs one block, its output to `out`. */
  private async commandFor(block: Block, out: string): Promise<string> {
    const redirect = `> ${q(out)} 2>&1 < /dev/null`;
    if (block.runner === "shell") {
      const file = join(this.dir, "blocks", `${String(block.index).padStart(3, "0")}.sh`);
      await writeFile(file, `${block.code}\n`);
      return `source ${q(file)} ${redirect}`;
    }
    const sub = block.runner === "node" ? "js" : "py";
    const where = join(this.dir, sub);
    await writeFile(join(where, block.file as string), `${block.code}\n`);
    const interpreter = block.runner === "node" ? "node" : PYTHON;
    return `( cd ${q(where)} && ${interpreter} ${q(block.file as string)} ) ${redirect}`;
  }

  /** The session's process group. */
  get pid(): number {
    return this.proc.pid as number;
  }

  /** Runs one block; the session ends (status "failed") when any command in it fails. */
  async run(block: Block, timeoutMs: number): Promise<BlockRun> {
    const t0 = Date.now();
    const out = join(this.dir, "out", `${String(block.index).padStart(3, "0")}.txt`);
    if (this.exitCode !== undefined) return { status: "failed", code: this.exitCode, output: "(the session had already ended)", ms: 0 };
    const marker = `@@readme-done-${block.index}@@`;
    this.proc.stdin?.write(`${await this.commandFor(block, out)}\necho ${marker}\n`);
    const status = await new Promise<BlockRun["status"]>((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), timeoutMs);
      const check = () => {
        if (this.buffered.includes(marker)) {
          clearTimeout(timer);
          resolve("ok");
        } else if (this.exitCode !== undefined) {
          clearTimeout(timer);
          resolve("failed");
        } else this.waiters.push(check);
      };
      check();
    });
    const output = await readFile(out, "utf8").catch(() => "");
    const extra = this.buffered.replace(marker, "").trim();
    this.buffered = "";
    if (status === "timeout") await this.close();
    const run: BlockRun = { status, output: extra ? `${output}\n[session] ${extra}` : output, ms: Date.now() - t0 };
    if (status === "failed") run.code = this.exitCode;
    return run;
  }

  /** Ends the session and everything it started (its whole process group). */
  async close(): Promise<void> {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        /* already gone */
      }
    };
    if (this.exitCode === undefined) this.proc.stdin?.end("exit 0\n");
    signal("SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    signal("SIGKILL");
  }
}
