/**
 * kms unseal: open a server whose root of trust is Shamir shares
 * (KMS_SEAL=shamir; kms.v1.UnsealService). These calls carry no token: the
 * shares authenticate. A share is never a command-line argument (ps and
 * shell history would show it): `submit` asks for it at a prompt that does
 * not echo, or reads shares from stdin, one per line.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { GetSealStatusResponseSchema, InitializeSealResponseSchema, SubmitUnsealShareResponseSchema, UnsealService, type SealStatus, type SubmitUnsealShareResponse } from "../../../../gen/kms/v1/unseal_pb.js";
import { intArg } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { canPrompt, promptHidden, readAllLines } from "../prompt.js";

export type UnsealClient = Client<typeof UnsealService>;

export const unsealClient = (cli: Cli): Promise<UnsealClient> => cli.client(UnsealService, { anonymous: true });

/** The seal in words: "sealed: 1 of 3 shares received". */
export function describeSeal(s: SealStatus | undefined): string {
  if (!s) return "no status";
  if (!s.sealed) return `unsealed (${s.sealType})`;
  if (!s.initialized) return "sealed, not initialised: run kms unseal init";
  return `sealed: ${s.progress} of ${s.threshold} shares received`;
}

/** Shares to submit: one at a prompt on a terminal, else every non-blank line of stdin. */
async function sharesToSubmit(cli: Cli): Promise<string[]> {
  if (canPrompt(cli.io)) {
    const share = (await promptHidden(cli.io, "unseal share: ")).trim();
    if (share === "") throw new UsageError("empty share");
    return [share];
  }
  const shares = await readAllLines(cli.io);
  if (shares.length === 0) throw new UsageError("no share on stdin: pipe one per line, or run on a terminal to be asked");
  return shares;
}

/** New shares: as JSON with the answer, or for a table one per line (as the holders copy them). */
export async function printShares<D extends DescMessage>(cli: Cli, schema: D, res: MessageShape<D> & { shares: string[] }, status: SealStatus | undefined): Promise<void> {
  if (cli.field !== undefined || (await cli.format()) === "json") return cli.print(schema, res);
  cli.write(res.shares.map((s) => `${s}\n`).join(""));
  if (status) cli.write(`# ${describeSeal(status)}\n`);
}

export const unseal: CommandGroup = (program, cli) => {
  const group = program.command("unseal").description("open a server sealed under Shamir shares (no token: the shares authenticate)");

  group
    .command("status")
    .description("sealed or not, and how many shares have arrived (GetSealStatus)")
    .action(act(async () => cli.print(GetSealStatusResponseSchema, await (await unsealClient(cli)).getSealStatus({}))));

  group
    .command("init")
    .description("split a new root key into shares, once, right after the first start (InitializeSeal); prints the shares, once")
    .requiredOption("--shares <n>", "how many shares, 2 to 255", intArg(2, 255))
    .requiredOption("--threshold <k>", "how many of them unseal, 2 to --shares", intArg(2, 255))
    .action(
      act<{ shares: number; threshold: number }>(async (_a, o) => {
        if (o.threshold > o.shares) throw new UsageError("--threshold cannot exceed --shares");
        const res = await (await unsealClient(cli)).initializeSeal({ shares: o.shares, threshold: o.threshold });
        await printShares(cli, InitializeSealResponseSchema, res, res.status);
        cli.note(`${res.shares.length} shares, any ${o.threshold} of which unseal, shown once: give one to each holder, keep none together`);
      }),
    );

  group
    .command("submit")
    .description("submit shares (SubmitUnsealShare): one at a prompt that does not echo, or every line of stdin")
    .action(
      act(async () => {
        const shares = await sharesToSubmit(cli);
        const client = await unsealClient(cli);
        let last: SubmitUnsealShareResponse | undefined;
        for (const share of shares) {
          last = await client.submitUnsealShare({ share });
          if (!last.status?.sealed) break;
        }
        await cli.print(SubmitUnsealShareResponseSchema, last!);
      }),
    );

  group
    .command("reset")
    .description("forget the shares submitted so far (SubmitUnsealShare with reset)")
    .action(act(async () => cli.print(SubmitUnsealShareResponseSchema, await (await unsealClient(cli)).submitUnsealShare({ reset: true }))));
};
