/**
 * What an AdminService request is about, for the pipeline's authorisation:
 * the principal it acts on, in CAM's form
 * (qcs::cam::uin/<account>:uin/<principalUin>), and the policy it names
 * (qcs::cam::uin/<account>:policy/<name>), so a policy can allow
 * kmsadmin:CreateToken on the caller's own principal only. A token id,
 * SecretId or certificate fingerprint stands for its principal; one that
 * names nothing of the account stands for the account root, so a caller
 * allowed on some principals cannot tell a missing credential from another
 * principal's (one allowed on every principal gets ResourceNotFound). Calls
 * about no principal or policy (listings without a principal, CreatePrincipal,
 * the audit) name the account as a whole.
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { RESOURCE_NAMES, type CallScope, type RequestResources, type ResourceRef } from "../call.js";
import type { AccountDirectory, Directory } from "./directory.js";

type Fields = Partial<Record<"principalUin" | "uin" | "secretId" | "tokenId" | "fingerprint" | "name" | "policyName", unknown>>;

const text = (v: unknown): string => (typeof v === "string" ? v : "");
const uinOf = (v: unknown): bigint => (typeof v === "bigint" ? v : 0n);

/** For each method: the principal it acts on ("" when none), from the request. */
const PRINCIPAL_OF: Record<string, (r: Fields, dir: AccountDirectory, caller: string) => string> = {
  CreateAccessKey: (r, _d, caller) => orCaller(r.principalUin, caller),
  CreateToken: (r, _d, caller) => orCaller(r.principalUin, caller),
  RegisterCertificate: (r, _d, caller) => orCaller(r.principalUin, caller),
  ListAccessKeys: (r) => orNone(r.principalUin),
  ListTokens: (r) => orNone(r.principalUin),
  ListCertificates: (r) => orNone(r.principalUin),
  DeletePrincipal: (r) => uinOf(r.uin).toString(),
  AttachPolicy: (r) => uinOf(r.principalUin).toString(),
  DetachPolicy: (r) => uinOf(r.principalUin).toString(),
  EnableAccessKey: (r, d) => ownerOr(d, d.getAccessKey(text(r.secretId)), (k) => k.principalUin ?? k.uin),
  DisableAccessKey: (r, d) => ownerOr(d, d.getAccessKey(text(r.secretId)), (k) => k.principalUin ?? k.uin),
  DeleteAccessKey: (r, d) => ownerOr(d, d.getAccessKey(text(r.secretId)), (k) => k.principalUin ?? k.uin),
  DeleteToken: (r, d) => ownerOr(d, d.getToken(text(r.tokenId)), (t) => t.principalUin),
  DeleteCertificate: (r, d) => ownerOr(d, d.getCertificate(text(r.fingerprint)), (c) => c.principalUin),
};

/** For each method: the policy it names. */
const POLICY_OF: Record<string, (r: Fields) => string> = {
  CreatePolicy: (r) => text(r.name),
  UpdatePolicy: (r) => text(r.name),
  DeletePolicy: (r) => text(r.name),
  AttachPolicy: (r) => text(r.policyName),
  DetachPolicy: (r) => text(r.policyName),
};

function orCaller(v: unknown, caller: string): string {
  const uin = uinOf(v);
  return uin === 0n ? caller : uin.toString();
}

function orNone(v: unknown): string {
  const uin = uinOf(v);
  return uin === 0n ? "" : uin.toString();
}

/** A credential's principal, or the account root's when the id names nothing of the account. */
function ownerOr<T>(dir: AccountDirectory, record: T | undefined, owner: (r: T) => string): string {
  return record ? owner(record) : dir.account.toString();
}

export function adminResources(directory: Directory): RequestResources {
  return {
    subjects: () => [],
    async resources(method: DescMethod, req: MessageShape<DescMessage>, scope: CallScope): Promise<ResourceRef[]> {
      const r = req as unknown as Fields;
      const dir = directory.in(BigInt(scope.account));
      const refs: ResourceRef[] = [];
      const principal = PRINCIPAL_OF[method.name]?.(r, dir, scope.principalUin) ?? "";
      if (principal !== "") refs.push({ resource: RESOURCE_NAMES.principal(scope.account, principal) });
      const policy = POLICY_OF[method.name]?.(r) ?? "";
      if (policy !== "") refs.push({ resource: RESOURCE_NAMES.policy(scope.account, policy) });
      return refs;
    },
  };
}
