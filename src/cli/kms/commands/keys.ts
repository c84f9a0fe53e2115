/** kms keys: the life of a CMK (KeyManagementService), with rotation and import as subgroups. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CancelKeyDeletionResponseSchema,
  CreateKeyResponseSchema,
  DescribeKeyResponseSchema,
  DescribeKeysResponseSchema,
  KeyStateSchema,
  KeyUsageSchema,
  ListKeyDetailResponseSchema,
  OriginSchema,
  ScheduleKeyDeletionResponseSchema,
  type KeyMetadata,
  type ListKeyDetailRequestSchema,
} from "../../../../gen/kms/v1/kms_pb.js";
import { enumArg, intArg, tagArg, tagFilterArg, type TagFilterValue } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { memberAccountOf, memberAccountsOf, withMemberAccount, withMemberAccounts, type MemberListOption, type MemberOption } from "../member.js";
import type { TableView } from "../output.js";
import { keyImport } from "./key-import.js";
import { keyRotation } from "./key-rotation.js";

const KEY_COLUMNS: TableView = { columns: ["KeyId", "Alias", "KeyState", "KeyUsage", "Origin", "CreateTime", "Description"] };
/** With --member-accounts: whose each key is. */
const MEMBER_KEY_COLUMNS: TableView = { columns: ["KeyId", "Alias", "KeyState", "KeyUsage", "Origin", "CreateTime", "AccountUin"] };
/** ListKeyDetail's largest page. */
const MAX_PAGE = 200;

interface CreateOptions {
  alias: string;
  description?: string;
  usage?: number;
  external?: boolean;
  tag?: [string, string][];
}

interface ListOptions extends MemberListOption {
  state?: number;
  usage?: number | "all";
  origin?: number;
  search?: string;
  tagFilter?: TagFilterValue[];
  oldestFirst?: boolean;
  offset?: number;
  limit?: number;
  all?: boolean;
}

const usageOrAll = (value: string): number | "all" => (value.toLowerCase() === "all" ? "all" : enumArg(KeyUsageSchema)(value));

export const keys: CommandGroup = (program, cli) => {
  const group = program.command("keys").description("create, inspect and change customer master keys (CMKs)");

  group
    .command("create")
    .description("create a CMK (CreateKey)")
    .requiredOption("--alias <alias>", "unique alias: 1 to 60 letters, digits, - and _")
    .option("--description <text>", "description, at most 1024 bytes")
    .option("--usage <usage>", "ENCRYPT_DECRYPT (default), ASYMMETRIC_SIGN_VERIFY_ECC, ASYMMETRIC_DECRYPT_RSA_2048, ... (kms service algorithms)", enumArg(KeyUsageSchema))
    .option("--external", "Type 2: no material; the key waits in PendingImport for 'kms keys import'")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .action(
      act<CreateOptions>(async (_a, o) => {
        const res = await (await cli.kms()).createKey({
          alias: o.alias,
          description: o.description ?? "",
          keyUsage: o.usage ?? 0,
          type: o.external ? 2 : 0,
          tags: (o.tag ?? []).map(([tagKey, tagValue]) => ({ tagKey, tagValue })),
        });
        await cli.print(CreateKeyResponseSchema, res);
      }),
    );

  withMemberAccount(group.command("describe").description("show a CMK's metadata (DescribeKey; several ids: DescribeKeys)").argument("<key-id...>", "one or more key ids")).action(
    act<MemberOption>(async ([...ids], o) => {
      const kms = await cli.kms();
      if (ids.length === 1) await cli.print(DescribeKeyResponseSchema, await kms.describeKey({ keyId: ids[0]!, ...memberAccountOf(o) }));
      else await cli.print(DescribeKeysResponseSchema, await kms.describeKeys({ keyIds: ids, ...memberAccountOf(o) }), KEY_COLUMNS);
    }),
  );

  withMemberAccounts(group.command("list"))
    .description("list CMKs with their metadata (ListKeyDetail); every usage unless --usage")
    .option("--state <state>", "Enabled, Disabled, PendingDelete, PendingImport or Archived", enumArg(KeyStateSchema))
    .option("--usage <usage>", "only this KeyUsage, or all (default)", usageOrAll)
    .option("--origin <origin>", "TENCENT_KMS or EXTERNAL", enumArg(OriginSchema))
    .option("--search <text>", "only keys whose id or alias contains this")
    .option("--tag-filter <key=v1,v2>", "only keys with this tag (and one of the values); repeatable", tagFilterArg)
    .option("--oldest-first", "order by creation time, oldest first (default newest first)")
    .option("--offset <n>", "skip this many matches", intArg(0, 0xffffffff))
    .option("--limit <n>", "at most this many (1 to 200; default 10)", intArg(1, MAX_PAGE))
    .option("--all", "every match, fetched a page of 200 at a time")
    .action(act<ListOptions>(async (_a, o) => listKeys(cli, o)));

  withMemberAccount(group.command("update-alias").description("rename a CMK's alias (UpdateAlias)").argument("<key-id>").argument("<alias>")).action(
    act<MemberOption>(async ([keyId, alias], o) => {
      await (await cli.kms()).updateAlias({ keyId: keyId!, alias: alias!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("update-description").description("change a CMK's description (UpdateKeyDescription)").argument("<key-id>").argument("<description>")).action(
    act<MemberOption>(async ([keyId, description], o) => {
      await (await cli.kms()).updateKeyDescription({ keyId: keyId!, description: description!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("enable").description("enable CMKs (EnableKey; several ids: EnableKeys)").argument("<key-id...>")).action(
    act<MemberOption>(async ([...ids], o) => {
      const kms = await cli.kms();
      await (ids.length === 1 ? kms.enableKey({ keyId: ids[0]!, ...memberAccountOf(o) }) : kms.enableKeys({ keyIds: ids, ...memberAccountOf(o) }));
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("disable").description("disable CMKs (DisableKey; several ids: DisableKeys)").argument("<key-id...>")).action(
    act<MemberOption>(async ([...ids], o) => {
      const kms = await cli.kms();
      await (ids.length === 1 ? kms.disableKey({ keyId: ids[0]!, ...memberAccountOf(o) }) : kms.disableKeys({ keyIds: ids, ...memberAccountOf(o) }));
      await cli.printEmpty();
    }),
  );

  withMemberAccount(
    group
      .command("schedule-deletion")
      .description("schedule a CMK's deletion after a waiting period (ScheduleKeyDeletion)")
      .argument("<key-id>")
      .option("--days <n>", "days until it is purged, 7 to 30 (default 7)", intArg(7, 30)),
  ).action(
    act<MemberOption & { days?: number }>(async ([keyId], o) => {
      const res = await (await cli.kms()).scheduleKeyDeletion({ keyId: keyId!, pendingWindowInDays: o.days ?? 7, ...memberAccountOf(o) });
      await cli.print(ScheduleKeyDeletionResponseSchema, res);
    }),
  );

  withMemberAccount(group.command("cancel-deletion").description("cancel a scheduled deletion; the key returns Disabled (CancelKeyDeletion)").argument("<key-id>")).action(
    act<MemberOption>(async ([keyId], o) => cli.print(CancelKeyDeletionResponseSchema, await (await cli.kms()).cancelKeyDeletion({ keyId: keyId!, ...memberAccountOf(o) }))),
  );

  withMemberAccount(group.command("archive").description("archive a CMK: it decrypts but no longer encrypts (ArchiveKey)").argument("<key-id>")).action(
    act<MemberOption>(async ([keyId], o) => {
      await (await cli.kms()).archiveKey({ keyId: keyId!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  withMemberAccount(group.command("unarchive").description("return an archived CMK to Enabled (CancelKeyArchive)").argument("<key-id>")).action(
    act<MemberOption>(async ([keyId], o) => {
      await (await cli.kms()).cancelKeyArchive({ keyId: keyId!, ...memberAccountOf(o) });
      await cli.printEmpty();
    }),
  );

  group
    .command("bind")
    .description("record that a cloud resource uses the key, so it cannot be deleted or archived (BindCloudResource)")
    .argument("<key-id>")
    .requiredOption("--product <id>", "product id")
    .requiredOption("--resource <id>", "resource id")
    .action(act<{ product: string; resource: string }>(async ([keyId], o) => {
      await (await cli.kms()).bindCloudResource({ keyId: keyId!, productId: o.product, resourceId: o.resource });
      await cli.printEmpty();
    }));

  group
    .command("unbind")
    .description("remove a binding made by 'kms keys bind' (UnbindCloudResource)")
    .argument("<key-id>")
    .requiredOption("--product <id>", "product id")
    .requiredOption("--resource <id>", "resource id")
    .action(act<{ product: string; resource: string }>(async ([keyId], o) => {
      await (await cli.kms()).unbindCloudResource({ keyId: keyId!, productId: o.product, resourceId: o.resource });
      await cli.printEmpty();
    }));

  keyRotation(group, cli);
  keyImport(group, cli);
};

async function listKeys(cli: Cli, o: ListOptions): Promise<void> {
  const kms = await cli.kms();
  const base: MessageInitShape<typeof ListKeyDetailRequestSchema> = {
    orderType: o.oldestFirst ? 1 : 0,
    keyState: o.state ?? 0,
    searchKeyAlias: o.search ?? "",
    origin: o.origin ?? 0,
    keyUsage: typeof o.usage === "number" ? o.usage : 0,
    allKeyUsages: o.usage === undefined || o.usage === "all",
    tagFilters: o.tagFilter ?? [],
    ...memberAccountsOf(o),
  };
  const columns = o.memberAccounts ? MEMBER_KEY_COLUMNS : KEY_COLUMNS;
  if (!o.all) {
    const res = await kms.listKeyDetail({ ...base, offset: o.offset ?? 0, limit: o.limit ?? 0 });
    await cli.print(ListKeyDetailResponseSchema, res, columns);
    return;
  }
  const found: KeyMetadata[] = [];
  let offset = o.offset ?? 0;
  let total = 0;
  for (;;) {
    const page = await kms.listKeyDetail({ ...base, offset, limit: MAX_PAGE });
    total = page.totalCount;
    found.push(...page.keyMetadatas);
    offset += page.keyMetadatas.length;
    if (page.keyMetadatas.length === 0 || offset >= total) break;
  }
  await cli.print(ListKeyDetailResponseSchema, create(ListKeyDetailResponseSchema, { totalCount: total, keyMetadatas: found }), columns);
}
