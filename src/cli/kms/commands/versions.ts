/** kms versions: the versions of a key (KeyVersionService). The newest Enabled version encrypts. */
import { DescribeKeyVersionResponseSchema, ListKeyVersionsResponseSchema, ScheduleKeyVersionDeletionResponseSchema } from "../../../../gen/kms/v1/versions_pb.js";
import { intArg } from "../args.js";
import { act, type CommandGroup } from "../cli.js";


export const versions: CommandGroup = (program, cli) => {
  const group = program.command("versions").description("list and manage the versions of a key");

  group
    .command("list")
    .description("every version not yet purged, oldest first (ListKeyVersions)")
    .argument("<key-id>")
    .action(act(async ([keyId]) => cli.print(ListKeyVersionsResponseSchema, await (await cli.versions()).listKeyVersions({ keyId: keyId! }))));

  group
    .command("describe")
    .description("one version (DescribeKeyVersion)")
    .argument("<key-id>")
    .argument("<version>", "version number, from 1", intArg(1, 0xffffffff))
    .action(act(async ([keyId, v]) => cli.print(DescribeKeyVersionResponseSchema, await (await cli.versions()).describeKeyVersion({ keyId: keyId!, version: Number(v) }))));

  group
    .command("enable")
    .description("Disabled -> Enabled (EnableKeyVersion)")
    .argument("<key-id>")
    .argument("<version>", "version number", intArg(1, 0xffffffff))
    .action(
      act(async ([keyId, v]) => {
        await (await cli.versions()).enableKeyVersion({ keyId: keyId!, version: Number(v) });
        await cli.printEmpty();
      }),
    );

  group
    .command("disable")
    .description("Enabled -> Disabled; ciphertext under it stops decrypting (DisableKeyVersion)")
    .argument("<key-id>")
    .argument("<version>", "version number", intArg(1, 0xffffffff))
    .action(
      act(async ([keyId, v]) => {
        await (await cli.versions()).disableKeyVersion({ keyId: keyId!, version: Number(v) });
        await cli.printEmpty();
      }),
    );

  group
    .command("schedule-deletion")
    .description("purge a version after a waiting period (ScheduleKeyVersionDeletion)")
    .argument("<key-id>")
    .argument("<version>", "version number", intArg(1, 0xffffffff))
    .option("--days <n>", "days until it is purged, 7 to 30 (default 7)", intArg(7, 30))
    .action(
      act<{ days?: number }>(async ([keyId, v], o) => {
        const res = await (await cli.versions()).scheduleKeyVersionDeletion({ keyId: keyId!, version: Number(v), pendingWindowInDays: o.days ?? 0 });
        await cli.print(ScheduleKeyVersionDeletionResponseSchema, res);
      }),
    );

  group
    .command("cancel-deletion")
    .description("PendingDelete -> Disabled (CancelKeyVersionDeletion)")
    .argument("<key-id>")
    .argument("<version>", "version number", intArg(1, 0xffffffff))
    .action(
      act(async ([keyId, v]) => {
        await (await cli.versions()).cancelKeyVersionDeletion({ keyId: keyId!, version: Number(v) });
        await cli.printEmpty();
      }),
    );
};
