/** Shared steps of the KeyVersionService actions: resolve key and version, present a version, the one-enabled-version rule. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { KeyVersionState, type KeyVersionMetadataSchema } from "../../../gen/kms/v1/versions_pb.js";
import { KmsError } from "../../errors.js";
import type { BatchOp } from "../../store/store.js";
import type { Journal } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyRecord, KeyVersionInfo, VersionState } from "../key.js";
import { keyLock } from "../locks.js";
import { seconds } from "../present.js";
import { loadKey } from "../resolve.js";
import { primaryVersion } from "../versions.js";

const STATE_TO_ENUM: Record<VersionState, KeyVersionState> = {
  Enabled: KeyVersionState.ENABLED,
  Disabled: KeyVersionState.DISABLED,
  PendingDelete: KeyVersionState.PENDING_DELETE,
};

export function versionMetadata(key: KeyRecord, v: KeyVersionInfo): MessageInitShape<typeof KeyVersionMetadataSchema> {
  return {
    keyId: key.keyId,
    version: v.version,
    state: STATE_TO_ENUM[v.state],
    createTime: seconds(v.createTime),
    deletionDate: seconds(v.deletionDate),
    primary: primaryVersion(key) === v.version,
  };
}

/** Version operations need a key that has versions to manage. */
function assertVersionsManageable(key: KeyRecord): void {
  if (key.keyState === "PendingDelete" || key.keyState === "PendingImport")
    throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} is ${key.keyState}`);
}

export function findVersion(key: KeyRecord, version: number): KeyVersionInfo {
  const v = key.versions.find((x) => x.version === version);
  if (!v) throw new KmsError("ResourceNotFound", `key ${key.keyId} has no version ${version}`);
  return v;
}

/** A key must keep an Enabled version, or it could encrypt nothing. */
export function assertNotLastEnabled(key: KeyRecord, version: number): void {
  const enabled = key.versions.filter((v) => v.state === "Enabled");
  if (enabled.length === 1 && enabled[0]!.version === version)
    throw new KmsError("UnsupportedOperation", `version ${version} is the only enabled version of key ${key.keyId}`);
}

/**
 * Loads the key under its lock, finds the version, lets `change` compute the
 * new version info (and extra ops), and writes all in one batch.
 */
export async function changeVersion(
  deps: KmsDeps,
  journal: Journal,
  keyId: string,
  version: number,
  change: (key: KeyRecord, v: KeyVersionInfo) => { info: KeyVersionInfo; ops?: BatchOp[] } | undefined,
): Promise<KeyVersionInfo> {
  return deps.locks.run([keyLock(keyId)], async () => {
    const key = await loadKey(deps, keyId);
    assertVersionsManageable(key);
    const v = findVersion(key, version);
    const result = change(key, v);
    if (!result) return v;
    const after: KeyRecord = { ...key, versions: key.versions.map((x) => (x.version === version ? result.info : x)) };
    await deps.repo.commit([...(result.ops ?? []), deps.repo.putKey(after)], journal);
    return result.info;
  });
}
