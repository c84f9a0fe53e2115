/** Directory records → AdminService messages. Secrets never pass through here. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AccessKeyStatus, type AccessKeySchema, type AuditEventSchema, type CertificateSchema, type PolicySchema, type PrincipalSchema, type TokenSchema } from "../../gen/kms/v1/admin_pb.js";
import { AccountStatus, type AccountSchema } from "../../gen/kms/v1/operator_pb.js";
import { protoSeconds as seconds } from "../clock.js";
import type { StoredAuditEvent } from "../audit/event.js";
import type { AccessKeyRecord } from "./access-key.js";
import type { AccountRecord, CertificateRecord, PolicyRecord, PrincipalRecord, TokenRecord } from "./principal.js";

export function accessKeyMessage(r: AccessKeyRecord): MessageInitShape<typeof AccessKeySchema> {
  return {
    secretId: r.secretId,
    status: r.status === "Enabled" ? AccessKeyStatus.ENABLED : AccessKeyStatus.DISABLED,
    createTime: seconds(r.createTime),
    description: r.description,
    uin: BigInt(r.uin),
    principalUin: BigInt(r.principalUin ?? r.uin),
  };
}

export function principalMessage(p: PrincipalRecord): MessageInitShape<typeof PrincipalSchema> {
  return { uin: BigInt(p.uin), name: p.name, description: p.description, createTime: seconds(p.createTime), root: p.root, policyNames: [...p.policies], accountUin: BigInt(p.account) };
}

export function policyMessage(p: PolicyRecord, attachments: number): MessageInitShape<typeof PolicySchema> {
  return { name: p.name, description: p.description, document: p.document, createTime: seconds(p.createTime), updateTime: seconds(p.updateTime), attachmentCount: attachments };
}

export function tokenMessage(t: TokenRecord): MessageInitShape<typeof TokenSchema> {
  return { tokenId: t.tokenId, principalUin: BigInt(t.principalUin), description: t.description, createTime: seconds(t.createTime), accountUin: BigInt(t.account) };
}

export function certificateMessage(c: CertificateRecord): MessageInitShape<typeof CertificateSchema> {
  return {
    fingerprint: c.fingerprint,
    principalUin: BigInt(c.principalUin),
    subject: c.subject,
    notBefore: seconds(c.notBefore),
    notAfter: seconds(c.notAfter),
    description: c.description,
    createTime: seconds(c.createTime),
    accountUin: BigInt(c.account),
  };
}

export function accountMessage(a: AccountRecord, defaultAccount: bigint): MessageInitShape<typeof AccountSchema> {
  return {
    uin: BigInt(a.uin),
    name: a.name,
    description: a.description,
    createTime: seconds(a.createTime),
    status: a.status === "Enabled" ? AccountStatus.ENABLED : AccountStatus.DISABLED,
    organizationUin: BigInt(a.organization ?? 0),
    appId: BigInt(a.appId ?? 0),
    default: BigInt(a.uin) === defaultAccount,
  };
}

/** An event as the API shows it; `defaultAccount` is where events older than accounts belong. */
export function auditEventMessage(e: StoredAuditEvent, defaultAccount: bigint): MessageInitShape<typeof AuditEventSchema> {
  return {
    accountUin: e.account === undefined ? defaultAccount : BigInt(e.account),
    memberAccountUins: (e.memberAccounts ?? []).map((a) => BigInt(a)),
    seq: BigInt(e.seq),
    timeMs: BigInt(e.time),
    principalUin: e.principalUin === "" ? 0n : BigInt(e.principalUin),
    principalName: e.principalName,
    credential: e.credential,
    source: e.source,
    transport: e.transport,
    action: e.action,
    keyIds: [...e.keyIds],
    result: e.result,
    requestId: e.requestId,
    latencyMs: e.latencyMs,
    mac: e.mac,
  };
}
