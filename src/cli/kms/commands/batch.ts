/**
 * kms batch: many Encrypt, Decrypt, GenerateDataKey or ReEncrypt operations
 * per call (kms.v1.BatchCryptoService), as JSON lines in and JSON lines out.
 *
 * Each non-blank input line is one item: the single call's request in the
 * API's JSON ({"KeyId":"...","Plaintext":"aGVsbG8="}), decoded as strictly as
 * the service decodes Connect JSON (unknown fields and enum values refused;
 * Tencent's enum spellings accepted). Each item gets exactly one output line,
 * in input order: {"ok":{...the single call's answer...}} or
 * {"error":{"code":"API code","message":"..."}}. A line that does not decode
 * is not sent and gets its error line with the code the service would have
 * answered. Items go in calls of up to --batch-size (1,000 at most), so the
 * input can be of any length. Exit 0 when every item succeeded, 1 when any
 * failed (stderr says how many).
 */
import { createInterface } from "node:readline";
import { createReadStream } from "node:fs";
import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  BatchCryptoService,
  BatchDecryptResultSchema,
  BatchEncryptResultSchema,
  BatchGenerateDataKeyResultSchema,
  BatchReEncryptResultSchema,
  type BatchItemError,
} from "../../../../gen/kms/v1/batch_pb.js";
import { DecryptRequestSchema, EncryptRequestSchema, GenerateDataKeyRequestSchema, ReEncryptRequestSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { decodeJson } from "../../../contract/decode.js";
import { KmsError } from "../../../errors.js";
import { intArg } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { CliError, EXIT, UsageError } from "../errors.js";

const MAX_ITEMS = 1000;

type BatchClient = Client<typeof BatchCryptoService>;

/** One operation: its request schema, its result schema, and the batch call. */
interface Operation<Req extends DescMessage, Res extends DescMessage> {
  command: string;
  single: string;
  request: Req;
  result: Res;
  call(client: BatchClient, items: MessageShape<Req>[]): Promise<MessageShape<Res>[]>;
}

const op = <Req extends DescMessage, Res extends DescMessage>(o: Operation<Req, Res>) => o;

const OPERATIONS = [
  op({ command: "encrypt", single: "Encrypt", request: EncryptRequestSchema, result: BatchEncryptResultSchema, call: async (c, items) => (await c.batchEncrypt({ items })).results }),
  op({ command: "decrypt", single: "Decrypt", request: DecryptRequestSchema, result: BatchDecryptResultSchema, call: async (c, items) => (await c.batchDecrypt({ items })).results }),
  op({
    command: "generate-data-key",
    single: "GenerateDataKey",
    request: GenerateDataKeyRequestSchema,
    result: BatchGenerateDataKeyResultSchema,
    call: async (c, items) => (await c.batchGenerateDataKey({ items })).results,
  }),
  op({ command: "re-encrypt", single: "ReEncrypt", request: ReEncryptRequestSchema, result: BatchReEncryptResultSchema, call: async (c, items) => (await c.batchReEncrypt({ items })).results }),
];

/** An input line: decoded, or refused with the code the service would answer. */
type Item<Req extends DescMessage> = { request: MessageShape<Req> } | { error: Pick<BatchItemError, "code" | "message"> };

function decodeLine<Req extends DescMessage>(schema: Req, line: string, lineNo: number): Item<Req> {
  try {
    return { request: decodeJson(schema, Buffer.from(line, "utf8")) };
  } catch (err) {
    if (err instanceof KmsError) return { error: { code: err.code, message: `line ${lineNo}: ${err.message}` } };
    throw err;
  }
}

interface Options {
  in: string;
  batchSize: number;
}

export const batch: CommandGroup = (program, cli) => {
  const group = program.command("batch").description("many symmetric operations per call: JSON lines in, one JSON line per result out");
  for (const operation of OPERATIONS) {
    group
      .command(operation.command)
      .description(`${operation.single} each line's request (Batch${operation.single}); each item authorised and audited on its own`)
      .option("--in <file>", `JSON lines, one ${operation.single} request each in the API's JSON (- for stdin)`, "-")
      .option("--batch-size <n>", `items per call, 1 to ${MAX_ITEMS}`, intArg(1, MAX_ITEMS), MAX_ITEMS)
      .action(act<Options>(async (_a, o) => runBatch(cli, operation as unknown as Operation<DescMessage, DescMessage>, o)));
  }
};

async function runBatch(cli: Cli, operation: Operation<DescMessage, DescMessage>, o: Options): Promise<void> {
  let input: NodeJS.ReadableStream;
  if (o.in === "-") input = cli.io.stdin;
  else {
    const file = createReadStream(o.in);
    await new Promise<void>((resolve, reject) => {
      file.once("open", () => resolve());
      file.once("error", (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot read ${o.in}: ${err.code ?? err.message}`)));
    });
    input = file;
  }
  const client = await cli.client(BatchCryptoService);
  let pending: Item<DescMessage>[] = [];
  let items = 0;
  let failed = 0;

  const flush = async () => {
    const requests = pending.flatMap((item) => ("request" in item ? [item.request] : []));
    const results = requests.length > 0 ? await operation.call(client, requests) : [];
    if (results.length !== requests.length) throw new CliError(`the service answered ${results.length} results for ${requests.length} items`, EXIT.API);
    let next = 0;
    let out = "";
    for (const item of pending) {
      const line = "request" in item ? toJson(operation.result, results[next++]!, { alwaysEmitImplicit: true }) : { error: { code: item.error.code, message: item.error.message } };
      if ("error" in (line as object)) failed++;
      out += `${JSON.stringify(line)}\n`;
    }
    cli.write(out);
    pending = [];
  };

  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === "") continue;
    items++;
    pending.push(decodeLine(operation.request, raw, lineNo));
    if (pending.length === o.batchSize) await flush();
  }
  if (pending.length > 0) await flush();
  if (items === 0) throw new UsageError(`no items: give one ${operation.single} request per line, as JSON`);
  if (failed > 0) throw new CliError(`${failed} of ${items} items failed`, EXIT.API);
}
