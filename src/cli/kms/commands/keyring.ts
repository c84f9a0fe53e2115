/**
 * kms keyring: the keyring that seals every record, and its root of trust
 * (kms.v1.TrustService; the account root only). Rotating the root of a
 * Shamir-sealed server needs the current quorum of shares: they are asked
 * for at a prompt that does not echo, or read from stdin one per line, never
 * taken as arguments; the new shares are printed once.
 */
import { GetKeyringStatusResponseSchema, RotateKeyringResponseSchema, RotateRootOfTrustResponseSchema, TrustService } from "../../../../gen/kms/v1/trust_pb.js";
import { intArg } from "../args.js";
import { act, type CommandGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { readSecrets } from "../prompt.js";
import { printShares, unsealClient } from "./unseal.js";

export const keyring: CommandGroup = (program, cli) => {
  const group = program.command("keyring").description("the keyring that seals every record, and its root of trust (root only)");

  group
    .command("status")
    .description("the root, the keyring's versions and a running rotation (GetKeyringStatus)")
    .action(act(async () => cli.print(GetKeyringStatusResponseSchema, await (await cli.client(TrustService)).getKeyringStatus({}), { columns: ["version", "createTime"] })));

  group
    .command("rotate")
    .description("a new keyring version seals everything new now; stored records are rewrapped in the background (RotateKeyring)")
    .action(act(async () => cli.print(RotateKeyringResponseSchema, await (await cli.client(TrustService)).rotateKeyring({}))));

  group
    .command("rotate-root")
    .description("wrap the keyring under a new root (RotateRootOfTrust): a new HSM key, or new Shamir shares from the current quorum")
    .option("--shares <n>", "Shamir: shares of the new split, 2 to 255", intArg(2, 255))
    .option("--threshold <k>", "Shamir: shares the new split needs, 2 to --shares", intArg(2, 255))
    .action(
      act<{ shares?: number; threshold?: number }>(async (_a, o) => {
        const { status } = await (await unsealClient(cli)).getSealStatus({});
        const shamir = status?.sealType === "shamir";
        if (!shamir && (o.shares !== undefined || o.threshold !== undefined)) throw new UsageError(`--shares and --threshold apply to a Shamir seal; this server's is ${status?.sealType || "unknown"}`);
        if (shamir && (o.shares === undefined || o.threshold === undefined)) throw new UsageError("a Shamir seal needs --shares and --threshold for the new split");
        if (shamir && o.threshold! > o.shares!) throw new UsageError("--threshold cannot exceed --shares");
        const currentShares = shamir ? await readSecrets(cli.io, status!.threshold, "current share") : [];
        const res = await (await cli.client(TrustService)).rotateRootOfTrust({ currentShares, shares: o.shares ?? 0, threshold: o.threshold ?? 0 });
        await printShares(cli, RotateRootOfTrustResponseSchema, res, undefined);
        if (res.shares.length > 0) cli.note(`${res.shares.length} new shares, shown once; the old ones no longer unseal`);
      }),
    );
};
