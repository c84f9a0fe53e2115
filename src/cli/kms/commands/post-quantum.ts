/**
 * kms pq (alias post-quantum): ML-KEM-768 encryption (with AES-256-GCM) and
 * ML-DSA-65 signatures (PostQuantumCrypto{Encrypt,Decrypt,Sign,Verify}).
 */
import { PostQuantumCryptoDecryptResponseSchema, PostQuantumCryptoEncryptResponseSchema, PostQuantumCryptoSignResponseSchema, PostQuantumCryptoVerifyResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { readBytesInput, type BytesInput } from "../args.js";
import { act, writeBytes, type CommandGroup } from "../cli.js";
import { messageInput, readSignature, reportVerification, signatureInput } from "./asymmetric.js";

interface OutOptions extends BytesInput {
  out?: string;
}

export const postQuantum: CommandGroup = (program, cli) => {
  const group = program.command("pq").alias("post-quantum").description("post-quantum encryption (ML-KEM-768) and signatures (ML-DSA-65)");

  messageInput(group.command("encrypt").description("encrypt up to 4096 bytes (PostQuantumCryptoEncrypt)").argument("<key-id>", "an ASYMMETRIC_DECRYPT_ML_KEM_768 key"), "plaintext")
    .option("--out <file>", "write the raw ciphertext blob there instead of printing it")
    .action(
      act<OutOptions>(async ([keyId], o) => {
        const plainText = await readBytesInput(o, "plaintext", cli.io.stdin);
        const res = await (await cli.kms()).postQuantumCryptoEncrypt({ keyId: keyId!, plainText });
        if (o.out) await writeBytes(cli, o.out, res.ciphertextBlob, false);
        else await cli.print(PostQuantumCryptoEncryptResponseSchema, res);
      }),
    );

  messageInput(group.command("decrypt").description("decrypt a blob of 'kms pq encrypt'; the blob names its key (PostQuantumCryptoDecrypt)"), "ciphertext blob")
    .option("--out <file>", "write the raw plaintext there (mode 0600) instead of printing it")
    .action(
      act<OutOptions>(async (_a, o) => {
        const ciphertextBlob = await readBytesInput(o, "ciphertext blob", cli.io.stdin);
        const res = await (await cli.kms()).postQuantumCryptoDecrypt({ ciphertextBlob });
        if (o.out) await writeBytes(cli, o.out, res.plainText, true);
        else await cli.print(PostQuantumCryptoDecryptResponseSchema, res);
        res.plainText.fill(0);
      }),
    );

  messageInput(group.command("sign").description("sign a message (PostQuantumCryptoSign)").argument("<key-id>", "an ASYMMETRIC_SIGN_VERIFY_ML_DSA_65 key"), "message")
    .option("--out <file>", "write the raw signature there instead of printing it")
    .action(
      act<OutOptions>(async ([keyId], o) => {
        const message = await readBytesInput(o, "message", cli.io.stdin);
        const res = await (await cli.kms()).postQuantumCryptoSign({ keyId: keyId!, message });
        if (o.out) await writeBytes(cli, o.out, res.signature, false);
        else await cli.print(PostQuantumCryptoSignResponseSchema, res);
      }),
    );

  signatureInput(messageInput(group.command("verify").description("verify a signature (PostQuantumCryptoVerify); exit 4 if it does not verify").argument("<key-id>"), "message")).action(
    act<BytesInput & { signature?: string; signatureBase64?: string }>(async ([keyId], o) => {
      const message = await readBytesInput(o, "message", cli.io.stdin);
      const signatureValue = await readSignature(cli, o);
      const res = await (await cli.kms()).postQuantumCryptoVerify({ keyId: keyId!, message, signatureValue });
      await reportVerification(() => cli.print(PostQuantumCryptoVerifyResponseSchema, res), res);
    }),
  );
};
