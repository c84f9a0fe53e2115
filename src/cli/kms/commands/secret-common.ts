/** What the `kms secrets` commands share: the client, and how a secret value is given. */
import type { Client } from "@connectrpc/connect";
import type { Command } from "commander";
import { SecretsManagerService } from "../../../../gen/ssm/v1/ssm_pb.js";
import { readSmallFile } from "../args.js";
import type { Cli } from "../cli.js";
import { UsageError } from "../errors.js";

export type SsmClient = Client<typeof SecretsManagerService>;

export const ssmClient = (cli: Cli): Promise<SsmClient> => cli.client(SecretsManagerService);

export interface ValueOptions {
  string?: string;
  stringFile?: string;
  binaryFile?: string;
}

export type SecretValue = { secretString: string } | { secretBinary: Uint8Array };

/** --string / --string-file / --binary-file: how a command takes a secret value. */
export function valueInput(cmd: Command): Command {
  return cmd
    .option("--string-file <file>", "the value as text, from a file (- for stdin), taken exactly as it is (UTF-8)")
    .option("--binary-file <file>", "a binary value, from a file (- for stdin)")
    .option("--string <text>", "the value as text on the command line (visible in ps and shell history: prefer --string-file)");
}

/** The value of exactly one of --string, --string-file and --binary-file. */
export async function readValue(cli: Cli, o: ValueOptions): Promise<SecretValue> {
  const given = [o.string, o.stringFile, o.binaryFile].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError("give the value with exactly one of --string-file FILE, --binary-file FILE or --string TEXT");
  if (o.string !== undefined) return { secretString: o.string };
  if (o.binaryFile !== undefined) return { secretBinary: await readSmallFile(o.binaryFile, "value", cli.io.stdin) };
  const bytes = await readSmallFile(o.stringFile!, "value", cli.io.stdin);
  try {
    return { secretString: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    throw new UsageError(`the value in ${o.stringFile === "-" ? "stdin" : o.stringFile} is not UTF-8 text: give it with --binary-file`);
  } finally {
    bytes.fill(0);
  }
}

/** Repeatable --tag key=value as the contract's tags. */
export const tagsOf = (tags: [string, string][] | undefined) => (tags ?? []).map(([tagKey, tagValue]) => ({ tagKey, tagValue }));

/** Zeroes a binary value once sent (a string cannot be). */
export function wipe(value: SecretValue): void {
  if ("secretBinary" in value) value.secretBinary.fill(0);
}
