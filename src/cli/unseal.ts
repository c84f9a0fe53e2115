/**
 * Unseal tool for operators (KMS_SEAL=shamir), talking to the running
 * service's UnsealService over Connect (HTTP/1.1):
 *
 *   npm run unseal -- status
 *   npm run unseal -- init --shares 5 --threshold 3
 *   npm run unseal -- submit            (reads the share from stdin: nothing in shell history)
 *   npm run unseal -- submit <share>
 *   npm run unseal -- reset
 *
 * The service is found at --url, else http://<KMS_HTTP_ADDR>. Exit codes:
 * 0 done, 1 refused by the service (the message says why), 2 could not run
 * (usage, no answer).
 */
import { createInterface } from "node:readline";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import { UnsealService, type SealStatus } from "../../gen/kms/v1/unseal_pb.js";
import { invokedDirectly } from "./invoked.js";

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_CANNOT_RUN = 2;

export const USAGE = `usage: kms-unseal <status|init|submit|reset> [options]

  status                              seal state and unseal progress
  init --shares N --threshold K       split a new key into N shares, K of which unseal (once; prints the shares)
  submit [SHARE]                      submit one share (read from stdin when not given)
  reset                               forget the shares submitted so far

options:
  --url URL     the service's HTTP/1.1 address (default: http://KMS_HTTP_ADDR, else http://127.0.0.1:8080)
  -h, --help
`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type UnsealArgs =
  | { help: true }
  | { help: false; command: "status" | "reset"; url: string | undefined }
  | { help: false; command: "init"; url: string | undefined; shares: number; threshold: number }
  | { help: false; command: "submit"; url: string | undefined; share: string | undefined };

function positiveInt(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,3}$/.test(value)) throw new UsageError(`${name} needs a number from 2 to 255`);
  return Number(value);
}

/** The command line as a value; throws UsageError. */
export function parseUnsealArgs(argv: readonly string[]): UnsealArgs {
  const positionals: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") return { help: true };
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg : arg.slice(0, eq);
      if (!["--url", "--shares", "--threshold"].includes(name)) throw new UsageError(`unknown option ${name}`);
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
      if (options.has(name)) throw new UsageError(`${name} given twice`);
      options.set(name, value);
    } else positionals.push(arg);
  }
  const [command, ...rest] = positionals;
  const url = options.get("--url");
  const only = (allowed: string[]) => {
    for (const name of options.keys()) if (name !== "--url" && !allowed.includes(name)) throw new UsageError(`${name} does not apply to ${command}`);
  };
  switch (command) {
    case "status":
    case "reset":
      only([]);
      if (rest.length > 0) throw new UsageError(`${command} takes no arguments`);
      return { help: false, command, url };
    case "init":
      only(["--shares", "--threshold"]);
      if (rest.length > 0) throw new UsageError("init takes --shares and --threshold only");
      return { help: false, command, url, shares: positiveInt("--shares", options.get("--shares")), threshold: positiveInt("--threshold", options.get("--threshold")) };
    case "submit":
      only([]);
      if (rest.length > 1) throw new UsageError("submit takes one share");
      return { help: false, command, url, share: rest[0] };
    case undefined:
      throw new UsageError("name a command: status, init, submit or reset");
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

export interface UnsealIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function describe(s: SealStatus | undefined): string {
  if (!s) return "no status";
  if (!s.sealed) return `unsealed (${s.sealType})`;
  if (!s.initialized) return "sealed, not initialised: run init";
  return `sealed: ${s.progress} of ${s.threshold} shares received (seal ${s.setId}, ${s.shares} shares handed out)`;
}

async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input, terminal: false });
  try {
    for await (const line of rl) if (line.trim() !== "") return line.trim();
  } finally {
    rl.close();
  }
  throw new UsageError("no share on stdin");
}

async function run(args: Exclude<UnsealArgs, { help: true }>, client: Client<typeof UnsealService>, io: UnsealIo): Promise<number> {
  const say = (text: string) => io.stdout.write(`${text}\n`);
  switch (args.command) {
    case "status": {
      const { status } = await client.getSealStatus({});
      say(describe(status));
      return EXIT_OK;
    }
    case "reset": {
      const { status } = await client.submitUnsealShare({ reset: true });
      say(describe(status));
      return EXIT_OK;
    }
    case "init": {
      const { shares, status } = await client.initializeSeal({ shares: args.shares, threshold: args.threshold });
      say(`# ${shares.length} unseal shares, any ${args.threshold} of which unseal. Shown once: give one to each holder, keep none together.`);
      for (const s of shares) say(s);
      say(`# ${describe(status)}`);
      return EXIT_OK;
    }
    case "submit": {
      const share = args.share ?? (await readLine(io.stdin));
      const { status } = await client.submitUnsealShare({ share });
      say(describe(status));
      return EXIT_OK;
    }
  }
}

/** The whole tool: argv without node and script, the environment, where to read and write. Returns the exit code. */
export async function runUnsealCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: UnsealIo): Promise<number> {
  let args: UnsealArgs;
  try {
    args = parseUnsealArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`kms-unseal: ${err.message}\n\n${USAGE}`);
      return EXIT_CANNOT_RUN;
    }
    throw err;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const baseUrl = args.url ?? `http://${env.KMS_HTTP_ADDR || "127.0.0.1:8080"}`;
  const client = createClient(UnsealService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  try {
    return await run(args, client, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`kms-unseal: ${err.message}\n`);
      return EXIT_CANNOT_RUN;
    }
    const ce = ConnectError.from(err);
    const code = ce.findDetails(ErrorInfoSchema)[0]?.code;
    if (code) {
      io.stderr.write(`kms-unseal: ${code}: ${ce.rawMessage}\n`);
      return EXIT_REFUSED;
    }
    io.stderr.write(`kms-unseal: no answer from ${baseUrl} (${ce.code === Code.Unavailable ? "unavailable" : Code[ce.code]}): ${ce.rawMessage}\n`);
    return EXIT_CANNOT_RUN;
  }
}

if (invokedDirectly(import.meta.url)) {
  runUnsealCli(process.argv.slice(2), process.env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`kms-unseal: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_CANNOT_RUN;
    },
  );
}
