/**
 * `kms`: the command line of the service, over gRPC. This module builds the
 * program from the command groups and turns any failure into one line on
 * stderr and an exit code (errors.ts documents them).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConnectError } from "@connectrpc/connect";
import { Command, CommanderError, Help, Option } from "commander";
import { intArg } from "./args.js";
import { Cli, type CliIo, type GlobalOptions } from "./cli.js";
import { COMMAND_GROUPS } from "./commands/index.js";
import { CliError, describeFailure, EXIT } from "./errors.js";
import { OUTPUT_FORMATS } from "./profile.js";

const HELP_AFTER = `
Profile: each setting comes from a flag, else the environment (KMS_ENDPOINT, KMS_TOKEN,
KMS_TOKEN_FILE, KMS_CA_FILE, KMS_CERT_FILE, KMS_KEY_FILE, KMS_SERVER_NAME, KMS_OUTPUT), else
the config file (KMS_CONFIG, else ~/.config/kms/config.json; profile --profile, else
KMS_PROFILE, else "default"; write one with 'kms configure'). With no token and a loopback
endpoint, the root token in ./data/root-credentials.json is used (KMS_DATA_DIR moves it).

Exit codes: 0 done; 1 the service refused the call (its API code is printed), a batch item or a
followed flow failed, a health check is not SERVING; 2 usage, profile or local file error; 3 cannot
connect or authenticate; 4 verification failed (an encrypted file is corrupt, truncated or
altered, a signature does not verify, the audit chain is broken, white-box padding is bad).`;

/** The package's version, from the package.json above this module (source or bundle). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tc-kms" && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return "unknown";
}

/**
 * `kms --version` / `kms -V`, recognised only as the first argument: commander
 * would take a program option anywhere in the line, and subcommands have a
 * --version of their own (kms secrets get NAME --version v2).
 */
const VERSION_FLAGS: ReadonlySet<string> = new Set(["-V", "--version"]);
const versionOption = new Option("-V, --version", "output the version number");

export function buildProgram(io: CliIo): { program: Command; cli: Cli } {
  const program = new Command("kms");
  const cli = new Cli(io, () => program.opts<GlobalOptions>());
  program
    .description("Command line for tc-kms over gRPC: keys, data keys, secrets, white-box keys, cryptography, files, access, audit and operations")
    .configureHelp({
      visibleOptions(this: Help, cmd: Command) {
        const options = Help.prototype.visibleOptions.call(this, cmd);
        return cmd === program ? [versionOption, ...options] : options;
      },
    })
    .option("--profile <name>", 'profile of the config file (env KMS_PROFILE; default "default")')
    .option("--endpoint <url>", "http://host:port (h2c) or https://host:port (TLS) (env KMS_ENDPOINT; default http://127.0.0.1:50051)")
    .option("--token <token>", "bearer token (env KMS_TOKEN; prefer it or --token-file: flags show in ps)")
    .option("--token-file <file>", "file holding the bearer token (env KMS_TOKEN_FILE)")
    .option("--ca-file <file>", "PEM CA certificates the server's certificate must chain to (env KMS_CA_FILE)")
    .option("--cert-file <file>", "PEM client certificate for mutual TLS (env KMS_CERT_FILE)")
    .option("--key-file <file>", "PEM private key of the client certificate (env KMS_KEY_FILE)")
    .option("--server-name <name>", "name the server's certificate must carry, if not the endpoint's host (env KMS_SERVER_NAME)")
    .addOption(new Option("--output <format>", "json or table (env KMS_OUTPUT; default: table on a terminal, json otherwise)").choices(OUTPUT_FORMATS))
    .option("--field <path>", "print only this field of the answer, e.g. KeyId or KeyMetadata.KeyState (strings raw, anything else as JSON)")
    .option("--timeout <seconds>", "deadline of each call (default 30)", intArg(1, 3600))
    .option("--debug", "also print the RequestId of a failed call")
    .addHelpText("after", HELP_AFTER)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`kms: ${s.replace(/^error: /, "")}`),
    });
  for (const group of COMMAND_GROUPS) group(program, cli);
  return { program, cli };
}

/** Runs one command line (without "node kms"); resolves to the exit code. */
export async function runKms(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] !== undefined && VERSION_FLAGS.has(argv[0])) {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT.OK;
  }
  const { program, cli } = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help).
      return err.code === "commander.helpDisplayed" ? EXIT.OK : EXIT.USAGE;
    }
    const failure = describeFailure(err, await cli.endpoint());
    io.stderr.write(`kms: ${failure.message}\n`);
    if (cli.debug && failure.requestId) io.stderr.write(`kms: RequestId ${failure.requestId}\n`);
    if (cli.debug && !(err instanceof CliError) && !(err instanceof ConnectError) && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return failure.exitCode;
  } finally {
    cli.close();
  }
}
