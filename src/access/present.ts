/** Directory records → AdminService messages. Secrets never pass through here. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AccessKeyStatus, type AccessKeySchema, type AuditEventSchema, type PolicySchema, type PrincipalSchema, type TokenSchema } from "../../gen/kms/v1/admin_pb.js";
import { protoSeconds as seconds } from "../clock.js";
import type { StoredAuditEvent } from "../audit/event.js";
import type { AccessKeyRecord } from "./access-key.js";
import type { PolicyRecord, PrincipalRecord, TokenRecord } from "./principal.js";

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
  return { uin: BigInt(p.uin), name: p.name, description: p.description, createTime: seconds(p.createTime), root: p.root, policyNames: [...p.policies] };
}

export function policyMessage(p: PolicyRecord, attachments: number): MessageInitShape<typeof PolicySchema> {
  return { name: p.name, description: p.description, document: p.document, createTime: seconds(p.createTime), updateTime: seconds(p.updateTime), attachmentCount: attachments };
}

export function tokenMessage(t: TokenRecord): MessageInitShape<typeof TokenSchema> {
  return { tokenId: t.tokenId, principalUin: BigInt(t.principalUin), description: t.description, createTime: seconds(t.createTime) };
}

export function auditEventMessage(e: StoredAuditEvent): MessageInitShape<typeof AuditEventSchema> {
  return {
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
