/**
 * What every command group gets: the resolved profile and its clients (both
 * made on first use, so `kms --help` or a usage error never reads a config
 * file or opens a connection), the output format, and the process's streams.
 *
 * A command group is one file exporting a `CommandGroup`; `commands/index.ts`
 * lists them. Adding a family's commands is that file plus one line there.
 */
import { open, writeFile } from "node:fs/promises";
import { toJson, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { Command } from "commander";
import { UsageError } from "./errors.js";
import { renderField, renderMessage, renderRecord, type TableView } from "./output.js";
import { resolveProfile, type OutputFormat, type ProfileSettings, type ResolvedProfile } from "./profile.js";
import { createKmsClients, DEFAULT_TIMEOUT_MS, type KmsClients } from "./transport.js";

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; fd?: number };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The global options (see main.ts), as commander parsed them. */
export interface GlobalOptions extends ProfileSettings {
  profile?: string;
  timeout?: number;
  debug?: boolean;
  field?: string;
}

export type CommandGroup = (program: Command, cli: Cli) => void;

/** A subgroup registered under a group's command (kms keys rotation, kms keys import). */
export type SubGroup = (parent: Command, cli: Cli) => void;

export class Cli {
  private resolved: Promise<ResolvedProfile> | undefined;
  private clientsMade: KmsClients | undefined;

  constructor(
    readonly io: CliIo,
    private readonly globals: () => GlobalOptions,
  ) {}

  /** The profile, resolved once; its notices go to stderr. */
  profile(): Promise<ResolvedProfile> {
    this.resolved ??= resolveProfile({ flags: profileFlags(this.globals()), env: this.io.env, cwd: this.io.cwd }).then((p) => {
      for (const n of p.notices) this.note(n);
      return p;
    });
    return this.resolved;
  }

  /** The endpoint, if the profile was resolved (for error messages). */
  async endpoint(): Promise<string | undefined> {
    return this.resolved?.then((p) => p.endpoint).catch(() => undefined);
  }

  async clients(): Promise<KmsClients> {
    if (!this.clientsMade) {
      const profile = await this.profile();
      const seconds = this.globals().timeout;
      this.clientsMade = createKmsClients(profile, seconds !== undefined ? seconds * 1000 : DEFAULT_TIMEOUT_MS);
    }
    return this.clientsMade;
  }

  async kms(): Promise<KmsClients["kms"]> {
    return (await this.clients()).kms;
  }

  async versions(): Promise<KmsClients["versions"]> {
    return (await this.clients()).versions;
  }

  async admin(): Promise<KmsClients["admin"]> {
    return (await this.clients()).admin;
  }

  /** A client of any generated service (a family's group names its own); `anonymous` sends no token. */
  async client<S extends DescService>(service: S, options: { anonymous?: boolean } = {}): Promise<Client<S>> {
    return (await this.clients()).client(service, options);
  }

  /** --output, else KMS_OUTPUT, else the profile's; else a table on a terminal and JSON otherwise. */
  async format(): Promise<OutputFormat> {
    const p = await this.profile();
    return p.output ?? (this.io.stdout.isTTY ? "table" : "json");
  }

  async print<D extends DescMessage>(schema: D, message: MessageShape<D>, view?: TableView): Promise<void> {
    const field = this.globals().field;
    if (field !== undefined) this.write(renderField(toJson(schema, message, { alwaysEmitImplicit: true }), field));
    else this.write(renderMessage(await this.format(), schema, message, view));
  }

  async printRecord(record: Record<string, string | number | boolean | null>): Promise<void> {
    const field = this.globals().field;
    if (field !== undefined) this.write(renderField(record, field));
    else this.write(renderRecord(await this.format(), record));
  }

  /** For calls that answer nothing: nothing in a table, {} as JSON, so a script can always parse stdout. */
  async printEmpty(): Promise<void> {
    if (this.globals().field === undefined && (await this.format()) === "json") this.write("{}\n");
  }

  write(text: string | Uint8Array): void {
    this.io.stdout.write(text);
  }

  /** A line on stderr, prefixed "kms: ". */
  note(line: string): void {
    this.io.stderr.write(`kms: ${line}\n`);
  }

  /** --field, when given: commands that print raw bytes by default print that field of the answer instead. */
  get field(): string | undefined {
    return this.globals().field;
  }

  get debug(): boolean {
    return this.globals().debug === true;
  }

  close(): void {
    this.clientsMade?.close();
  }
}

function profileFlags(g: GlobalOptions): ProfileSettings & { profile?: string } {
  const { timeout: _t, debug: _d, field: _f, ...rest } = g;
  return rest;
}

/**
 * Writes bytes to a file, or to stdout for "-". A secret goes to a file of
 * mode 0600, also when the file already existed with a wider mode (the mode
 * is set before anything is written).
 */
export async function writeBytes(cli: Cli, path: string, data: Uint8Array, secret: boolean): Promise<void> {
  if (path === "-") {
    cli.write(data);
    return;
  }
  try {
    if (!secret) {
      await writeFile(path, data);
      return;
    }
    const fh = await open(path, "w", 0o600);
    try {
      if ((await fh.stat()).isFile()) await fh.chmod(0o600);
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * A commander action that runs `handler` with the positional arguments and
 * the command's own options (typed by the caller). A variadic last argument
 * (<key-id...>) arrives as its values, in line: ([...ids]) => ...
 */
export function act<O>(handler: (args: string[], opts: O, cmd: Command) => Promise<void>): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const last = cmd.registeredArguments.at(-1);
    const args = (cmd.processedArgs as unknown[]).flatMap((v, i) => (last?.variadic && i === cmd.registeredArguments.length - 1 && Array.isArray(v) ? v : [v]));
    await handler(args as string[], cmd.opts<O & Record<string, unknown>>(), cmd);
  };
}
