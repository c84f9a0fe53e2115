/**
 * kms secrets: Secrets Manager (ssm.v1.SecretsManagerService). A secret's
 * value is never printed unless asked for: `get` writes it to stdout or a
 * file, and every other command prints only the answer's metadata. Values
 * come from a file or stdin (`--string-file`, `--binary-file`), or, visible
 * in `ps`, from `--string`. Versions, SSH key pairs, product secrets and
 * database instances are subgroups, each in its own file.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CreateSecretResponseSchema,
  DeleteSecretResponseSchema,
  DescribeSecretResponseSchema,
  DisableSecretResponseSchema,
  EnableSecretResponseSchema,
  ExportSecretResponseSchema,
  GetSecretValueResponseSchema,
  GetServiceStatusResponseSchema,
  ImportSecretResponseSchema,
  ListSecretsResponseSchema,
  PutSecretValueResponseSchema,
  RestoreSecretResponseSchema,
  SecretStatusSchema,
  UpdateDescriptionResponseSchema,
  UpdateSecretResponseSchema,
  type ListSecretsRequestSchema,
  type SecretMetadata,
} from "../../../../gen/ssm/v1/ssm_pb.js";
import { choiceArg, enumArg, intArg, readSmallFile, tagArg, tagFilterArg, type TagFilterValue } from "../args.js";
import { act, writeBytes, type Cli, type CommandGroup } from "../cli.js";
import { readValue, ssmClient, tagsOf, valueInput, wipe, type ValueOptions } from "./secret-common.js";
import { UsageError } from "../errors.js";
import type { TableView } from "../output.js";
import { secretDatabases } from "./secret-databases.js";
import { secretProducts } from "./secret-products.js";
import { secretSsh } from "./secret-ssh.js";
import { secretVersions } from "./secret-versions.js";

const SECRET_COLUMNS: TableView = { columns: ["SecretName", "Status", "SecretType", "KmsKeyId", "CreateTime", "DeleteTime", "Description"] };
/** Page size of `list --all` (ListSecrets has no upper bound; this keeps answers small). */
const ALL_PAGE = 100;

/** ListSecrets' SecretType numbers, by the names the CLI takes. */
const SECRET_TYPES = { user: 0, product: 1, ssh: 2, "api-key": 3 } as const;
type SecretTypeName = keyof typeof SECRET_TYPES;

interface CreateOptions extends ValueOptions {
  version?: string;
  description?: string;
  kmsKey?: string;
  tag?: [string, string][];
  additionalConfig?: string;
}

interface ListOptions {
  state?: number;
  search?: string;
  tagFilter?: TagFilterValue[];
  type?: SecretTypeName;
  product?: string;
  encryptType?: number;
  instance?: string;
  oldestFirst?: boolean;
  offset?: number;
  limit?: number;
  all?: boolean;
}

interface DeleteOptions {
  recoveryWindowDays: number;
  deleteMode?: number;
  cleanSshKey?: boolean;
}

interface ImportOptions {
  in: string;
  name?: string;
  kmsKey?: string;
  secretKmsKey?: string;
  overwrite?: boolean;
}

export const secrets: CommandGroup = (program, cli) => {
  const group = program.command("secrets").description("Secrets Manager: secrets, their versions, SSH key pairs, product secrets and database instances");

  valueInput(group.command("create").description("create a secret with its first version (CreateSecret)").argument("<name>", "1 to 128 letters, digits, - and _"))
    .option("--version <id>", "the first version's id (default SSM_Current)")
    .option("--description <text>", "description, at most 2048 bytes")
    .option("--kms-key <key-id>", "the CMK that encrypts the values (default: Secrets Manager's default CMK)")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .option("--additional-config <json>", "extra configuration, a JSON object")
    .action(
      act<CreateOptions>(async ([secretName], o) => {
        const value = await readValue(cli, o);
        const res = await (await ssmClient(cli)).createSecret({
          secretName: secretName!,
          versionId: o.version ?? "",
          description: o.description ?? "",
          kmsKeyId: o.kmsKey ?? "",
          additionalConfig: o.additionalConfig ?? "",
          tags: tagsOf(o.tag),
          ...value,
        });
        wipe(value);
        await cli.print(CreateSecretResponseSchema, res);
      }),
    );

  group
    .command("get")
    .description("write a version's value to stdout or --out, exactly as stored (GetSecretValue); --field prints a field of the answer instead")
    .argument("<name>")
    .requiredOption("--version <id>", "the version (kms secrets versions list; SSM_Current for product secrets and secrets created without one)")
    .option("--out <file>", "write the value to this file (mode 0600) instead of stdout")
    .action(
      act<{ version: string; out?: string }>(async ([secretName], o) => {
        const res = await (await ssmClient(cli)).getSecretValue({ secretName: secretName!, versionId: o.version });
        try {
          if (cli.field !== undefined) return await cli.print(GetSecretValueResponseSchema, res);
          const bytes = res.secretBinary.length > 0 ? res.secretBinary : Buffer.from(res.secretString, "utf8");
          if (o.out !== undefined && o.out !== "-") await writeBytes(cli, o.out, bytes, true);
          else {
            cli.write(bytes);
            // A line break only for a person at a terminal: piped, the value is exact.
            if (cli.io.stdout.isTTY && res.secretBinary.length === 0) cli.write("\n");
          }
          if (bytes !== res.secretBinary) bytes.fill(0);
        } finally {
          res.secretBinary.fill(0);
        }
      }),
    );

  valueInput(group.command("put-value").description("add a version, at most 10 per secret (PutSecretValue)").argument("<name>"))
    .requiredOption("--version <id>", "the new version's id: 1 to 64 letters, digits, -, _ and .")
    .action(
      act<ValueOptions & { version: string }>(async ([secretName], o) => {
        const value = await readValue(cli, o);
        const res = await (await ssmClient(cli)).putSecretValue({ secretName: secretName!, versionId: o.version, ...value });
        wipe(value);
        await cli.print(PutSecretValueResponseSchema, res);
      }),
    );

  valueInput(group.command("update").description("replace one version's value (UpdateSecret)").argument("<name>"))
    .requiredOption("--version <id>", "the version whose value is replaced")
    .action(
      act<ValueOptions & { version: string }>(async ([secretName], o) => {
        const value = await readValue(cli, o);
        const res = await (await ssmClient(cli)).updateSecret({ secretName: secretName!, versionId: o.version, ...value });
        wipe(value);
        await cli.print(UpdateSecretResponseSchema, res);
      }),
    );

  group
    .command("update-description")
    .description("change a secret's description (UpdateDescription)")
    .argument("<name>")
    .argument("<description>", "at most 2048 bytes; '' clears it")
    .action(act(async ([secretName, description]) => cli.print(UpdateDescriptionResponseSchema, await (await ssmClient(cli)).updateDescription({ secretName: secretName!, description: description! }))));

  group
    .command("list")
    .description("secrets of the account and region, filtered and paged (ListSecrets); one type at a time, user-defined unless --type")
    .option("--state <state>", "Enabled, Disabled, PendingDelete, Creating or Failed", enumArg(SecretStatusSchema))
    .option("--search <text>", "only secrets whose name contains this")
    .option("--tag-filter <key=v1,v2>", "only secrets with this tag (and one of the values); repeatable", tagFilterArg)
    .option("--type <type>", `${Object.keys(SECRET_TYPES).join(", ")} (default user)`, choiceArg(Object.keys(SECRET_TYPES) as SecretTypeName[]))
    .option("--product <names>", "with --type product: only these products, comma-separated (e.g. Mysql)")
    .option("--encrypt-type <n>", "0 encrypted under a KMS CMK (default; every secret here), 1 software key (none here)", intArg(0, 1))
    .option("--instance <id>", "only product secrets of this database instance")
    .option("--oldest-first", "order by creation time, oldest first (default newest first)")
    .option("--offset <n>", "skip this many matches", intArg(0, 0xffffffff))
    .option("--limit <n>", "at most this many, 1 to 1000 (default 20)", intArg(1, 1000))
    .option("--all", `every match, fetched ${ALL_PAGE} at a time`)
    .action(act<ListOptions>(async (_a, o) => listSecrets(cli, o)));

  group
    .command("describe")
    .description("everything public about a secret, never its value (DescribeSecret)")
    .argument("<name>")
    .action(act(async ([secretName]) => cli.print(DescribeSecretResponseSchema, await (await ssmClient(cli)).describeSecret({ secretName: secretName! }))));

  group
    .command("enable")
    .description("serve the secret's values again (EnableSecret)")
    .argument("<name>")
    .action(act(async ([secretName]) => cli.print(EnableSecretResponseSchema, await (await ssmClient(cli)).enableSecret({ secretName: secretName! }))));

  group
    .command("disable")
    .description("withhold the secret's values; needed before delete (DisableSecret)")
    .argument("<name>")
    .action(act(async ([secretName]) => cli.print(DisableSecretResponseSchema, await (await ssmClient(cli)).disableSecret({ secretName: secretName! }))));

  group
    .command("delete")
    .description("delete a Disabled secret now, or after a recovery window (DeleteSecret)")
    .argument("<name>")
    .requiredOption("--recovery-window-days <n>", "0 deletes now, for good; 1 to 30: PendingDelete, purged after that many days unless restored", intArg(0, 30))
    .option("--delete-mode <n>", "product secrets: 0 keeps the database accounts (default), 1 drops them too", intArg(0, 1))
    .option("--clean-ssh-key", "SSH key pair secrets: also delete the key pair (here it always goes with the secret)")
    .action(
      act<DeleteOptions>(async ([secretName], o) => {
        const res = await (await ssmClient(cli)).deleteSecret({ secretName: secretName!, recoveryWindowInDays: o.recoveryWindowDays, deleteMode: o.deleteMode ?? 0, cleanSshKey: o.cleanSshKey === true });
        await cli.print(DeleteSecretResponseSchema, res);
      }),
    );

  group
    .command("restore")
    .description("cancel a scheduled deletion; the secret returns Disabled (RestoreSecret)")
    .argument("<name>")
    .action(act(async ([secretName]) => cli.print(RestoreSecretResponseSchema, await (await ssmClient(cli)).restoreSecret({ secretName: secretName! }))));

  group
    .command("export")
    .description("seal the whole secret (versions, states, windows, values) in a package under a CMK, written to a file (ExportSecret)")
    .argument("<name>")
    .requiredOption("--kms-key <key-id>", "the CMK that seals the package: whoever can decrypt with its material can import it")
    .requiredOption("--out <file>", "the package file (mode 0600; - for stdout)")
    .action(
      act<{ kmsKey: string; out: string }>(async ([secretName], o) => {
        const res = await (await ssmClient(cli)).exportSecret({ secretName: secretName!, kmsKeyId: o.kmsKey });
        await writeBytes(cli, o.out, res.package, true);
        if (o.out === "-") return;
        res.package = new Uint8Array(0);
        await cli.print(ExportSecretResponseSchema, res);
      }),
    );

  group
    .command("import")
    .description("recreate a secret from an export package (ImportSecret)")
    .requiredOption("--in <file>", "the package file (- for stdin)")
    .option("--name <name>", "the imported secret's name (default: the name in the package)")
    .option("--kms-key <key-id>", "the CMK here that opens the package (default: the key the package names)")
    .option("--secret-kms-key <key-id>", "the CMK that encrypts the imported values (default: Secrets Manager's default CMK)")
    .option("--overwrite", "replace an Enabled or Disabled secret of that name, whole")
    .action(
      act<ImportOptions>(async (_a, o) => {
        const pkg = await readSmallFile(o.in, "package", cli.io.stdin);
        const res = await (await ssmClient(cli)).importSecret({ package: pkg, secretName: o.name ?? "", kmsKeyId: o.kmsKey ?? "", secretKmsKeyId: o.secretKmsKey ?? "", overwrite: o.overwrite === true });
        await cli.print(ImportSecretResponseSchema, res);
      }),
    );

  group
    .command("status")
    .description("the service's state and the account's secret count and limit (GetServiceStatus of Secrets Manager)")
    .action(act(async () => cli.print(GetServiceStatusResponseSchema, await (await ssmClient(cli)).getServiceStatus({}))));

  secretVersions(group, cli);
  secretSsh(group, cli);
  secretProducts(group, cli);
  secretDatabases(group, cli);
};

async function listSecrets(cli: Cli, o: ListOptions): Promise<void> {
  if (o.product !== undefined && o.type !== "product") throw new UsageError("--product applies with --type product");
  const ssm = await ssmClient(cli);
  const base: MessageInitShape<typeof ListSecretsRequestSchema> = {
    orderType: o.oldestFirst ? 1 : 0,
    state: o.state ?? 0,
    searchSecretName: o.search ?? "",
    tagFilters: o.tagFilter ?? [],
    secretType: SECRET_TYPES[o.type ?? "user"],
    productName: o.product ?? "",
    encryptType: o.encryptType ?? 0,
    instanceId: o.instance ?? "",
  };
  if (!o.all) {
    await cli.print(ListSecretsResponseSchema, await ssm.listSecrets({ ...base, offset: o.offset ?? 0, limit: o.limit ?? 0 }), SECRET_COLUMNS);
    return;
  }
  const found: SecretMetadata[] = [];
  let offset = o.offset ?? 0;
  let total = 0;
  for (;;) {
    const page = await ssm.listSecrets({ ...base, offset, limit: ALL_PAGE });
    total = page.totalCount;
    found.push(...page.secretMetadatas);
    offset += page.secretMetadatas.length;
    if (page.secretMetadatas.length === 0 || offset >= total) break;
  }
  await cli.print(ListSecretsResponseSchema, create(ListSecretsResponseSchema, { totalCount: total, secretMetadatas: found }), SECRET_COLUMNS);
}
