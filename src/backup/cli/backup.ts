/**
 * npm run backup -- [options]: asks a running server for an online backup
 * (kms.v1.BackupService/CreateBackup over gRPC) and prints its answer as JSON:
 * the file's name in the server's KMS_BACKUP_DIR, size, checksum, manifest.
 *
 * Exit codes: 0 written, 1 refused by the server (the API code is printed),
 * 2 could not run (usage, no credentials, server unreachable).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BackupService, CreateBackupResponseSchema } from "../../../gen/kms/v1/backup_pb.js";
import { ErrorInfoSchema } from "../../../gen/kms/v1/kms_pb.js";
import { parseOptions, UsageError } from "./args.js";

const USAGE = `usage: npm run backup -- [options]   (the server must be running, with KMS_BACKUP_DIR set)

  --endpoint URL     the server's gRPC address (default: http://KMS_GRPC_ADDR, else http://127.0.0.1:50051)
  --token TOKEN      a bearer token allowed kmsadmin:CreateBackup (default: KMS_TOKEN, else the
                     Token in <data-dir>/root-credentials.json)
  --data-dir DIR     where root-credentials.json is (default: KMS_DATA_DIR, else ./data)
  --ca FILE          PEM CA for an https endpoint
  -h, --help

Prints the answer as JSON. Exit 0 written, 1 refused by the server, 2 could not run.
`;

async function tokenOf(opts: Map<string, string>): Promise<string> {
  const given = opts.get("token") ?? process.env.KMS_TOKEN;
  if (given) return given;
  const file = join(resolve(opts.get("data-dir") ?? process.env.KMS_DATA_DIR ?? "./data"), "root-credentials.json");
  try {
    const token = (JSON.parse(await readFile(file, "utf8")) as { Token?: unknown }).Token;
    if (typeof token === "string" && token !== "") return token;
  } catch {
    // reported below
  }
  throw new UsageError(`no token: pass --token, set KMS_TOKEN, or keep the Token in ${file}`);
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: Map<string, string>;
  let token: string;
  try {
    opts = parseOptions(argv, ["endpoint", "token", "data-dir", "ca"]);
    if (opts.has("help")) {
      process.stdout.write(USAGE);
      return 0;
    }
    token = await tokenOf(opts);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`backup: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const endpoint = opts.get("endpoint") ?? `http://${process.env.KMS_GRPC_ADDR ?? "127.0.0.1:50051"}`;
  const ca = opts.get("ca");
  const transport = createGrpcTransport({
    baseUrl: endpoint,
    ...(ca ? { nodeOptions: { ca: await readFile(ca) } } : {}),
    interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))],
  });
  try {
    const res = await createClient(BackupService, transport).createBackup({});
    process.stdout.write(`${toJsonString(CreateBackupResponseSchema, res, { prettySpaces: 2 })}\n`);
    return 0;
  } catch (err) {
    const ce = ConnectError.from(err);
    const code = ce.findDetails(ErrorInfoSchema)[0]?.code;
    process.stderr.write(`backup: ${code ?? Code[ce.code]}: ${ce.rawMessage}\n`);
    return code ? 1 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`backup: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
