/**
 * kms whitebox: white-box keys (kms.v1.WhiteBoxKeyService). The service
 * holds the key and encrypts (AES-256-CBC or SM4-CBC); a device decrypts
 * with the DecryptKey tables alone. `kms whitebox decrypt` is that device:
 * it runs the device client (client/whitebox/) here, with no call to the
 * service, so the whole flow can be tried from the command line.
 *
 * Table files are large (an AES-256 pair is 1.5 MB) and are a key's
 * capability, so they are never printed: `create`, `decrypt-key` and
 * `encrypt-key` write them to files (mode 0600), raw (the format of
 * src/crypto/whitebox/format.ts) or, with --base64, as the API's base64 text;
 * answers that carry them are printed with the table fields emptied.
 */
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  CreateWhiteBoxKeyResponseSchema,
  DescribeWhiteBoxDeviceFingerprintsResponseSchema,
  DescribeWhiteBoxKeyDetailsResponseSchema,
  DescribeWhiteBoxKeyResponseSchema,
  DescribeWhiteBoxServiceStatusResponseSchema,
  DeviceFingerprintSchema,
  EncryptByWhiteBoxResponseSchema,
  WhiteBoxAlgorithmSchema,
  WhiteBoxKeyService,
  type DeviceFingerprint,
  type WhiteboxKeyInfo,
} from "../../../../gen/kms/v1/whitebox_pb.js";
import { decryptCbc, openTables, PaddingError, TableFileError } from "../../../../client/whitebox/index.mjs";
import { choiceArg, decodeBase64, enumArg, intArg, readBytesInput, readSmallFile, tagArg, tagFilterArg, type BytesInput, type TagFilterValue } from "../args.js";
import { act, writeBytes, type Cli, type CommandGroup } from "../cli.js";
import { UsageError, VerificationError } from "../errors.js";
import type { TableView } from "../output.js";
import { messageInput } from "./asymmetric.js";

type WhiteBoxClient = Client<typeof WhiteBoxKeyService>;

const whiteBox = (cli: Cli): Promise<WhiteBoxClient> => cli.client(WhiteBoxKeyService);

const KEY_COLUMNS: TableView = { columns: ["KeyId", "Alias", "Algorithm", "Status", "CreateTime", "DeviceFingerprintBind", "Description"] };
/** DescribeWhiteBoxKeyDetails answers at most 2 keys a page (each carries its tables). */
const MAX_PAGE = 2;
/** DescribeWhiteBoxKeyDetails' KeyStatus filter: 0 Disabled, 1 Enabled. */
const STATUS_FILTER = { Enabled: 1, Disabled: 0 } as const;
type StatusName = keyof typeof STATUS_FILTER;
const TABLE_MAGIC = Buffer.from("TCWB", "latin1");

/** A key's answer without its tables: they are only ever written to files. */
function withoutTables(info: WhiteboxKeyInfo | undefined): void {
  if (!info) return;
  info.encryptKey = new Uint8Array(0);
  info.decryptKey = new Uint8Array(0);
}

/** Writes a table file raw, or as the API's base64 text. */
async function writeTables(cli: Cli, path: string, tables: Uint8Array, base64: boolean): Promise<void> {
  await writeBytes(cli, path, base64 ? Buffer.from(`${Buffer.from(tables).toString("base64")}\n`) : tables, true);
}

/** A table file as the device client takes it: raw bytes (they start with TCWB), else base64 text. */
function tablesInput(file: Buffer): Uint8Array | string {
  return file.subarray(0, TABLE_MAGIC.length).equals(TABLE_MAGIC) ? new Uint8Array(file) : file.toString("latin1");
}

interface Ciphertext {
  iv: Uint8Array;
  cipherText: Uint8Array;
}

/**
 * The ciphertext to decrypt: the JSON `kms whitebox encrypt` prints (and
 * EncryptByWhiteBox answers) with its IV, or base64 CipherText alone (then
 * --iv gives the IV). An --iv that contradicts the JSON is refused.
 */
export function parseCiphertext(text: string, ivOption: string | undefined): Ciphertext {
  const trimmed = text.trim();
  const iv = ivOption !== undefined ? decodeBase64(ivOption, "--iv") : undefined;
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new UsageError(`the input is not valid JSON: ${(err as Error).message}`);
    }
    const obj = parsed as Record<string, unknown>;
    if (typeof obj.CipherText !== "string" || typeof obj.InitializationVector !== "string")
      throw new UsageError("the JSON input needs CipherText and InitializationVector (base64), as kms whitebox encrypt prints them");
    const fromJsonIv = decodeBase64(obj.InitializationVector, "InitializationVector");
    if (iv !== undefined && !iv.equals(fromJsonIv)) throw new UsageError("--iv differs from the input's InitializationVector");
    return { iv: fromJsonIv, cipherText: decodeBase64(obj.CipherText, "CipherText") };
  }
  if (iv === undefined) throw new UsageError("give --iv: the input is base64 CipherText without its InitializationVector");
  return { iv, cipherText: decodeBase64(trimmed.replace(/\s+/g, ""), "the ciphertext") };
}

interface CreateOptions {
  alias: string;
  algorithm: number;
  description?: string;
  tag?: [string, string][];
  encryptKeyOut?: string;
  decryptKeyOut?: string;
  base64?: boolean;
}

interface ListOptions {
  status?: StatusName;
  tagFilter?: TagFilterValue[];
  offset?: number;
  limit?: number;
  all?: boolean;
}

interface DecryptOptions {
  tables: string;
  in: string;
  iv?: string;
  out?: string;
  fingerprint?: string;
}

export const whitebox: CommandGroup = (program, cli) => {
  const group = program.command("whitebox").description("white-box keys: the service encrypts, a device decrypts with tables alone");

  group
    .command("create")
    .description("create a white-box key and its tables (CreateWhiteBoxKey); the tables go only to the files you name")
    .requiredOption("--alias <alias>", "unique among the account's white-box keys: 1 to 60 letters, digits, - and _")
    .requiredOption("--algorithm <name>", "AES_256 or SM4", enumArg(WhiteBoxAlgorithmSchema))
    .option("--description <text>", "description, at most 1024 bytes")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .option("--decrypt-key-out <file>", "write the DecryptKey tables (what a device needs) there, mode 0600")
    .option("--encrypt-key-out <file>", "write the EncryptKey tables there, mode 0600")
    .option("--base64", "write the tables as base64 text, as the API carries them (default: raw table files)")
    .action(
      act<CreateOptions>(async (_a, o) => {
        const res = await (await whiteBox(cli)).createWhiteBoxKey({
          alias: o.alias,
          algorithm: o.algorithm,
          description: o.description ?? "",
          tags: (o.tag ?? []).map(([tagKey, tagValue]) => ({ tagKey, tagValue })),
        });
        if (o.decryptKeyOut) await writeTables(cli, o.decryptKeyOut, res.decryptKey, o.base64 === true);
        if (o.encryptKeyOut) await writeTables(cli, o.encryptKeyOut, res.encryptKey, o.base64 === true);
        res.encryptKey = new Uint8Array(0);
        res.decryptKey = new Uint8Array(0);
        await cli.print(CreateWhiteBoxKeyResponseSchema, res);
      }),
    );

  group
    .command("list")
    .description("white-box keys, oldest first, without their tables (DescribeWhiteBoxKeyDetails; 2 a page)")
    .option("--status <status>", "Enabled or Disabled", choiceArg(Object.keys(STATUS_FILTER) as StatusName[]))
    .option("--tag-filter <key=v1,v2>", "only keys with this tag (and one of the values); repeatable", tagFilterArg)
    .option("--offset <n>", "skip this many matches", intArg(0, 0xffffffff))
    .option("--limit <n>", `at most this many, 1 to ${MAX_PAGE} (default ${MAX_PAGE})`, intArg(1, MAX_PAGE))
    .option("--all", `every match, fetched ${MAX_PAGE} at a time`)
    .action(act<ListOptions>(async (_a, o) => listKeys(cli, o)));

  group
    .command("describe")
    .description("one key, without its tables (DescribeWhiteBoxKey)")
    .argument("<key-id>")
    .action(
      act(async ([keyId]) => {
        const res = await (await whiteBox(cli)).describeWhiteBoxKey({ keyId: keyId! });
        withoutTables(res.keyInfo);
        await cli.print(DescribeWhiteBoxKeyResponseSchema, res);
      }),
    );

  group
    .command("enable")
    .description("enable keys (EnableWhiteBoxKey; several ids: EnableWhiteBoxKeys, all or nothing)")
    .argument("<key-id...>")
    .action(
      act(async ([...ids]) => {
        const wb = await whiteBox(cli);
        await (ids.length === 1 ? wb.enableWhiteBoxKey({ keyId: ids[0]! }) : wb.enableWhiteBoxKeys({ keyIds: ids }));
        await cli.printEmpty();
      }),
    );

  group
    .command("disable")
    .description("disable keys: they no longer encrypt (DisableWhiteBoxKey; several ids: DisableWhiteBoxKeys, all or nothing)")
    .argument("<key-id...>")
    .action(
      act(async ([...ids]) => {
        const wb = await whiteBox(cli);
        await (ids.length === 1 ? wb.disableWhiteBoxKey({ keyId: ids[0]! }) : wb.disableWhiteBoxKeys({ keyIds: ids }));
        await cli.printEmpty();
      }),
    );

  group
    .command("delete")
    .description("delete a Disabled key with its tables and devices, at once and for good (DeleteWhiteBoxKey)")
    .argument("<key-id>")
    .action(
      act(async ([keyId]) => {
        await (await whiteBox(cli)).deleteWhiteBoxKey({ keyId: keyId! });
        await cli.printEmpty();
      }),
    );

  group
    .command("decrypt-key")
    .description("write the DecryptKey tables to a file (DescribeWhiteBoxDecryptKey); bound to the key's devices if it has any")
    .argument("<key-id>")
    .requiredOption("--out <file>", "the table file (mode 0600)")
    .option("--base64", "write base64 text, as the API carries it (default: the raw table file)")
    .action(
      act<{ out: string; base64?: boolean }>(async ([keyId], o) => {
        const res = await (await whiteBox(cli)).describeWhiteBoxDecryptKey({ keyId: keyId! });
        await writeTables(cli, o.out, res.decryptKey, o.base64 === true);
      }),
    );

  group
    .command("encrypt-key")
    .description("write the EncryptKey tables to a file (DescribeWhiteBoxKey)")
    .argument("<key-id>")
    .requiredOption("--out <file>", "the table file (mode 0600)")
    .option("--base64", "write base64 text, as the API carries it (default: the raw table file)")
    .action(
      act<{ out: string; base64?: boolean }>(async ([keyId], o) => {
        const res = await (await whiteBox(cli)).describeWhiteBoxKey({ keyId: keyId! });
        await writeTables(cli, o.out, res.keyInfo?.encryptKey ?? new Uint8Array(0), o.base64 === true);
      }),
    );

  const fingerprints = group.command("fingerprints").description("the devices a key's DecryptKey tables are bound to");

  fingerprints
    .command("get")
    .description("the key's device fingerprints (DescribeWhiteBoxDeviceFingerprints)")
    .argument("<key-id>")
    .action(act(async ([keyId]) => cli.print(DescribeWhiteBoxDeviceFingerprintsResponseSchema, await (await whiteBox(cli)).describeWhiteBoxDeviceFingerprints({ keyId: keyId! }))));

  fingerprints
    .command("overwrite")
    .description("replace the key's device list; [] removes every device (OverwriteWhiteBoxDeviceFingerprints)")
    .argument("<key-id>")
    .requiredOption("--file <file>", 'JSON array of devices, e.g. [{"Identity":"0123abcd-...","Description":"kiosk 1"}] (- for stdin)')
    .action(
      act<{ file: string }>(async ([keyId], o) => {
        const deviceFingerprints = await readFingerprints(cli, o.file);
        await (await whiteBox(cli)).overwriteWhiteBoxDeviceFingerprints({ keyId: keyId!, deviceFingerprints });
        await cli.printEmpty();
      }),
    );

  messageInput(group.command("encrypt").description("encrypt 1 to 4096 bytes (EncryptByWhiteBox): prints InitializationVector and CipherText").argument("<key-id>"), "plaintext")
    .option("--iv <base64>", "a 16-byte IV (default: a random one, returned)")
    .action(
      act<BytesInput & { iv?: string }>(async ([keyId], o) => {
        const plainText = await readBytesInput(o, "plaintext", cli.io.stdin);
        const initializationVector = o.iv !== undefined ? decodeBase64(o.iv, "--iv") : new Uint8Array(0);
        const res = await (await whiteBox(cli)).encryptByWhiteBox({ keyId: keyId!, plainText, initializationVector });
        plainText.fill(0);
        await cli.print(EncryptByWhiteBoxResponseSchema, res);
      }),
    );

  group
    .command("decrypt")
    .description("decrypt here, as a device does, with the DecryptKey tables alone (no call to the service); exit 4 if it does not decrypt")
    .requiredOption("--tables <file>", "the DecryptKey table file, raw or base64")
    .option("--in <file>", "the JSON kms whitebox encrypt prints, or base64 CipherText (- for stdin)", "-")
    .option("--iv <base64>", "the InitializationVector, when --in is base64 CipherText alone")
    .option("--fingerprint <id>", "this device's fingerprint, for tables bound to devices (env WHITEBOX_FINGERPRINT)")
    .option("--out <file>", "write the plaintext there (mode 0600) instead of stdout")
    .action(act<DecryptOptions>(async (_a, o) => decryptLocally(cli, o)));

  group
    .command("status")
    .description("whether white-box keys are offered (DescribeWhiteBoxServiceStatus)")
    .action(act(async () => cli.print(DescribeWhiteBoxServiceStatusResponseSchema, await (await whiteBox(cli)).describeWhiteBoxServiceStatus({}))));
};

async function readFingerprints(cli: Cli, path: string): Promise<DeviceFingerprint[]> {
  const text = (await readSmallFile(path, "fingerprints file", cli.io.stdin)).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the fingerprints file is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UsageError('the fingerprints file must hold a JSON array such as [{"Identity":"...","Description":"..."}] ([] removes every device)');
  return parsed.map((entry, i) => {
    try {
      return fromJson(DeviceFingerprintSchema, entry as JsonValue);
    } catch (err) {
      throw new UsageError(`fingerprints file, entry ${i}: ${(err as Error).message}`);
    }
  });
}

async function listKeys(cli: Cli, o: ListOptions): Promise<void> {
  const wb = await whiteBox(cli);
  const base = { tagFilters: o.tagFilter ?? [], ...(o.status !== undefined ? { keyStatus: STATUS_FILTER[o.status] } : {}) };
  if (!o.all) {
    const res = await wb.describeWhiteBoxKeyDetails({ ...base, offset: o.offset ?? 0, limit: o.limit ?? 0 });
    res.keyInfos.forEach(withoutTables);
    await cli.print(DescribeWhiteBoxKeyDetailsResponseSchema, res, KEY_COLUMNS);
    return;
  }
  const found: WhiteboxKeyInfo[] = [];
  let offset = o.offset ?? 0;
  let total = 0;
  for (;;) {
    const page = await wb.describeWhiteBoxKeyDetails({ ...base, offset, limit: MAX_PAGE });
    total = page.totalCount;
    page.keyInfos.forEach(withoutTables);
    found.push(...page.keyInfos);
    offset += page.keyInfos.length;
    if (page.keyInfos.length === 0 || offset >= total) break;
  }
  await cli.print(DescribeWhiteBoxKeyDetailsResponseSchema, create(DescribeWhiteBoxKeyDetailsResponseSchema, { totalCount: total, keyInfos: found }), KEY_COLUMNS);
}

async function decryptLocally(cli: Cli, o: DecryptOptions): Promise<void> {
  if (o.in === "-" && o.tables === "-") throw new UsageError("--tables and --in cannot both be stdin");
  const tableFile = await readSmallFile(o.tables, "tables", cli.io.stdin);
  const input = await readSmallFile(o.in, "ciphertext", cli.io.stdin);
  const { iv, cipherText } = parseCiphertext(input.toString("utf8"), o.iv);
  const fingerprint = o.fingerprint ?? (cli.io.env.WHITEBOX_FINGERPRINT || undefined);
  let plaintext: Uint8Array;
  try {
    const tables = openTables(tablesInput(tableFile), fingerprint === undefined ? {} : { fingerprint });
    plaintext = decryptCbc(tables, iv, cipherText);
  } catch (err) {
    if (err instanceof PaddingError) throw new VerificationError(err.message);
    if (err instanceof TableFileError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  try {
    await writeBytes(cli, o.out ?? "-", plaintext, true);
  } finally {
    plaintext.fill(0);
  }
}
