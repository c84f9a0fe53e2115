/** Secret records → contract messages. The only place that knows both spellings. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  KmsKeyType as KmsKeyTypeEnum,
  SecretStatus as SecretStatusEnum,
  SecretVersionState as VersionStateEnum,
  type DatabaseInstanceSchema,
  type DescribeSecretResponseSchema,
  type SecretAccountInfoSchema,
  type SecretMetadataSchema,
  type VersionInfoSchema,
} from "../../gen/ssm/v1/ssm_pb.js";
import { unixSeconds } from "../clock.js";
import type { InstanceRecord } from "./products/instance.js";
import { formatApiTime } from "./products/rotation.js";
import type { KmsKeyType, SecretRecord, SecretStatus, SecretVersionInfo, VersionState } from "./secret.js";

export const STATUS_TO_ENUM: Record<SecretStatus, SecretStatusEnum> = {
  Enabled: SecretStatusEnum.ENABLED,
  Disabled: SecretStatusEnum.DISABLED,
  PendingDelete: SecretStatusEnum.PENDING_DELETE,
  Creating: SecretStatusEnum.CREATING,
  Failed: SecretStatusEnum.FAILED,
};

/** ListSecrets' State filter numbers are the enum's numbers (1 Enabled ... 5 Failed). */
export function statusOfFilter(state: number): SecretStatus | undefined {
  return (Object.keys(STATUS_TO_ENUM) as SecretStatus[]).find((s) => STATUS_TO_ENUM[s] === state);
}

export const VERSION_STATE_TO_ENUM: Record<VersionState, VersionStateEnum> = {
  Enabled: VersionStateEnum.ENABLED,
  Disabled: VersionStateEnum.DISABLED,
};

const KMS_KEY_TYPE_TO_ENUM: Record<KmsKeyType, KmsKeyTypeEnum> = {
  DEFAULT: KmsKeyTypeEnum.DEFAULT,
  CUSTOMER: KmsKeyTypeEnum.CUSTOMER,
};

/** Unix seconds as the contract's int64, 0 for "not set". */
export function seconds(ms: number | undefined): bigint {
  return ms === undefined ? 0n : BigInt(unixSeconds(ms));
}

/** The names a secret answers with. */
export function subjectOf(name: string): string {
  return `secret/${name}`;
}

export function versionInfo(v: SecretVersionInfo): MessageInitShape<typeof VersionInfoSchema> {
  return {
    versionId: v.versionId,
    createTime: seconds(v.createTime),
    state: VERSION_STATE_TO_ENUM[v.state],
    validFrom: seconds(v.validFrom),
    validTo: seconds(v.validTo),
  };
}

/** What DescribeSecret and ListSecrets show of a product secret's rotation (its binding), and its accounts. */
export interface ProductView {
  enabled: boolean;
  frequencyDays: number;
  beginTime?: number;
  nextRotateTime?: number;
  accounts?: readonly { AccountName: string; Host: string[]; Version: string; RotatedTime: string }[];
}

export function accountInfo(a: { AccountName: string; Host: string[]; Version: string; RotatedTime: string }): MessageInitShape<typeof SecretAccountInfoSchema> {
  return { accountName: a.AccountName, host: [...a.Host], version: a.Version, rotatedTime: a.RotatedTime };
}

/** Set only while PendingDelete (RestoreSecret clears it), so 0 in every other state. */
function deleteTimeOf(s: SecretRecord): bigint {
  return seconds(s.deleteTime);
}

export function secretMetadata(s: SecretRecord, product?: ProductView): MessageInitShape<typeof SecretMetadataSchema> {
  return {
    secretName: s.name,
    description: s.description,
    kmsKeyId: s.kmsKeyId,
    createUin: BigInt(s.creatorUin),
    status: STATUS_TO_ENUM[s.status],
    deleteTime: deleteTimeOf(s),
    createTime: seconds(s.createTime),
    kmsKeyType: KMS_KEY_TYPE_TO_ENUM[s.kmsKeyType],
    rotationStatus: product?.enabled ? 1 : 0,
    nextRotationTime: product?.enabled ? seconds(product.nextRotateTime) : 0n,
    secretType: s.secretType,
    productName: s.product?.name ?? "",
    resourceName: s.ssh?.keyName ?? "",
    projectId: BigInt(s.ssh?.projectId ?? 0),
    associatedInstanceIds: [],
    targetUin: 0n,
    rotationFrequency: product?.frequencyDays ?? 0,
    resourceId: s.product?.instanceId ?? "",
    rotationBeginTime: product?.beginTime === undefined ? "" : formatApiTime(product.beginTime),
    encryptType: 0,
    encryptSwitching: false,
    createUinString: s.creatorUin,
    targetUinString: "",
  };
}

export function describeSecret(s: SecretRecord, product?: ProductView): MessageInitShape<typeof DescribeSecretResponseSchema> {
  return {
    secretName: s.name,
    description: s.description,
    kmsKeyId: s.kmsKeyId,
    createUin: BigInt(s.creatorUin),
    status: STATUS_TO_ENUM[s.status],
    deleteTime: deleteTimeOf(s),
    createTime: seconds(s.createTime),
    secretType: s.secretType,
    productName: s.product?.name ?? "",
    resourceId: s.product?.instanceId ?? "",
    rotationStatus: product?.enabled ?? false,
    rotationFrequency: product?.frequencyDays ?? 0,
    resourceName: s.ssh?.keyName ?? "",
    projectId: BigInt(s.ssh?.projectId ?? 0),
    associatedInstanceIds: [],
    targetUin: 0n,
    additionalConfig: s.additionalConfig,
    encryptType: 0,
    encryptSwitching: false,
    createUinString: s.creatorUin,
    targetUinString: "",
    accountInfoList: (product?.accounts ?? []).map(accountInfo),
    nextRotationTime: product?.enabled && product.nextRotateTime !== undefined ? formatApiTime(product.nextRotateTime) : "",
    tags: s.tags.map((t) => ({ tagKey: t.key, tagValue: t.value })),
    kmsKeyType: KMS_KEY_TYPE_TO_ENUM[s.kmsKeyType],
  };
}

/** A registered database instance as callers see it: never its admin password. */
export function databaseInstance(r: InstanceRecord): MessageInitShape<typeof DatabaseInstanceSchema> {
  return {
    instanceId: r.instanceId,
    productName: r.product,
    host: r.host,
    port: r.port,
    adminUser: r.adminUser,
    description: r.description,
    createTime: seconds(r.createTime),
    updateTime: seconds(r.updateTime),
  };
}
