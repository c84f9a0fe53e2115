/**
 * kms encrypt / kms decrypt: envelope encryption of files and streams of any
 * size in the format of file-format.ts (a data key per file from
 * GenerateDataKey, AES-256-GCM in 64 KiB chunks), in constant memory.
 *
 * Decryption outputs nothing unless the whole input authenticates. To a
 * file (-o), the output is renamed into place only at the end. To stdout,
 * the input is authenticated in a first pass and decrypted in a second: a
 * regular file is read twice, a pipe is first copied to an unlinked
 * temporary file (ciphertext only; needs that much space in TMPDIR). With
 * --stream, chunks go to stdout as each authenticates (no temporary file,
 * output starts at once), and a failure stops the stream with exit 4 after
 * an authentic prefix: check the exit status.
 */
import { randomBytes } from "node:crypto";
import { DataKeySpec } from "../../../../gen/kms/v1/kms_pb.js";
import { contextArg } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { UsageError, VerificationError } from "../errors.js";
import { assertDataKey, ByteReader, counted, decryptChunks, drain, encryptChunks, readHeader } from "../file-crypto.js";
import { BOUND_HEADER_LENGTH, boundHeader, DATA_KEY_LENGTH, DEFAULT_CHUNK_SIZE, encodeHeader, fileContext, NONCE_PREFIX_LENGTH, type FileHeader } from "../file-format.js";
import { openInput, openOutput, progressBar, spoolInput, type Output } from "../file-io.js";

interface FileOptions {
  context?: string;
  in: string;
  out: string;
  progress: boolean;
  stream?: boolean;
}

interface EncryptOptions extends FileOptions {
  key: string;
}

export const files: CommandGroup = (program, cli) => {
  program
    .command("encrypt")
    .description("envelope-encrypt a file or stream under a CMK: a fresh data key per file, AES-256-GCM in 64 KiB chunks")
    .requiredOption("--key <key-id>", "the ENCRYPT_DECRYPT CMK that wraps the file's data key")
    .option("--context <json>", "encryption context, a JSON object; decrypting needs the same one", contextArg)
    .option("-i, --in <file>", "plaintext input, - for stdin", "-")
    .option("-o, --out <file>", "ciphertext output, - for stdout (written in place only on success)", "-")
    .option("--no-progress", "no progress bar (shown only when stderr is a terminal and the size is known)")
    .action(act<EncryptOptions>(async (_args, o) => encryptFile(cli, o)));

  program
    .command("decrypt")
    .description("decrypt a file made by kms encrypt; nothing is output unless it authenticates (see README)")
    .option("--context <json>", "the encryption context given to kms encrypt", contextArg)
    .option("-i, --in <file>", "ciphertext input, - for stdin", "-")
    .option("-o, --out <file>", "plaintext output, - for stdout (a file is written mode 0600, in place only on success)", "-")
    .option("--stream", "to stdout: write each chunk as it authenticates (no second pass, no temporary file); a failure then ends the output early, with exit 4")
    .option("--no-progress", "no progress bar (shown only when stderr is a terminal and the size is known)")
    .action(act<FileOptions>(async (_args, o) => decryptFile(cli, o)));
};

/** Writes every chunk, one at a time: memory holds at most one chunk in flight. */
async function writeAll(chunks: AsyncIterable<Buffer>, output: Output): Promise<void> {
  for await (const chunk of chunks) await output.write(chunk);
}

async function encryptFile(cli: Cli, o: EncryptOptions): Promise<void> {
  const toStdout = o.out === "-";
  if (toStdout && cli.io.stdout.isTTY) throw new UsageError("refusing to write ciphertext to a terminal: give -o FILE or redirect stdout");
  const input = await openInput(o.in, cli.io.stdin);
  let output: Output | undefined;
  let key: Uint8Array | undefined;
  try {
    output = await openOutput(o.out, cli.io.stdout, 0o666);
    const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
    const encryptionContext = fileContext(o.context ?? "", boundHeader(DEFAULT_CHUNK_SIZE, noncePrefix));
    const kms = await cli.kms();
    const dataKey = await kms.generateDataKey({ keyId: o.key, keySpec: DataKeySpec.AES_256, encryptionContext });
    key = dataKey.plaintext;
    assertDataKey(key, DATA_KEY_LENGTH);
    const header = encodeHeader(DEFAULT_CHUNK_SIZE, noncePrefix, dataKey.ciphertextBlob);
    const progress = progressBar(cli.io.stderr, input.size, "encrypt", o.progress);
    const k = key;
    try {
      await writeAll(encryptChunks(counted(input.stream(), progress.add), k, header), output);
    } finally {
      progress.stop();
    }
    await output.commit();
  } catch (err) {
    await output?.abort();
    throw err;
  } finally {
    key?.fill(0);
    await input.close();
  }
}

async function decryptFile(cli: Cli, o: FileOptions): Promise<void> {
  const toStdout = o.out === "-";
  const verifyFirst = toStdout && !o.stream;
  const opened = await openInput(o.in, cli.io.stdin);
  const input = verifyFirst && !opened.rereadable ? await spoolInput(opened) : opened;
  const readers: ByteReader[] = [];
  const open = async (label: string): Promise<{ reader: ByteReader; header: FileHeader; progress: ReturnType<typeof progressBar> }> => {
    const progress = progressBar(cli.io.stderr, input.size, label, o.progress);
    const reader = new ByteReader(counted(input.stream(), progress.add));
    readers.push(reader);
    return { reader, header: await readHeader(reader), progress };
  };
  let output: Output | undefined;
  let key: Uint8Array | undefined;
  try {
    // To stdout: authenticate everything, then read it again and write.
    const first = await open(verifyFirst ? "verify " : "decrypt");
    const encryptionContext = fileContext(o.context ?? "", first.header.bytes.subarray(0, BOUND_HEADER_LENGTH));
    output = await openOutput(o.out, cli.io.stdout, 0o600);
    const kms = await cli.kms();
    key = (await kms.decrypt({ ciphertextBlob: first.header.wrappedKey, encryptionContext })).plaintext;
    assertDataKey(key, DATA_KEY_LENGTH);
    const k = key;
    let pass = first;
    if (verifyFirst) {
      try {
        await drain(decryptChunks(first.reader, k, first.header));
      } finally {
        first.progress.stop();
      }
      pass = await open("decrypt");
      if (!pass.header.bytes.equals(first.header.bytes)) throw new VerificationError(`${input.label} changed while it was read`);
    }
    try {
      await writeAll(decryptChunks(pass.reader, k, pass.header), output);
    } finally {
      pass.progress.stop();
    }
    await output.commit();
  } catch (err) {
    await output?.abort();
    throw err;
  } finally {
    key?.fill(0);
    for (const r of readers) await r.close();
    await input.close();
  }
}
