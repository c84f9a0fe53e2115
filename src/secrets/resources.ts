/**
 * What a Secrets Manager call is about, for the pipeline's authorisation: the
 * policy action ("ssm:<Action>") and the resources a request names, with the
 * tags a policy's conditions may test. Read from the request by field, like
 * src/access/resources.ts does for keys:
 *
 *   secret    qcs::ssm:<region>:uin/<account>:secret/creatorUin/<creatorUin>/<secretName>
 *   account   qcs::ssm:<region>:uin/<account>:*     (ListSecrets, GetServiceStatus, GetRegions,
 *             DescribeSupportedProducts, and the database-instance calls)
 *
 * DescribeAsyncRequestInfo is about the secret whose flow it names.
 * creatorUin is the secret's creator; for a secret a call creates it is the
 * caller; for a name that does not exist it is the account, so a denied
 * caller cannot tell a missing secret from a forbidden one.
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { CONDITION_KEYS, type CallScope, type RequestResources, type ResourceRef } from "../call.js";
import { parsePackage } from "./package.js";
import { subjectOf } from "./present.js";
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
const ACCOUNT_LEVEL = new Set([
  "ListSecrets",
  "GetServiceStatus",
  "GetRegions",
  "DescribeSupportedProducts",
  "RegisterDatabaseInstance",
  "ListDatabaseInstances",
  "DeregisterDatabaseInstance",
]);
/** Methods that create the secret they name: its creator-to-be is the caller. */
const CREATING = new Set(["CreateSecret", "CreateSSHKeyPairSecret", "ImportSecret", "CreateProductSecret"]);

/** Which secret a flow belongs to (DescribeAsyncRequestInfo), when it is one of this scope's. */
export type FlowOwner = (scope: SecretScope, flowId: number) => Promise<string | undefined>;

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

/** The secret name a request names in its own fields or package (no store read). */
function namedIn(method: DescMethod, req: MessageShape<DescMessage>): string {
  const named = text(req, "secretName");
  if (named !== "" || method.name !== "ImportSecret") return named;
  const pkg = (req as unknown as { package?: unknown }).package;
  try {
    return pkg instanceof Uint8Array ? parsePackage(pkg).header.secretName : "";
  } catch {
    return "";
  }
}

/** The secret name a request is about ("" when it names none readable: the action will say why). */
async function nameOf(repo: SecretRepository, method: DescMethod, req: MessageShape<DescMessage>, scope: SecretScope, flowOwner?: FlowOwner): Promise<string> {
  const named = namedIn(method, req);
  if (named !== "") return named;
  if (method.name === "GetSSHKeyPairValue") {
    const id = text(req, "sshKeyId");
    return id === "" ? "" : ((await repo.sshKeyOwner(scope, id).catch(() => undefined)) ?? "");
  }
  if (method.name === "DescribeAsyncRequestInfo" && flowOwner) {
    const flowId = (req as unknown as { flowId?: unknown }).flowId;
    const id = typeof flowId === "bigint" && flowId > 0n && flowId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(flowId) : 0;
    return id === 0 ? "" : ((await flowOwner(scope, id).catch(() => undefined)) ?? "");
  }
  return "";
}

/** The resources a request of `method` is checked against (one, for every SSM action). */
export async function secretsRequestResources(
  repo: SecretRepository,
  method: DescMethod,
  req: MessageShape<DescMessage>,
  caller: SecretsCaller,
  flowOwner?: FlowOwner,
): Promise<SecretsResource[]> {
  if (ACCOUNT_LEVEL.has(method.name)) return [{ resource: secretsAccountResource(caller.region, caller.account), tags: [] }];
  const name = await nameOf(repo, method, req, caller, flowOwner);
  const secret = name === "" ? undefined : await repo.get(caller, name).catch(() => undefined);
  const creator = secret?.creatorUin ?? (CREATING.has(method.name) ? caller.principalUin : caller.account);
  return [{ resource: secretResource(caller.region, caller.account, creator, name), tags: secret?.tags ?? [] }];
}

/** The ids a request names, for its audit event: the secret, the instance or the flow. */
function subjectsOf(method: DescMethod, req: MessageShape<DescMessage>): string[] {
  const name = namedIn(method, req);
  if (name !== "") return [subjectOf(name)];
  const instanceId = text(req, "instanceId");
  if (instanceId !== "" && ACCOUNT_LEVEL.has(method.name)) return [`instance/${instanceId}`];
  const sshKeyId = text(req, "sshKeyId");
  if (sshKeyId !== "") return [`ssh-key/${sshKeyId}`];
  const flowId = (req as unknown as { flowId?: unknown }).flowId;
  if (typeof flowId === "bigint" && flowId > 0n) return [`flow/${flowId}`];
  return [];
}

/**
 * The secrets service's RequestResources, as the pipeline asks for them: the
 * subjects of a request for its audit event, and its resources for the policy
 * engine, each secret's tags given as "qcs:resource_tag" values "key&value".
 */
export function secretsResources(repo: SecretRepository, flowOwner?: FlowOwner): RequestResources {
  return {
    subjects: subjectsOf,
    async resources(method: DescMethod, req: MessageShape<DescMessage>, scope: CallScope): Promise<ResourceRef[]> {
      const found = await secretsRequestResources(repo, method, req, scope, flowOwner);
      return found.map(({ resource, tags }) =>
        tags.length === 0 ? { resource } : { resource, conditions: [[CONDITION_KEYS.resourceTag, tags.map((t) => `${t.key}&${t.value}`)]] },
      );
    },
  };
}
