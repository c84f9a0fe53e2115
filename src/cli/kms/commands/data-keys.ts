/** kms generate-data-key: a data key for your own envelope encryption (GenerateDataKey). */
import { DataKeySpecSchema, GenerateDataKeyResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { contextArg, enumArg, intArg } from "../args.js";
import { act, writeBytes, type CommandGroup } from "../cli.js";

interface Options {
  spec?: number;
  bytes?: number;
  context?: string;
  plaintextOut?: string;
  ciphertextOut?: string;
}

export const dataKeys: CommandGroup = (program, cli) => {
  program
    .command("generate-data-key")
    .description("a fresh data key, in plaintext and encrypted under a CMK (GenerateDataKey)")
    .argument("<key-id>", "the ENCRYPT_DECRYPT CMK")
    .option("--spec <spec>", "AES_256 (default) or AES_128", enumArg(DataKeySpecSchema))
    .option("--bytes <n>", "length in bytes, 1 to 1024 (instead of --spec)", intArg(1, 1024))
    .option("--context <json>", "encryption context bound to the encrypted key", contextArg)
    .option("--plaintext-out <file>", "write the plaintext key there (mode 0600) instead of printing it")
    .option("--ciphertext-out <file>", "write the encrypted key there (raw bytes) instead of printing it")
    .action(
      act<Options>(async ([keyId], o) => {
        const res = await (await cli.kms()).generateDataKey({
          keyId: keyId!,
          keySpec: o.bytes === undefined ? (o.spec ?? 2) : 0,
          numberOfBytes: o.bytes ?? 0,
          encryptionContext: o.context ?? "",
        });
        try {
          if (o.plaintextOut) {
            await writeBytes(cli, o.plaintextOut, res.plaintext, true);
            res.plaintext.fill(0);
            res.plaintext = new Uint8Array(0);
          }
          if (o.ciphertextOut) {
            await writeBytes(cli, o.ciphertextOut, res.ciphertextBlob, false);
            res.ciphertextBlob = new Uint8Array(0);
          }
          await cli.print(GenerateDataKeyResponseSchema, res);
        } finally {
          res.plaintext.fill(0);
        }
      }),
    );
};
