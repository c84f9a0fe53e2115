/**
 * kms accounts: the operator's administration of accounts (OperatorService;
 * only the default account's root may call it). `create` prints the new
 * root's token and access key once; with --out FILE they go to that file
 * instead (created, mode 0600, never overwritten: it is opened before the
 * account is made, so a file that cannot be written loses no credentials),
 * and stdout gets the account alone.
 */
import { open, rm } from "node:fs/promises";
import { create, toJson } from "@bufbuild/protobuf";
import {
  AccountSchema,
  CreateAccountResponseSchema,
  ListAccountsResponseSchema,
  OperatorService,
  SetAccountOrganizationResponseSchema,
} from "../../../../gen/kms/v1/operator_pb.js";
import { uint64Arg } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { UsageError } from "../errors.js";

const operatorClient = (cli: Cli) => cli.client(OperatorService);

interface CreateOptions {
  description?: string;
  uin?: bigint;
  appId?: bigint;
  out?: string;
}

/** Opens a new file for the credentials (mode 0600), refusing one that exists. */
async function openNew(path: string) {
  try {
    return await open(path, "wx", 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(code === "EEXIST" ? `${path} exists: --out writes a new file only (credentials are never overwritten)` : `cannot create ${path}: ${code}`);
  }
}

async function createAccount(cli: Cli, name: string, o: CreateOptions): Promise<void> {
  const request = { name, description: o.description ?? "", uin: o.uin ?? 0n, appId: o.appId ?? 0n };
  if (o.out === undefined) {
    const res = await (await operatorClient(cli)).createAccount(request);
    cli.note("the root's token and SecretKey below are shown once: store them now");
    return cli.print(CreateAccountResponseSchema, res);
  }
  const file = await openNew(o.out);
  let written = false;
  try {
    const res = await (await operatorClient(cli)).createAccount(request);
    await file.writeFile(`${JSON.stringify(toJson(CreateAccountResponseSchema, res, { alwaysEmitImplicit: true }), null, 2)}\n`);
    written = true;
    await file.close();
    await cli.print(AccountSchema, res.account ?? create(AccountSchema));
  } finally {
    if (!written) {
      await file.close();
      // A refused call leaves no empty file behind.
      await rm(o.out, { force: true });
    }
  }
}

export const accounts: CommandGroup = (program, cli) => {
  const group = program.command("accounts").description("accounts (tenants) and organisations: the operator's calls (OperatorService)");

  group
    .command("create")
    .description("create an account with its root, a root token and a root access key (CreateAccount); the secrets are shown once")
    .argument("<name>", "unique: 1 to 64 of A-Z a-z 0-9 and _+=,.@-")
    .option("--description <text>", "at most 1024 bytes")
    .option("--uin <uin>", "its uin, 5 to 20 digits (default: generated)", uint64Arg)
    .option("--app-id <id>", "its app id (Tencent's MemberAppId)", uint64Arg)
    .option("--out <file>", "write the answer with the root's credentials to this new file (mode 0600) and print the account alone")
    .action(act<CreateOptions>(async ([name], o) => createAccount(cli, name!, o)));

  group
    .command("list")
    .description("every account, the default (the operator's) first (ListAccounts)")
    .action(
      act(async () =>
        cli.print(ListAccountsResponseSchema, await (await operatorClient(cli)).listAccounts({}), { columns: ["uin", "name", "status", "organizationUin", "appId", "default", "createTime", "description"] }),
      ),
    );

  group
    .command("disable")
    .description("stop every credential of an account at its next call; its records are kept (DisableAccount)")
    .argument("<uin>", "the account", uint64Arg)
    .action(
      act(async (_a, _o, cmd) => {
        await (await operatorClient(cli)).disableAccount({ uin: cmd.processedArgs[0] as bigint });
        await cli.printEmpty();
      }),
    );

  group
    .command("enable")
    .description("let a disabled account's credentials authenticate again (EnableAccount)")
    .argument("<uin>", "the account", uint64Arg)
    .action(
      act(async (_a, _o, cmd) => {
        await (await operatorClient(cli)).enableAccount({ uin: cmd.processedArgs[0] as bigint });
        await cli.printEmpty();
      }),
    );

  group
    .command("set-organization")
    .description("make an account a member of an organisation account, or (0) take it out (SetAccountOrganization)")
    .argument("<member-uin>", "the member account", uint64Arg)
    .argument("<organization-uin>", "its organisation; 0 for none", uint64Arg)
    .action(
      act(async (_a, _o, cmd) => {
        const [memberUin, organizationUin] = cmd.processedArgs as [bigint, bigint];
        await cli.print(SetAccountOrganizationResponseSchema, await (await operatorClient(cli)).setAccountOrganization({ memberUin, organizationUin }));
      }),
    );
};
