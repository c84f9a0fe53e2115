/** kms access-keys: SecretId/SecretKey pairs for API 3.0 and the Tencent SDKs (AdminService). */
import { CreateAccessKeyResponseSchema, ListAccessKeysResponseSchema } from "../../../../gen/kms/v1/admin_pb.js";
import { act, type CommandGroup } from "../cli.js";
import { resolvePrincipal } from "./principals.js";

export const accessKeys: CommandGroup = (program, cli) => {
  const group = program.command("access-keys").description("API 3.0 access keys (the SecretKey is shown once, by create)");

  group
    .command("create")
    .description("a new access key; its SecretKey is printed only now (CreateAccessKey)")
    .option("--principal <principal>", "for this uin or name (default: the caller)")
    .option("--description <text>", "free text")
    .action(
      act<{ principal?: string; description?: string }>(async (_a, o) => {
        const principalUin = await resolvePrincipal(cli, o.principal);
        await cli.print(CreateAccessKeyResponseSchema, await (await cli.admin()).createAccessKey({ principalUin, description: o.description ?? "" }));
      }),
    );

  group
    .command("list")
    .description("access keys without secrets (ListAccessKeys)")
    .option("--principal <principal>", "only this uin or name's")
    .action(act<{ principal?: string }>(async (_a, o) => cli.print(ListAccessKeysResponseSchema, await (await cli.admin()).listAccessKeys({ principalUin: await resolvePrincipal(cli, o.principal) }))));

  for (const [verb, rpc] of [
    ["enable", "EnableAccessKey"],
    ["disable", "DisableAccessKey"],
    ["delete", "DeleteAccessKey"],
  ] as const) {
    group
      .command(verb)
      .description(`${verb} an access key (${rpc})`)
      .argument("<secret-id>", "AKID...")
      .action(
        act(async ([secretId]) => {
          const admin = await cli.admin();
          const req = { secretId: secretId! };
          await (verb === "enable" ? admin.enableAccessKey(req) : verb === "disable" ? admin.disableAccessKey(req) : admin.deleteAccessKey(req));
          await cli.printEmpty();
        }),
      );
  }
};
