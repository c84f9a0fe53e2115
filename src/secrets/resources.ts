/**
 * What a Secrets Manager call is about, for the pipeline's authorisation: the
 * policy action ("ssm:<Action>") and the resources a request names, with the
 * tags a policy's conditions may test. Read from the request by field, like
 * src/access/resources.ts does for keys:
 *
 *   secret    qcs::ssm:<region>:uin/<account>:secret/creatorUin/<creatorUin>/<secretName>
 *   account   qcs::ssm:<region>:uin/<account>:*     (ListSecrets, GetServiceStatus, GetRegions)
 *
 * creatorUin is the secret's creator; for a secret a call creates it is the
 * caller; for a name that does not exist it is the account, so a denied
 * caller cannot tell a missing secret from a forbidden one.
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { parsePackage } from "./package.js";
import type { SecretRepository } from "./repository.js";
import type { SecretScope, SecretTag } from "./secret.js";

/** The policy action of a method: "ssm:CreateSecret". */
export function secretsPolicyAction(method: DescMethod): string {
  return `ssm:${method.name}`;
}

export function secretResource(region: string, account: string, creatorUin: string, secretName: string): string {
  return `qcs::ssm:${region}:uin/${account}:secret/creatorUin/${creatorUin}/${secretName}`;
}

export function secretsAccountResource(region: string, account: string): string {
  return `qcs::ssm:${region}:uin/${account}:*`;
}

/** Methods about the account and region rather than one secret. */
const ACCOUNT_LEVEL = new Set(["ListSecrets", "GetServiceStatus", "GetRegions"]);
/** Methods that create the secret they name: its creator-to-be is the caller. */
const CREATING = new Set(["CreateSecret", "CreateSSHKeyPairSecret", "ImportSecret"]);

/** One resource a request is about. */
export interface SecretsResource {
  resource: string;
  /** The secret's tags (for "qcs:resource_tag" conditions); none for account resources and unknown names. */
  tags: readonly SecretTag[];
}

/** Who asks, where. */
export interface SecretsCaller extends SecretScope {
  /** Decimal uin of the calling principal. */
  principalUin: string;
}

function text(req: MessageShape<DescMessage>, field: string): string {
  const v = (req as unknown as Record<string, unknown>)[field];
  return typeof v === "string" ? v : "";
}

/** The secret name a request is about ("" when it names none readable: the action will say why). */
async function nameOf(repo: SecretRepository, method: DescMethod, req: MessageShape<DescMessage>, scope: SecretScope): Promise<string> {
  const named = text(req, "secretName");
  if (named !== "") return named;
  if (method.name === "GetSSHKeyPairValue") {
    const id = text(req, "sshKeyId");
    return id === "" ? "" : ((await repo.sshKeyOwner(scope, id).catch(() => undefined)) ?? "");
  }
  if (method.name === "ImportSecret") {
    const pkg = (req as unknown as { package?: unknown }).package;
    try {
      return pkg instanceof Uint8Array ? parsePackage(pkg).header.secretName : "";
    } catch {
      return "";
    }
  }
  return "";
}

/** The resources a request of `method` is checked against (one, for every SSM action). */
export async function secretsRequestResources(
  repo: SecretRepository,
  method: DescMethod,
  req: MessageShape<DescMessage>,
  caller: SecretsCaller,
): Promise<SecretsResource[]> {
  if (ACCOUNT_LEVEL.has(method.name)) return [{ resource: secretsAccountResource(caller.region, caller.account), tags: [] }];
  const name = await nameOf(repo, method, req, caller);
  const secret = name === "" ? undefined : await repo.get(caller, name).catch(() => undefined);
  const creator = secret?.creatorUin ?? (CREATING.has(method.name) ? caller.principalUin : caller.account);
  return [{ resource: secretResource(caller.region, caller.account, creator, name), tags: secret?.tags ?? [] }];
}
