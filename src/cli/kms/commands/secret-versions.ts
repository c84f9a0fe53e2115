/**
 * kms secrets versions: a secret's versions, each with its own state and
 * validity window (GetSecretValue serves a version only while it is Enabled
 * and now is inside [from, to)). Never their values: that is `kms secrets get`.
 */
import { InvalidArgumentError } from "commander";
import {
  DeleteSecretVersionResponseSchema,
  DescribeSecretVersionResponseSchema,
  DisableSecretVersionResponseSchema,
  EnableSecretVersionResponseSchema,
  ListSecretVersionIdsResponseSchema,
  UpdateSecretVersionResponseSchema,
} from "../../../../gen/ssm/v1/ssm_pb.js";
import { timeArg } from "../args.js";
import { act, type SubGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { ssmClient } from "./secret-common.js";

/** A window bound: ISO 8601 or Unix seconds, or "none" (0) to remove it; as Unix seconds. */
function boundArg(value: string): bigint {
  if (value === "none") return 0n;
  try {
    return BigInt(Math.floor(timeArg(value) / 1000));
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}, or none`);
  }
}

export const secretVersions: SubGroup = (secrets, cli) => {
  const group = secrets.command("versions").description("a secret's versions: states and validity windows");

  group
    .command("list")
    .description("every version, oldest first, with its state and window (ListSecretVersionIds)")
    .argument("<name>")
    .action(
      act(async ([secretName]) =>
        cli.print(ListSecretVersionIdsResponseSchema, await (await ssmClient(cli)).listSecretVersionIds({ secretName: secretName! }), { columns: ["VersionId", "CreateTime", "state", "validFrom", "validTo"] }),
      ),
    );

  group
    .command("describe")
    .description("one version's state, window, times and whether it is served now, never its value (DescribeSecretVersion)")
    .argument("<name>")
    .argument("<version>")
    .action(act(async ([secretName, versionId]) => cli.print(DescribeSecretVersionResponseSchema, await (await ssmClient(cli)).describeSecretVersion({ secretName: secretName!, versionId: versionId! }))));

  group
    .command("enable")
    .description("serve the version again (EnableSecretVersion)")
    .argument("<name>")
    .argument("<version>")
    .action(act(async ([secretName, versionId]) => cli.print(EnableSecretVersionResponseSchema, await (await ssmClient(cli)).enableSecretVersion({ secretName: secretName!, versionId: versionId! }))));

  group
    .command("disable")
    .description("stop serving the version (DisableSecretVersion)")
    .argument("<name>")
    .argument("<version>")
    .action(act(async ([secretName, versionId]) => cli.print(DisableSecretVersionResponseSchema, await (await ssmClient(cli)).disableSecretVersion({ secretName: secretName!, versionId: versionId! }))));

  group
    .command("window")
    .description("set the version's validity window; a bound not given keeps its value (UpdateSecretVersion)")
    .argument("<name>")
    .argument("<version>")
    .option("--from <time>", "served from then on (ISO 8601 or Unix seconds; none removes the start)", boundArg)
    .option("--to <time>", "served until then (ISO 8601 or Unix seconds; none removes the end)", boundArg)
    .action(
      act<{ from?: bigint; to?: bigint }>(async ([secretName, versionId], o) => {
        if (o.from === undefined && o.to === undefined) throw new UsageError("give --from, --to or both");
        const res = await (await ssmClient(cli)).updateSecretVersion({
          secretName: secretName!,
          versionId: versionId!,
          ...(o.from !== undefined ? { validFrom: o.from } : {}),
          ...(o.to !== undefined ? { validTo: o.to } : {}),
        });
        await cli.print(UpdateSecretVersionResponseSchema, res);
      }),
    );

  group
    .command("delete")
    .description("delete one version now, whatever its state (DeleteSecretVersion)")
    .argument("<name>")
    .argument("<version>")
    .action(act(async ([secretName, versionId]) => cli.print(DeleteSecretVersionResponseSchema, await (await ssmClient(cli)).deleteSecretVersion({ secretName: secretName!, versionId: versionId! }))));
};
