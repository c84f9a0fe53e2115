/** Domain records → contract messages. The only place that knows both spellings. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { KeyState as KeyStateEnum, KeyUsage as KeyUsageEnum, Origin as OriginEnum, type KeyMetadataSchema } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionState, type KeyVersionMetadataSchema } from "../../gen/kms/v1/versions_pb.js";
import { unixSeconds } from "../clock.js";
import { KmsError, type ErrorCode } from "../errors.js";
import type { AccountLabel, KeyOrigin, KeyRecord, KeyState, KeyUsage, KeyVersionInfo, VersionState } from "./key.js";
import type { KmsDeps } from "./deps.js";
import { hsmClusterOf } from "./validate.js";
import { primaryVersion } from "./versions.js";

export const KEY_STATE_TO_ENUM: Record<KeyState, KeyStateEnum> = {
  Enabled: KeyStateEnum.ENABLED,
  Disabled: KeyStateEnum.DISABLED,
  PendingDelete: KeyStateEnum.PENDING_DELETE,
  PendingImport: KeyStateEnum.PENDING_IMPORT,
  Archived: KeyStateEnum.ARCHIVED,
};

export const KEY_USAGE_TO_ENUM: Record<KeyUsage, KeyUsageEnum> = {
  ENCRYPT_DECRYPT: KeyUsageEnum.ENCRYPT_DECRYPT,
  ASYMMETRIC_DECRYPT_RSA_2048: KeyUsageEnum.ASYMMETRIC_DECRYPT_RSA_2048,
  ASYMMETRIC_DECRYPT_SM2: KeyUsageEnum.ASYMMETRIC_DECRYPT_SM2,
  ASYMMETRIC_SIGN_VERIFY_SM2: KeyUsageEnum.ASYMMETRIC_SIGN_VERIFY_SM2,
  ASYMMETRIC_SIGN_VERIFY_RSA_2048: KeyUsageEnum.ASYMMETRIC_SIGN_VERIFY_RSA_2048,
  ASYMMETRIC_SIGN_VERIFY_ECC: KeyUsageEnum.ASYMMETRIC_SIGN_VERIFY_ECC,
  ASYMMETRIC_SIGN_VERIFY_ECDSA384: KeyUsageEnum.ASYMMETRIC_SIGN_VERIFY_ECDSA384,
  ASYMMETRIC_DECRYPT_ML_KEM_768: KeyUsageEnum.ASYMMETRIC_DECRYPT_ML_KEM_768,
  ASYMMETRIC_SIGN_VERIFY_ML_DSA_65: KeyUsageEnum.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65,
};

export const ORIGIN_TO_ENUM: Record<KeyOrigin, OriginEnum> = {
  TENCENT_KMS: OriginEnum.TENCENT_KMS,
  EXTERNAL: OriginEnum.EXTERNAL,
};

/** The domain spelling of a contract enum value, or `code` when the value is unknown. */
export function fromEnum<K extends string>(table: Record<K, number>, value: number, field: string, code: ErrorCode = "InvalidParameterValue"): K {
  const hit = (Object.keys(table) as K[]).find((k) => table[k] === value);
  if (hit === undefined) throw new KmsError(code, `${field} has an unknown value ${value}`);
  return hit;
}

/** A filter's value: undefined for 0 (the contract's UNSPECIFIED, "any"), else as fromEnum. */
export function filterOf<K extends string>(table: Record<K, number>, value: number, field: string): K | undefined {
  return value === 0 ? undefined : fromEnum(table, value, field);
}

/** Unix seconds as the contract's int64, 0 for "not set". */
export function seconds(ms: number | undefined): bigint {
  return ms === undefined ? 0n : BigInt(unixSeconds(ms));
}

/** What a key's metadata says beyond its record: where it lives (this service's cluster) and its owner's name. */
export interface MetadataScope {
  hsmClusterId: string;
  /** The name and app id of an account (KmsDeps.accountLabel); absent: left empty. */
  accountLabel?: ((account: string) => AccountLabel | undefined) | undefined;
}

export function metadataScope(deps: KmsDeps): MetadataScope {
  return { hsmClusterId: hsmClusterOf(deps.settings), accountLabel: deps.accountLabel };
}

/** Everything public about a key. */
export function keyMetadata(key: KeyRecord, scope: MetadataScope): MessageInitShape<typeof KeyMetadataSchema> {
  const account = scope.accountLabel?.(key.account);
  return {
    accountUin: BigInt(key.account),
    accountName: account?.name ?? "",
    accountAppId: account?.appId ?? 0n,
    keyId: key.keyId,
    alias: key.alias,
    createTime: seconds(key.createTime),
    description: key.description,
    keyState: KEY_STATE_TO_ENUM[key.keyState],
    keyUsage: KEY_USAGE_TO_ENUM[key.keyUsage],
    type: key.keyType,
    creatorUin: BigInt(key.creatorUin),
    creatorUinString: key.creatorUin,
    keyRotationEnabled: key.rotation.enabled,
    owner: key.owner,
    nextRotateTime: seconds(key.rotation.enabled ? key.rotation.nextRotateTime : undefined),
    deletionDate: seconds(key.keyState === "PendingDelete" ? key.deletionDate : undefined),
    origin: ORIGIN_TO_ENUM[key.origin],
    validTo: seconds(key.validTo),
    resourceId: `creatorUin/${key.creatorUin}/${key.keyId}`,
    rotateDays: key.rotation.enabled ? key.rotation.rotateDays : 0,
    lastRotateTime: seconds(key.rotation.lastRotateTime),
    primaryVersion: primaryVersion(key) ?? 0,
    versionCount: key.versions.length,
    tags: key.tags.map((t) => ({ tagKey: t.key, tagValue: t.value })),
    bindings: (key.bindings ?? []).map((b) => ({ productId: b.productId, resourceId: b.resourceId })),
    hsmClusterId: scope.hsmClusterId,
    // A key is its own primary copy: nothing is replicated or synchronised across regions here.
    isSyncReplica: 0,
    sourceRegion: "",
    syncStatus: 0,
    syncMessages: "",
    syncStartTime: 0n,
    syncEndTime: 0n,
    sourceHsmClusterId: "",
  };
}

const VERSION_STATE_TO_ENUM: Record<VersionState, KeyVersionState> = {
  Enabled: KeyVersionState.ENABLED,
  Disabled: KeyVersionState.DISABLED,
  PendingDelete: KeyVersionState.PENDING_DELETE,
};

export function versionMetadata(key: KeyRecord, v: KeyVersionInfo): MessageInitShape<typeof KeyVersionMetadataSchema> {
  return {
    keyId: key.keyId,
    version: v.version,
    state: VERSION_STATE_TO_ENUM[v.state],
    createTime: seconds(v.createTime),
    deletionDate: seconds(v.deletionDate),
    primary: primaryVersion(key) === v.version,
  };
}
