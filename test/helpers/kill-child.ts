/**
 * A tsx child process for the kill -9 tests: its stdout is read line by line,
 * and each line is handed over with a way to kill the child at that moment.
 */
import { spawn } from "node:child_process";

export type LineHandler = (line: string, kill: () => void) => void;

export function runTsxChild(script: string, args: readonly string[], onLine?: LineHandler): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        onLine?.(line, () => child.kill("SIGKILL"));
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}
