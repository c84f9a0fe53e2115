/** kms policies: CAM-style policy documents and who they are attached to (AdminService). */
import { CreatePolicyResponseSchema, ListPoliciesResponseSchema, UpdatePolicyResponseSchema } from "../../../../gen/kms/v1/admin_pb.js";
import type { Command } from "commander";
import { readSmallFile } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { resolvePrincipal } from "./principals.js";

interface DocumentOptions {
  file?: string;
  document?: string;
}

function documentInput(cmd: Command): Command {
  return cmd.option("--file <file>", "the JSON document (- for stdin)").option("--document <json>", "the JSON document, inline");
}

/** The document from --file or --document, checked to be JSON here so a typo fails before the call. */
async function readDocument(cli: Cli, o: DocumentOptions): Promise<string> {
  if ((o.file === undefined) === (o.document === undefined)) throw new UsageError("give the policy with exactly one of --file FILE or --document JSON");
  const text = o.document ?? (await readSmallFile(o.file!, "policy file", cli.io.stdin)).toString("utf8");
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the policy document is not valid JSON: ${(err as Error).message}`);
  }
  return text;
}

export const policies: CommandGroup = (program, cli) => {
  const group = program.command("policies").description("policies: what sub-users may do");

  documentInput(group.command("create").description("store a policy (CreatePolicy)").argument("<name>"))
    .option("--description <text>", "free text")
    .action(
      act<DocumentOptions & { description?: string }>(async ([name], o) => {
        const document = await readDocument(cli, o);
        await cli.print(CreatePolicyResponseSchema, await (await cli.admin()).createPolicy({ name: name!, document, description: o.description ?? "" }));
      }),
    );

  documentInput(group.command("update").description("replace a policy's document; attached principals get it at once (UpdatePolicy)").argument("<name>")).action(
    act<DocumentOptions>(async ([name], o) => {
      const document = await readDocument(cli, o);
      await cli.print(UpdatePolicyResponseSchema, await (await cli.admin()).updatePolicy({ name: name!, document }));
    }),
  );

  group
    .command("list")
    .description("every policy (ListPolicies)")
    .action(act(async () => cli.print(ListPoliciesResponseSchema, await (await cli.admin()).listPolicies({}), { columns: ["name", "description", "attachmentCount", "createTime", "updateTime"] })));

  for (const [verb, what] of [
    ["attach", "AttachPolicy"],
    ["detach", "DetachPolicy"],
  ] as const) {
    group
      .command(verb)
      .description(`${verb} a policy ${verb === "attach" ? "to" : "from"} a sub-user (${what})`)
      .argument("<policy>", "policy name")
      .requiredOption("--principal <principal>", "the sub-user's uin or name")
      .action(
        act<{ principal: string }>(async ([policyName], o) => {
          const principalUin = await resolvePrincipal(cli, o.principal);
          const admin = await cli.admin();
          await (verb === "attach" ? admin.attachPolicy({ principalUin, policyName: policyName! }) : admin.detachPolicy({ principalUin, policyName: policyName! }));
          await cli.printEmpty();
        }),
      );
  }

  group
    .command("delete")
    .description("delete a policy attached to no one (DeletePolicy)")
    .argument("<name>")
    .action(
      act(async ([name]) => {
        await (await cli.admin()).deletePolicy({ name: name! });
        await cli.printEmpty();
      }),
    );
};
