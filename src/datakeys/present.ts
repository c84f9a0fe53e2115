/** Data key records → contract messages. The only place that knows both spellings. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { DataKeyState as DataKeyStateEnum, type DataKeyMetadataSchema } from "../../gen/kms/v1/datakeys_pb.js";
import { Origin as OriginEnum } from "../../gen/kms/v1/kms_pb.js";
import { protoSeconds } from "../clock.js";
import type { CallContext } from "../call.js";
import type { DataKeyOrigin, DataKeyScope, DataKeyState } from "./data-key.js";
import type { DataKeysDeps } from "./deps.js";
import type { DataKeySummary } from "./listing-index.js";

export const STATE_TO_ENUM: Readonly<Record<DataKeyState, DataKeyStateEnum>> = {
  Enabled: DataKeyStateEnum.ENABLED,
  Disabled: DataKeyStateEnum.DISABLED,
  PendingDelete: DataKeyStateEnum.PENDING_DELETE,
};

export const ORIGIN_TO_ENUM: Readonly<Record<DataKeyOrigin, OriginEnum>> = {
  TENCENT_KMS: OriginEnum.TENCENT_KMS,
  EXTERNAL: OriginEnum.EXTERNAL,
};

/** The call's account and region: where its data keys live. */
export function scopeOf(call: CallContext): DataKeyScope {
  return { account: call.uin.toString(), region: call.region };
}

/** One data key's metadata (from its record or its listing summary); `keyName` is its CMK's alias ("" once the CMK is gone). */
export function dataKeyMetadata(deps: DataKeysDeps, scope: DataKeyScope, r: DataKeySummary, keyName: string): MessageInitShape<typeof DataKeyMetadataSchema> {
  const account = deps.accountLabel?.(scope.account);
  return {
    dataKeyId: r.dataKeyId,
    keyId: r.keyId,
    keyName,
    dataKeyName: r.name,
    numberOfBytes: r.numberOfBytes,
    createTime: protoSeconds(r.createTime),
    description: r.description,
    keyState: STATE_TO_ENUM[r.state],
    creatorUin: BigInt(r.creatorUin),
    creatorUinString: r.creatorUin,
    owner: r.owner,
    deletionDate: protoSeconds(r.state === "PendingDelete" ? r.deletionDate : undefined),
    origin: ORIGIN_TO_ENUM[r.origin],
    hsmClusterId: deps.settings.hsmClusterId,
    resourceId: `creatorUin/${r.creatorUin}/${r.dataKeyId}`,
    // A data key is its own primary copy: nothing is replicated or synchronised across regions here.
    isSyncReplica: 0,
    sourceRegion: "",
    syncStatus: 0,
    syncMessages: "",
    syncStartTime: 0n,
    syncEndTime: 0n,
    sourceHsmClusterId: "",
    accountAppId: account?.appId ?? 0n,
    accountUin: BigInt(scope.account),
    accountName: account?.name ?? "",
    tags: r.tags.map((t) => ({ tagKey: t.key, tagValue: t.value })),
  };
}

/** Metadata of several data keys of one scope, each CMK's alias looked up once. */
export async function dataKeyMetadatas(deps: DataKeysDeps, scope: DataKeyScope, records: readonly DataKeySummary[]): Promise<MessageInitShape<typeof DataKeyMetadataSchema>[]> {
  const names = new Map<string, string>();
  for (const keyId of new Set(records.map((r) => r.keyId))) names.set(keyId, (await deps.cipher.facts(scope, keyId))?.alias ?? "");
  return records.map((r) => dataKeyMetadata(deps, scope, r, names.get(r.keyId) ?? ""));
}
