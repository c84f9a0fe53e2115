/**
 * kms asymmetric (alias asym): public keys, signatures and decryption with
 * asymmetric CMKs (RSA-2048, SM2, ECC P-256, ECDSA P-384). Inputs are raw
 * files (--in, - for stdin), text (--text) or base64 (--base64); binary
 * answers print as base64, or go raw to --out.
 */
import { AsymmetricRsaDecryptResponseSchema, AsymmetricSm2DecryptResponseSchema, GetPublicKeyResponseSchema, MessageType, SignByAsymmetricKeyResponseSchema, VerifyByAsymmetricKeyResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import type { Command } from "commander";
import { choiceArg, decodeBase64, readBytesInput, readSmallFile, type BytesInput } from "../args.js";
import { act, writeBytes, type Cli, type CommandGroup } from "../cli.js";
import { UsageError, VerificationError } from "../errors.js";

const SIGN_ALGORITHMS = "SM2DSA, ECC_P256_R1, ECC_P384_R1, RSA_PSS_SHA_256 or RSA_PKCS1_SHA_256";
const DECRYPT_ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5", "SM2"] as const;

interface MessageOptions extends BytesInput {
  algorithm: string;
  digest?: boolean;
}

/** --in / --text / --base64 for a message. */
export function messageInput(cmd: Command, what: string): Command {
  return cmd
    .option("--in <file>", `the ${what}, raw bytes (- for stdin)`)
    .option("--text <text>", `the ${what} as UTF-8 text`)
    .option("--base64 <b64>", `the ${what} as base64`);
}

/** --signature FILE / --signature-base64 B for verification. */
export function signatureInput(cmd: Command): Command {
  return cmd.option("--signature <file>", "the signature, raw bytes").option("--signature-base64 <b64>", "the signature as base64");
}

export async function readSignature(cli: Cli, o: { signature?: string; signatureBase64?: string }): Promise<Uint8Array> {
  if ((o.signature === undefined) === (o.signatureBase64 === undefined)) throw new UsageError("give the signature with exactly one of --signature FILE or --signature-base64");
  return o.signature !== undefined ? readSmallFile(o.signature, "signature", cli.io.stdin) : decodeBase64(o.signatureBase64!, "signature");
}

/** Prints a verification answer; a signature that does not verify is exit 4. */
export async function reportVerification(print: () => Promise<void>, res: { signatureValid: boolean }): Promise<void> {
  await print();
  if (!res.signatureValid) throw new VerificationError("the signature does not verify");
}

export const asymmetric: CommandGroup = (program, cli) => {
  const group = program.command("asymmetric").alias("asym").description("public keys, signatures and decryption with asymmetric CMKs");

  group
    .command("public-key")
    .description("the public key (GetPublicKey); --out writes it as PEM")
    .argument("<key-id>")
    .option("--out <file>", "write the PEM there (- for stdout) instead of printing the answer")
    .action(
      act<{ out?: string }>(async ([keyId], o) => {
        const res = await (await cli.kms()).getPublicKey({ keyId: keyId! });
        if (o.out) await writeBytes(cli, o.out, Buffer.from(res.publicKeyPem), false);
        else await cli.print(GetPublicKeyResponseSchema, res);
      }),
    );

  messageInput(group.command("sign").description("sign a message or digest (SignByAsymmetricKey)").argument("<key-id>"), "message")
    .requiredOption("--algorithm <name>", SIGN_ALGORITHMS)
    .option("--digest", "the input is already a digest (MessageType DIGEST), not the message")
    .option("--out <file>", "write the raw signature there instead of printing it")
    .action(
      act<MessageOptions & { out?: string }>(async ([keyId], o) => {
        const message = await readBytesInput(o, "message", cli.io.stdin);
        const res = await (await cli.kms()).signByAsymmetricKey({ keyId: keyId!, algorithm: o.algorithm, message, messageType: o.digest ? MessageType.DIGEST : MessageType.RAW });
        if (o.out) await writeBytes(cli, o.out, res.signature, false);
        else await cli.print(SignByAsymmetricKeyResponseSchema, res);
      }),
    );

  signatureInput(messageInput(group.command("verify").description("verify a signature (VerifyByAsymmetricKey); exit 4 if it does not verify").argument("<key-id>"), "message"))
    .requiredOption("--algorithm <name>", SIGN_ALGORITHMS)
    .option("--digest", "the input is already a digest (MessageType DIGEST)")
    .action(
      act<MessageOptions & { signature?: string; signatureBase64?: string }>(async ([keyId], o) => {
        const message = await readBytesInput(o, "message", cli.io.stdin);
        const signatureValue = await readSignature(cli, o);
        const res = await (await cli.kms()).verifyByAsymmetricKey({ keyId: keyId!, algorithm: o.algorithm, message, signatureValue, messageType: o.digest ? MessageType.DIGEST : MessageType.RAW });
        await reportVerification(() => cli.print(VerifyByAsymmetricKeyResponseSchema, res), res);
      }),
    );

  messageInput(group.command("decrypt").description("decrypt with an RSA or SM2 key (AsymmetricRsaDecrypt, AsymmetricSm2Decrypt)").argument("<key-id>"), "ciphertext")
    .requiredOption("--algorithm <name>", `${DECRYPT_ALGORITHMS.join(", ")} (SM2: C1C3C2 ASN.1)`, choiceArg(DECRYPT_ALGORITHMS))
    .option("--out <file>", "write the raw plaintext there (mode 0600) instead of printing it")
    .action(
      act<MessageOptions & { out?: string }>(async ([keyId], o) => {
        const ciphertext = await readBytesInput(o, "ciphertext", cli.io.stdin);
        const kms = await cli.kms();
        if (o.algorithm === "SM2") {
          const res = await kms.asymmetricSm2Decrypt({ keyId: keyId!, ciphertext });
          if (o.out) await writeBytes(cli, o.out, res.plaintext, true);
          else await cli.print(AsymmetricSm2DecryptResponseSchema, res);
          res.plaintext.fill(0);
        } else {
          const res = await kms.asymmetricRsaDecrypt({ keyId: keyId!, ciphertext, algorithm: o.algorithm });
          if (o.out) await writeBytes(cli, o.out, res.plaintext, true);
          else await cli.print(AsymmetricRsaDecryptResponseSchema, res);
          res.plaintext.fill(0);
        }
      }),
    );
};
