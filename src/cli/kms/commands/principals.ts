/** kms principals: the account root and its sub-users (AdminService). */
import { CreatePrincipalResponseSchema, ListPrincipalsResponseSchema } from "../../../../gen/kms/v1/admin_pb.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { CliError, EXIT } from "../errors.js";

/**
 * A principal named by uin (digits) or by name; a name is looked up with
 * ListPrincipals. Undefined stays undefined (the call's own default: the caller).
 */
export async function resolvePrincipal(cli: Cli, ref: string | undefined): Promise<bigint> {
  if (ref === undefined) return 0n;
  if (/^\d{1,20}$/.test(ref)) return BigInt(ref);
  const { principals } = await (await cli.admin()).listPrincipals({});
  const hit = principals.find((p) => p.name === ref);
  if (!hit) throw new CliError(`ResourceNotFound: no principal named ${ref}`, EXIT.API);
  return hit.uin;
}

export const principals: CommandGroup = (program, cli) => {
  const group = program.command("principals").description("sub-users of the account (they may do nothing until a policy allows it)");

  group
    .command("create")
    .description("create a sub-user (CreatePrincipal)")
    .argument("<name>", "1 to 64 of A-Z a-z 0-9 and _+=,.@-")
    .option("--description <text>", "free text")
    .action(act<{ description?: string }>(async ([name], o) => cli.print(CreatePrincipalResponseSchema, await (await cli.admin()).createPrincipal({ name: name!, description: o.description ?? "" }))));

  group
    .command("list")
    .description("root first, then sub-users (ListPrincipals)")
    .action(act(async () => cli.print(ListPrincipalsResponseSchema, await (await cli.admin()).listPrincipals({}))));

  group
    .command("delete")
    .description("delete a sub-user and its credentials (DeletePrincipal)")
    .argument("<principal>", "uin or name")
    .action(
      act(async ([ref]) => {
        const uin = await resolvePrincipal(cli, ref);
        await (await cli.admin()).deletePrincipal({ uin });
        await cli.printEmpty();
      }),
    );
};
