/**
 * kms datakeys: hosted data keys (DataKeyService, and GenerateDataKey with
 * IsHostedByKms 1). Only `plaintext` prints a data key, as raw bytes to
 * stdout or to --out FILE (mode 0600), like `kms secrets get`; `generate`
 * writes the plaintext GenerateDataKey answers only to --plaintext-out FILE
 * (mode 0600) and prints the rest without it; `import` reads a plaintext
 * from a file or stdin, never from an argument. --member-account acts on a
 * member account's data key (the organisation's), --member-accounts lists
 * several accounts'.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  CancelDataKeyDeletionResponseSchema,
  DataKeyService,
  DataKeyStateSchema,
  DescribeDataKeyResponseSchema,
  DescribeDataKeysResponseSchema,
  GetDataKeyCiphertextBlobResponseSchema,
  GetDataKeyPlaintextResponseSchema,
  ImportDataKeyResponseSchema,
  ListDataKeyDetailResponseSchema,
  ListDataKeysResponseSchema,
  ScheduleDataKeyDeletionResponseSchema,
  type DataKey,
  type DataKeyMetadata,
  type ListDataKeyDetailRequestSchema,
} from "../../../../gen/kms/v1/datakeys_pb.js";
import { DataKeySpecSchema, GenerateDataKeyResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { choiceArg, contextArg, decodeBase64, enumArg, intArg, readSmallFile, tagArg, tagFilterArg, type TagFilterValue } from "../args.js";
import { act, writeBytes, type Cli, type CommandGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { memberAccountOf, memberAccountsOf, withMemberAccount, withMemberAccounts, type MemberListOption, type MemberOption } from "../member.js";
import type { TableView } from "../output.js";
import { tagsOf } from "./secret-common.js";

type DataKeyClient = Client<typeof DataKeyService>;

const dataKeyClient = (cli: Cli): Promise<DataKeyClient> => cli.client(DataKeyService);

const COLUMNS: TableView = { columns: ["DataKeyId", "DataKeyName", "KeyState", "KeyId", "NumberOfBytes", "Origin", "CreateTime", "Description"] };
/** With --member-accounts: whose each data key is. */
const MEMBER_COLUMNS: TableView = { columns: ["DataKeyId", "DataKeyName", "KeyState", "KeyId", "NumberOfBytes", "Origin", "CreateTime", "AccountUin"] };
/** The listings' largest page. */
const MAX_PAGE = 200;
/** The asymmetric algorithms GetDataKeyPlaintext encrypts the plaintext with (the default: SM2). */
const PLAINTEXT_ALGORITHMS = ["SM2", "SM2_C1C3C2_ASN1", "RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] as const;

interface GenerateOptions {
  name: string;
  description?: string;
  tag?: [string, string][];
  spec?: number;
  bytes?: number;
  context?: string;
  hsmCluster?: string;
  plaintextOut?: string;
  ciphertextOut?: string;
}

interface ImportOptions {
  name: string;
  keyId?: string;
  description?: string;
  tag?: [string, string][];
  hsmCluster?: string;
  plaintextFile?: string;
  ciphertextFile?: string;
  ciphertextBase64?: string;
}

interface ListOptions extends MemberListOption {
  state?: number;
  origin?: string;
  keyId?: string;
  length?: number;
  search?: string;
  tagFilter?: TagFilterValue[];
  hsmCluster?: string;
  role?: number;
  oldestFirst?: boolean;
  offset?: number;
  limit?: number;
  all?: boolean;
}

/** ImportType 2 (the data key itself, from a file or stdin) or 1 (a GenerateDataKey ciphertext, raw from a file or as base64). */
async function importMaterial(cli: Cli, o: ImportOptions): Promise<{ importType: 1 | 2; importKeyMaterial: Uint8Array }> {
  const given = [o.plaintextFile, o.ciphertextFile, o.ciphertextBase64].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError("give the material with exactly one of --plaintext-file FILE, --ciphertext-file FILE or --ciphertext-base64 B64");
  if (o.plaintextFile !== undefined) return { importType: 2, importKeyMaterial: await readSmallFile(o.plaintextFile, "data key", cli.io.stdin) };
  if (o.ciphertextFile !== undefined) return { importType: 1, importKeyMaterial: await readSmallFile(o.ciphertextFile, "ciphertext", cli.io.stdin) };
  return { importType: 1, importKeyMaterial: decodeBase64(o.ciphertextBase64!, "--ciphertext-base64") };
}

/** Pages through a listing until it has every match from `offset` on. */
async function everyPage<T>(offset: number, page: (offset: number) => Promise<{ items: T[]; total: number }>): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  let total = 0;
  for (let at = offset; ; ) {
    const r = await page(at);
    total = r.total;
    items.push(...r.items);
    at += r.items.length;
    if (r.items.length === 0 || at >= total) break;
  }
  return { items, total };
}

async function listDetail(cli: Cli, o: ListOptions): Promise<void> {
  const client = await dataKeyClient(cli);
  const base: MessageInitShape<typeof ListDataKeyDetailRequestSchema> = {
    keyState: o.state ?? 0,
    origin: o.origin ?? "",
    keyId: o.keyId ?? "",
    dataKeyLen: o.length ?? 0,
    searchKeyAlias: o.search ?? "",
    tagFilters: o.tagFilter ?? [],
    hsmClusterId: o.hsmCluster ?? "",
    role: o.role ?? 0,
    orderType: o.oldestFirst ? 1 : 0,
    ...memberAccountsOf(o),
  };
  const columns = o.memberAccounts ? MEMBER_COLUMNS : COLUMNS;
  if (!o.all) return cli.print(ListDataKeyDetailResponseSchema, await client.listDataKeyDetail({ ...base, offset: o.offset ?? 0, limit: o.limit ?? 0 }), columns);
  const { items, total } = await everyPage<DataKeyMetadata>(o.offset ?? 0, async (offset) => {
    const r = await client.listDataKeyDetail({ ...base, offset, limit: MAX_PAGE });
    return { items: r.dataKeyMetadatas, total: r.totalCount };
  });
  await cli.print(ListDataKeyDetailResponseSchema, create(ListDataKeyDetailResponseSchema, { dataKeyMetadatas: items, totalCount: total }), columns);
}

export const hostedDataKeys: CommandGroup = (program, cli) => {
  const group = program.command("datakeys").description("hosted data keys: kept by the service, each sealed under one of your CMKs (DataKeyService)");

  group
    .command("generate")
    .description("a new hosted data key (GenerateDataKey with IsHostedByKms 1); the answer is printed without its Plaintext")
    .argument("<key-id>", "the ENCRYPT_DECRYPT CMK that seals it")
    .requiredOption("--name <name>", "its name: 1 to 60 letters, digits, - and _, unique in the account and region")
    .option("--description <text>", "description, at most 100 bytes")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .option("--spec <spec>", "AES_256 (default) or AES_128", enumArg(DataKeySpecSchema))
    .option("--bytes <n>", "length in bytes, 1 to 1024 (instead of --spec)", intArg(1, 1024))
    .option("--context <json>", "encryption context bound to its ciphertext (Decrypt then needs it)", contextArg)
    .option("--hsm-cluster <id>", "this service's HSM cluster id (the default)")
    .option("--plaintext-out <file>", "write the plaintext data key there (mode 0600); otherwise it is dropped")
    .option("--ciphertext-out <file>", "write the ciphertext blob there (raw bytes) instead of printing it")
    .action(
      act<GenerateOptions>(async ([keyId], o) => {
        if (o.plaintextOut === "-") throw new UsageError("--plaintext-out takes a file; for stdout use 'kms datakeys plaintext DATA_KEY_ID'");
        const res = await (await cli.kms()).generateDataKey({
          keyId: keyId!,
          keySpec: o.bytes === undefined ? (o.spec ?? 2) : 0,
          numberOfBytes: o.bytes ?? 0,
          encryptionContext: o.context ?? "",
          isHostedByKms: 1,
          dataKeyName: o.name,
          description: o.description ?? "",
          hsmClusterId: o.hsmCluster ?? "",
          tags: tagsOf(o.tag),
        });
        try {
          if (o.plaintextOut !== undefined) await writeBytes(cli, o.plaintextOut, res.plaintext, true);
          res.plaintext.fill(0);
          res.plaintext = new Uint8Array(0);
          if (o.ciphertextOut !== undefined) {
            await writeBytes(cli, o.ciphertextOut, res.ciphertextBlob, false);
            res.ciphertextBlob = new Uint8Array(0);
          }
          await cli.print(GenerateDataKeyResponseSchema, res);
        } finally {
          res.plaintext.fill(0);
        }
      }),
    );

  group
    .command("import")
    .description("keep a data key you bring (ImportDataKey): the data key itself, sealed under --key-id, or a GenerateDataKey ciphertext made without a context")
    .requiredOption("--name <name>", "its name: 1 to 60 letters, digits, - and _, unique in the account and region")
    .option("--key-id <id>", "the CMK: required with --plaintext-file; with a ciphertext, if given, the CMK it names")
    .option("--plaintext-file <file>", "the data key, 1 to 1024 raw bytes, from a file (- for stdin): ImportType 2")
    .option("--ciphertext-file <file>", "a GenerateDataKey CiphertextBlob, raw bytes, from a file (- for stdin): ImportType 1")
    .option("--ciphertext-base64 <b64>", "the same CiphertextBlob as base64 (as kms generate-data-key prints it): ImportType 1")
    .option("--description <text>", "description, at most 100 bytes")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .option("--hsm-cluster <id>", "this service's HSM cluster id (the default)")
    .action(
      act<ImportOptions>(async (_a, o) => {
        const material = await importMaterial(cli, o);
        try {
          const res = await (await dataKeyClient(cli)).importDataKey({
            dataKeyName: o.name,
            keyId: o.keyId ?? "",
            description: o.description ?? "",
            tags: tagsOf(o.tag),
            hsmClusterId: o.hsmCluster ?? "",
            ...material,
          });
          await cli.print(ImportDataKeyResponseSchema, res);
        } finally {
          if (material.importType === 2) material.importKeyMaterial.fill(0);
        }
      }),
    );

  withMemberAccounts(
    group
      .command("list")
      .description("hosted data keys with their metadata (ListDataKeyDetail), newest first")
      .option("--state <state>", "Enabled, Disabled or PendingDelete", enumArg(DataKeyStateSchema))
      .option("--origin <origin>", "TENCENT_KMS (generated), EXTERNAL (imported) or ALL", choiceArg(["TENCENT_KMS", "EXTERNAL", "ALL"]))
      .option("--key-id <id>", "only data keys sealed under this CMK")
      .option("--length <n>", "only data keys of this many bytes (1 to 1024)", intArg(1, 1024))
      .option("--search <text>", "only data keys whose id or name contains this (names: any case)")
      .option("--tag-filter <key=v1,v2>", "only data keys with this tag (and one of the values); repeatable", tagFilterArg)
      .option("--hsm-cluster <id>", "this service's cluster id (all), or default (none: Tencent's shared edition)")
      .option("--role <n>", "0: made by users (default); 1: by cloud products (none here)", intArg(0, 1))
      .option("--oldest-first", "order by creation time, oldest first")
      .option("--offset <n>", "skip this many matches", intArg(0, 0xffffffff))
      .option("--limit <n>", "at most this many (1 to 200; default 10)", intArg(1, MAX_PAGE))
      .option("--all", "every match, fetched a page of 200 at a time"),
  ).action(act<ListOptions>(async (_a, o) => listDetail(cli, o)));

  group
    .command("ids")
    .description("hosted data key ids only, newest first (ListDataKeys)")
    .option("--hsm-cluster <id>", "this service's HSM cluster id (the default)")
    .option("--role <n>", "0: made by users (default); 1: by cloud products (none here)", intArg(0, 1))
    .option("--offset <n>", "skip this many", intArg(0, 0xffffffff))
    .option("--limit <n>", "at most this many (1 to 200; default 10)", intArg(1, MAX_PAGE))
    .option("--all", "every id, fetched a page of 200 at a time")
    .action(
      act<{ hsmCluster?: string; role?: number; offset?: number; limit?: number; all?: boolean }>(async (_a, o) => {
        const client = await dataKeyClient(cli);
        const base = { hsmClusterId: o.hsmCluster ?? "", role: o.role ?? 0 };
        const view: TableView = { columns: ["DataKeyId"] };
        if (!o.all) return cli.print(ListDataKeysResponseSchema, await client.listDataKeys({ ...base, offset: o.offset ?? 0, limit: o.limit ?? 0 }), view);
        const { items, total } = await everyPage<DataKey>(o.offset ?? 0, async (offset) => {
          const r = await client.listDataKeys({ ...base, offset, limit: MAX_PAGE });
          return { items: r.dataKeys, total: r.totalCount };
        });
        await cli.print(ListDataKeysResponseSchema, create(ListDataKeysResponseSchema, { dataKeys: items, totalCount: total }), view);
      }),
    );

  withMemberAccount(group.command("describe").description("a data key's metadata (DescribeDataKey; several ids: DescribeDataKeys)").argument("<data-key-id...>")).action(
    act<MemberOption>(async ([...ids], o) => {
      const client = await dataKeyClient(cli);
      if (ids.length === 1) await cli.print(DescribeDataKeyResponseSchema, await client.describeDataKey({ dataKeyId: ids[0]!, ...memberAccountOf(o) }));
      else await cli.print(DescribeDataKeysResponseSchema, await client.describeDataKeys({ dataKeyIds: ids, ...memberAccountOf(o) }), COLUMNS);
    }),
  );

  withMemberAccount(group.command("enable").description("enable data keys (EnableDataKey; several ids: EnableDataKeys, all or nothing)").argument("<data-key-id...>")).action(
    act<MemberOption>(async ([...ids], o) => {
      const client = await dataKeyClient(cli);
      await (ids.length === 1 ? client.enableDataKey({ dataKeyId: ids[0]!, ...memberAccountOf(o) }) : client.enableDataKeys({ dataKeyIds: ids, ...memberAccountOf(o) }));
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("disable").description("disable data keys (DisableDataKey; several ids: DisableDataKeys, all or nothing)").argument("<data-key-id...>")).action(
    act<MemberOption>(async ([...ids], o) => {
      const client = await dataKeyClient(cli);
      await (ids.length === 1 ? client.disableDataKey({ dataKeyId: ids[0]!, ...memberAccountOf(o) }) : client.disableDataKeys({ dataKeyIds: ids, ...memberAccountOf(o) }));
      await cli.printEmpty();
    }),
  );

  withMemberAccount(
    group
      .command("schedule-deletion")
      .description("purge a Disabled data key after a waiting period (ScheduleDataKeyDeletion)")
      .argument("<data-key-id>")
      .option("--days <n>", "days until it is purged, 7 to 30 (default 7)", intArg(7, 30)),
  ).action(
    act<MemberOption & { days?: number }>(async ([dataKeyId], o) =>
      cli.print(ScheduleDataKeyDeletionResponseSchema, await (await dataKeyClient(cli)).scheduleDataKeyDeletion({ dataKeyId: dataKeyId!, pendingWindowInDays: o.days ?? 7, ...memberAccountOf(o) })),
    ),
  );

  withMemberAccount(group.command("cancel-deletion").description("cancel a scheduled deletion; the data key returns Disabled (CancelDataKeyDeletion)").argument("<data-key-id>")).action(
    act<MemberOption>(async ([dataKeyId], o) => cli.print(CancelDataKeyDeletionResponseSchema, await (await dataKeyClient(cli)).cancelDataKeyDeletion({ dataKeyId: dataKeyId!, ...memberAccountOf(o) }))),
  );

  withMemberAccount(group.command("rename").description("a new name, unique in the account and region (UpdateDataKeyName)").argument("<data-key-id>").argument("<name>")).action(
    act<MemberOption>(async ([dataKeyId, name], o) => {
      await (await dataKeyClient(cli)).updateDataKeyName({ dataKeyId: dataKeyId!, dataKeyName: name!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  withMemberAccount(
    group.command("update-description").description("replace a data key's description (UpdateDataKeyDescription)").argument("<data-key-id>").argument("<description>", "at most 100 bytes; '' clears it"),
  ).action(
    act<MemberOption>(async ([dataKeyId, description], o) => {
      await (await dataKeyClient(cli)).updateDataKeyDescription({ dataKeyId: dataKeyId!, description: description!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  group
    .command("plaintext")
    .description("write the data key to stdout or --out, raw bytes (GetDataKeyPlaintext); --field Plaintext prints it as base64 instead")
    .argument("<data-key-id>")
    .option("--out <file>", "write it to this file (mode 0600) instead of stdout")
    .option("--public-key <file>", "a PEM RSA-2048 or SM2 public key: the data key comes encrypted to it")
    .option("--algorithm <alg>", `with --public-key: ${PLAINTEXT_ALGORITHMS.join(", ")} (the service's default: SM2)`, choiceArg(PLAINTEXT_ALGORITHMS))
    .action(
      act<{ out?: string; publicKey?: string; algorithm?: string }>(async ([dataKeyId], o) => {
        if (o.algorithm !== undefined && o.publicKey === undefined) throw new UsageError("--algorithm needs --public-key");
        const pem = o.publicKey === undefined ? "" : (await readSmallFile(o.publicKey, "public key", cli.io.stdin)).toString("utf8");
        const res = await (await dataKeyClient(cli)).getDataKeyPlaintext({ dataKeyId: dataKeyId!, encryptionPublicKey: pem, encryptionAlgorithm: o.algorithm ?? "" });
        try {
          if (cli.field !== undefined) return await cli.print(GetDataKeyPlaintextResponseSchema, res);
          if (o.out !== undefined && o.out !== "-") await writeBytes(cli, o.out, res.plaintext, true);
          else cli.write(res.plaintext);
        } finally {
          res.plaintext.fill(0);
        }
      }),
    );

  withMemberAccount(
    group
      .command("ciphertext")
      .description("write the data key's ciphertext under its CMK to stdout or --out, raw bytes (GetDataKeyCiphertextBlob); Decrypt opens it")
      .argument("<data-key-id>")
      .option("--out <file>", "write it to this file instead of stdout"),
  ).action(
    act<MemberOption & { out?: string }>(async ([dataKeyId], o) => {
      const res = await (await dataKeyClient(cli)).getDataKeyCiphertextBlob({ dataKeyId: dataKeyId!, ...memberAccountOf(o) });
      if (cli.field !== undefined) return cli.print(GetDataKeyCiphertextBlobResponseSchema, res);
      if (o.out !== undefined && o.out !== "-") await writeBytes(cli, o.out, res.ciphertextBlob, false);
      else cli.write(res.ciphertextBlob);
    }),
  );
};
