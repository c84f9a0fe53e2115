/** kms tokens: bearer tokens for gRPC, gRPC-Web and Connect (AdminService). */
import { CreateTokenResponseSchema, ListTokensResponseSchema } from "../../../../gen/kms/v1/admin_pb.js";
import { act, type CommandGroup } from "../cli.js";
import { resolvePrincipal } from "./principals.js";

export const tokens: CommandGroup = (program, cli) => {
  const group = program.command("tokens").description("bearer tokens (the secret is shown once, by create)");

  group
    .command("create")
    .description("a new token; its secret is printed only now (CreateToken)")
    .option("--principal <principal>", "for this uin or name (default: the caller)")
    .option("--description <text>", "free text")
    .action(
      act<{ principal?: string; description?: string }>(async (_a, o) => {
        const principalUin = await resolvePrincipal(cli, o.principal);
        await cli.print(CreateTokenResponseSchema, await (await cli.admin()).createToken({ principalUin, description: o.description ?? "" }));
      }),
    );

  group
    .command("list")
    .description("tokens without their secrets (ListTokens)")
    .option("--principal <principal>", "only this uin or name's")
    .action(act<{ principal?: string }>(async (_a, o) => cli.print(ListTokensResponseSchema, await (await cli.admin()).listTokens({ principalUin: await resolvePrincipal(cli, o.principal) }))));

  group
    .command("delete")
    .description("revoke a token (DeleteToken)")
    .argument("<token-id>", "the public id (kmst...)")
    .action(
      act(async ([tokenId]) => {
        await (await cli.admin()).deleteToken({ tokenId: tokenId! });
        await cli.printEmpty();
      }),
    );
};
