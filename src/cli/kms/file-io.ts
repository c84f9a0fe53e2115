/**
 * Inputs and outputs of `kms encrypt` / `kms decrypt`: a file or stdin, a
 * file or stdout. A file output is written beside its target and renamed
 * into place only when everything succeeded, so a failure leaves no output
 * at all. A regular-file input can be read twice (verify, then write).
 */
import { randomBytes } from "node:crypto";
import { createReadStream, fstatSync } from "node:fs";
import { mkdtemp, open, rename, rmdir, unlink, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import cliProgress from "cli-progress";
import { UsageError } from "./errors.js";

const READ_CHUNK = 64 * 1024;

export interface Input {
  /** For messages: the path, or "stdin". */
  label: string;
  /** Bytes, when the input is a regular file. */
  size: number | undefined;
  /** Whether `stream()` may be called again, from the start. */
  rereadable: boolean;
  stream(): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

function ioMessage(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/** Opens the input now, so a missing file fails before any call to the KMS. */
export async function openInput(path: string, stdin: NodeJS.ReadableStream): Promise<Input> {
  if (path === "-") {
    const stat = fstatSync(0);
    if (stat.isFile()) {
      // Redirected from a file: positional reads from fd 0, repeatable.
      return {
        label: "stdin",
        size: stat.size,
        rereadable: true,
        stream: () => createReadStream("", { fd: 0, start: 0, autoClose: false, highWaterMark: READ_CHUNK }),
        close: async () => undefined,
      };
    }
    let used = false;
    return {
      label: "stdin",
      size: undefined,
      rereadable: false,
      stream: () => {
        if (used) throw new Error("stdin can be read once");
        used = true;
        return stdin as AsyncIterable<Uint8Array>;
      },
      close: async () => undefined,
    };
  }
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${ioMessage(err)}`);
  }
  const stat = await fh.stat();
  if (!stat.isFile()) {
    await fh.close();
    throw new UsageError(`${path} is not a regular file`);
  }
  return {
    label: path,
    size: stat.size,
    rereadable: true,
    stream: () => fh.createReadStream({ start: 0, autoClose: false, highWaterMark: READ_CHUNK }),
    close: () => fh.close(),
  };
}

/** Writes all of `data` at `position` (a write may be partial). */
async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Copies a once-only input (a pipe) to an anonymous temporary file (under
 * TMPDIR, unlinked at once) and returns that file as a rereadable input:
 * ciphertext only, never plaintext, in constant memory.
 */
export async function spoolInput(input: Input): Promise<Input> {
  const dir = await mkdtemp(join(tmpdir(), "kms-spool-"));
  const path = join(dir, "ciphertext");
  let fh: FileHandle;
  try {
    fh = await open(path, "wx+", 0o600);
  } finally {
    await unlink(path).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }
  let size = 0;
  try {
    for await (const chunk of input.stream()) {
      await writeFully(fh, chunk, size);
      size += chunk.length;
    }
  } catch (err) {
    await fh.close();
    throw new UsageError(`cannot spool ${input.label} to ${tmpdir()}: ${ioMessage(err)}`);
  }
  return {
    label: input.label,
    size,
    rereadable: true,
    stream: () => fh.createReadStream({ start: 0, autoClose: false, highWaterMark: READ_CHUNK }),
    close: () => fh.close(),
  };
}

export interface Output {
  /** Resolves once the chunk was handed to the file or stdout (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** After the data was written: puts the file in place. */
  commit(): Promise<void>;
  /** After a failure: removes what was written. */
  abort(): Promise<void>;
}

/** Stdout for "-"; otherwise a temporary file beside `path`, renamed onto it by commit(). */
export async function openOutput(path: string, stdout: NodeJS.WritableStream, mode: number): Promise<Output> {
  if (path === "-") {
    return {
      write: (chunk) => new Promise<void>((resolve, reject) => stdout.write(chunk, (err) => (err ? reject(err) : resolve()))),
      commit: async () => undefined,
      abort: async () => undefined,
    };
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.part`);
  let fh: FileHandle;
  try {
    fh = await open(tmp, "wx", mode);
  } catch (err) {
    throw new UsageError(`cannot write ${path}: ${ioMessage(err)}`);
  }
  let position = 0;
  return {
    async write(chunk) {
      try {
        await writeFully(fh, chunk, position);
      } catch (err) {
        throw new UsageError(`cannot write ${path}: ${ioMessage(err)}`);
      }
      position += chunk.length;
    },
    async commit() {
      try {
        await fh.sync();
        await fh.close();
        await rename(tmp, path);
      } catch (err) {
        await fh.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
        throw new UsageError(`cannot write ${path}: ${ioMessage(err)}`);
      }
    },
    async abort() {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    },
  };
}

export interface Progress {
  add(bytes: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { add: () => undefined, stop: () => undefined };

const mib = (n: number) => (n / (1024 * 1024)).toFixed(1);

/** A progress bar on stderr when it is a terminal and the size is known; otherwise nothing. */
export function progressBar(stderr: NodeJS.WritableStream & { isTTY?: boolean }, size: number | undefined, label: string, enabled: boolean): Progress {
  if (!enabled || !stderr.isTTY || size === undefined) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar(
    { stream: stderr, format: `kms ${label} [{bar}] {percentage}% | {done}/{total_mib} MiB | {eta_formatted}`, hideCursor: true, etaBuffer: 64 },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  bar.start(Math.max(size, 1), 0, { done: mib(0), total_mib: mib(size) });
  return {
    add(bytes) {
      done += bytes;
      bar.update(Math.min(done, Math.max(size, 1)), { done: mib(done) });
    },
    stop() {
      if (size === 0) bar.update(1, { done: mib(0) });
      bar.stop();
    },
  };
}
