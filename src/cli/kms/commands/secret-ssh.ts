/**
 * kms secrets ssh: SSH key pairs kept as secrets (CreateSSHKeyPairSecret,
 * GetSSHKeyPairValue). The private key is written only to a file you name
 * (mode 0600), never printed with the answer.
 */
import { InvalidArgumentError } from "commander";
import { CreateSSHKeyPairSecretResponseSchema, GetSSHKeyPairValueResponseSchema, SshKeyType } from "../../../../gen/ssm/v1/ssm_pb.js";
import { choiceArg, tagArg } from "../args.js";
import { act, writeBytes, type SubGroup } from "../cli.js";
import { UsageError } from "../errors.js";
import { ssmClient, tagsOf } from "./secret-common.js";

const KEY_TYPES = { ed25519: SshKeyType.ED25519, "rsa-3072": SshKeyType.RSA_3072 } as const;
type KeyTypeName = keyof typeof KEY_TYPES;

/** A signed 64-bit project id. */
function projectArg(value: string): bigint {
  if (!/^-?\d{1,19}$/.test(value)) throw new InvalidArgumentError("must be an integer");
  return BigInt(value);
}

interface CreateOptions {
  keyName?: string;
  project?: bigint;
  description?: string;
  kmsKey?: string;
  tag?: [string, string][];
  keyType?: KeyTypeName;
}

interface GetOptions {
  keyId?: string;
  publicKeyOut?: string;
  privateKeyOut?: string;
}

export const secretSsh: SubGroup = (secrets, cli) => {
  const group = secrets.command("ssh").description("SSH key pairs generated and kept as secrets");

  group
    .command("create")
    .description("generate a key pair and keep it as a secret (CreateSSHKeyPairSecret)")
    .argument("<name>", "the secret's name")
    .option("--key-name <name>", "the key pair's name, its public key's comment: 1 to 25 letters, digits and _ (default: from the secret name)")
    .option("--project <id>", "project id, kept with the key pair (default 0)", projectArg)
    .option("--description <text>", "description, at most 2048 bytes")
    .option("--kms-key <key-id>", "the CMK that encrypts the private key (default: Secrets Manager's default CMK)")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .option("--key-type <type>", "ed25519 (default) or rsa-3072", choiceArg(Object.keys(KEY_TYPES) as KeyTypeName[]))
    .action(
      act<CreateOptions>(async ([secretName], o) => {
        const res = await (await ssmClient(cli)).createSSHKeyPairSecret({
          secretName: secretName!,
          sshKeyName: o.keyName ?? "",
          projectId: o.project ?? 0n,
          description: o.description ?? "",
          kmsKeyId: o.kmsKey ?? "",
          tags: tagsOf(o.tag),
          sshKeyType: o.keyType ? KEY_TYPES[o.keyType] : SshKeyType.UNSPECIFIED,
        });
        await cli.print(CreateSSHKeyPairSecretResponseSchema, res);
      }),
    );

  group
    .command("get")
    .description("a key pair (GetSSHKeyPairValue): keys written to files of mode 0600; the answer is printed without the private key")
    .argument("[name]", "the secret's name (or give --key-id)")
    .option("--key-id <id>", "the key pair's id (skey-...), instead of or with the name")
    .option("--public-key-out <file>", "write the public key (OpenSSH one-line format) there, mode 0600; - for stdout")
    .option("--private-key-out <file>", "write the private key (OpenSSH format) there, mode 0600; - for stdout")
    .action(
      act<GetOptions>(async ([secretName], o) => {
        if (secretName === undefined && o.keyId === undefined) throw new UsageError("name the secret, or give --key-id");
        if (o.publicKeyOut === "-" && o.privateKeyOut === "-") throw new UsageError("only one of the keys can go to stdout");
        const res = await (await ssmClient(cli)).getSSHKeyPairValue({ secretName: secretName ?? "", sshKeyId: o.keyId ?? "" });
        try {
          if (o.privateKeyOut !== undefined) await writeBytes(cli, o.privateKeyOut, res.privateKey, true);
          if (o.publicKeyOut !== undefined) await writeBytes(cli, o.publicKeyOut, res.publicKey, true);
        } finally {
          res.privateKey.fill(0);
        }
        if (o.privateKeyOut === "-" || o.publicKeyOut === "-") return;
        res.privateKey = new Uint8Array(0);
        await cli.print(GetSSHKeyPairValueResponseSchema, res);
      }),
    );
};
