/**
 * kms secrets db: the database instances product secrets are created on
 * (RegisterDatabaseInstance, ListDatabaseInstances, DeregisterDatabaseInstance).
 * The admin password is never a command-line argument (ps and shell history
 * would show it): it comes from a prompt that does not echo, a file, stdin
 * or an environment variable you name.
 */
import { DeregisterDatabaseInstanceResponseSchema, ListDatabaseInstancesResponseSchema, RegisterDatabaseInstanceResponseSchema } from "../../../../gen/ssm/v1/ssm_pb.js";
import { intArg } from "../args.js";
import { act, type Cli, type SubGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { canPrompt, promptHidden, readSecretEnv, readSecretFile } from "../prompt.js";
import { ssmClient } from "./secret-common.js";

interface RegisterOptions {
  product: string;
  host: string;
  port: number;
  adminUser: string;
  adminPasswordFile?: string;
  adminPasswordEnv?: string;
  description?: string;
}

/** The admin password from --admin-password-file, --admin-password-env, or a prompt. */
async function adminPassword(cli: Cli, o: RegisterOptions): Promise<string> {
  if (o.adminPasswordFile !== undefined && o.adminPasswordEnv !== undefined) throw new UsageError("give the admin password with one of --admin-password-file or --admin-password-env");
  if (o.adminPasswordFile !== undefined) return readSecretFile(o.adminPasswordFile, "admin password", cli.io);
  if (o.adminPasswordEnv !== undefined) return readSecretEnv(cli.io, o.adminPasswordEnv, "admin password");
  if (!canPrompt(cli.io)) throw new UsageError("give the admin password with --admin-password-file FILE (- for stdin) or --admin-password-env NAME; stdin is not a terminal to prompt on");
  const value = await promptHidden(cli.io, `admin password of ${o.adminUser}: `);
  if (value === "") throw new UsageError("empty admin password");
  return value;
}

export const secretDatabases: SubGroup = (secrets, cli) => {
  const group = secrets.command("db").description("database instances product secrets are created on (an operator's calls)");

  group
    .command("register")
    .description("register an instance, or replace a registration; the service logs in as the admin first (RegisterDatabaseInstance)")
    .argument("<instance-id>", "1 to 64 letters, digits, - and _")
    .requiredOption("--host <host>", "an IP address or DNS name")
    .requiredOption("--port <port>", "1 to 65535", intArg(1, 65535))
    .requiredOption("--admin-user <user>", "an account with CREATE USER, GRANT OPTION, the privileges it grants and SELECT on mysql.user")
    .option("--admin-password-file <file>", "file holding the admin's password (one trailing line break dropped); - for stdin")
    .option("--admin-password-env <name>", "environment variable holding the admin's password")
    .option("--product <name>", "the product", "Mysql")
    .option("--description <text>", "description, at most 2048 characters")
    .action(
      act<RegisterOptions>(async ([instanceId], o) => {
        const password = await adminPassword(cli, o);
        const res = await (await ssmClient(cli)).registerDatabaseInstance({
          instanceId: instanceId!,
          productName: o.product,
          host: o.host,
          port: o.port,
          adminUser: o.adminUser,
          adminPassword: password,
          description: o.description ?? "",
        });
        await cli.print(RegisterDatabaseInstanceResponseSchema, res);
      }),
    );

  group
    .command("list")
    .description("registered instances of the account and region, never their passwords (ListDatabaseInstances)")
    .action(
      act(async () =>
        cli.print(ListDatabaseInstancesResponseSchema, await (await ssmClient(cli)).listDatabaseInstances({}), { columns: ["InstanceID", "ProductName", "Host", "Port", "AdminUser", "UpdateTime", "Description"] }),
      ),
    );

  group
    .command("deregister")
    .description("forget an instance no product secret uses; its accounts stay on the database (DeregisterDatabaseInstance)")
    .argument("<instance-id>")
    .action(act(async ([instanceId]) => cli.print(DeregisterDatabaseInstanceResponseSchema, await (await ssmClient(cli)).deregisterDatabaseInstance({ instanceId: instanceId! }))));
};
