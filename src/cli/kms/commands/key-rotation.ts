/** kms keys rotation: automatic rotation and rotation on demand (a rotation adds a key version). */
import { GetKeyRotationStatusResponseSchema, RotateKeyResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { intArg } from "../args.js";
import { act, type SubGroup } from "../cli.js";
import { memberAccountOf, withMemberAccount, type MemberOption } from "../member.js";

export const keyRotation: SubGroup = (keys, cli) => {
  const group = keys.command("rotation").description("automatic and on-demand rotation of a CMK");

  withMemberAccount(
    group
      .command("enable")
      .description("rotate the key automatically (EnableKeyRotation)")
      .argument("<key-id>")
      .option("--days <n>", "rotation period, 7 to 365 days (default 365)", intArg(7, 365)),
  ).action(
    act<MemberOption & { days?: number }>(async ([keyId], o) => {
      await (await cli.kms()).enableKeyRotation({ keyId: keyId!, rotateDays: o.days ?? 0, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("disable").description("stop automatic rotation (DisableKeyRotation)").argument("<key-id>")).action(
    act<MemberOption>(async ([keyId], o) => {
      await (await cli.kms()).disableKeyRotation({ keyId: keyId!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("status").description("whether automatic rotation is on (GetKeyRotationStatus)").argument("<key-id>")).action(
    act<MemberOption>(async ([keyId], o) => cli.print(GetKeyRotationStatusResponseSchema, await (await cli.kms()).getKeyRotationStatus({ keyId: keyId!, ...memberAccountOf(o) }))),
  );

  withMemberAccount(group.command("rotate-now").description("rotate now: a new primary version (RotateKey)").argument("<key-id>")).action(
    act<MemberOption>(async ([keyId], o) => cli.print(RotateKeyResponseSchema, await (await cli.kms()).rotateKey({ keyId: keyId!, ...memberAccountOf(o) }))),
  );
};
