/** kms random: random bytes from the service's CSPRNG (GenerateRandom). */
import { GenerateRandomResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { intArg } from "../args.js";
import { act, writeBytes, type CommandGroup } from "../cli.js";

export const random: CommandGroup = (program, cli) => {
  program
    .command("random")
    .description("random bytes (GenerateRandom): printed as base64, or raw to --out")
    .option("--bytes <n>", "how many, 1 to 1024 (default 32)", intArg(1, 1024))
    .option("--out <file>", "write the raw bytes there (- for stdout) instead of printing them")
    .action(
      act<{ bytes?: number; out?: string }>(async (_a, o) => {
        const res = await (await cli.kms()).generateRandom({ numberOfBytes: o.bytes ?? 32 });
        if (o.out) await writeBytes(cli, o.out, res.plaintext, true);
        else await cli.print(GenerateRandomResponseSchema, res);
      }),
    );
};
