/** Shared steps of the secrets actions: scope, locks, load a secret or version, resolve the CMK, write one change. */
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import { retryOnConflict } from "../../store/guarded.js";
import type { BatchOp, Guard } from "../../store/store.js";
import type { SecretsDeps } from "../deps.js";
import { countLockName, secretLockName } from "../locks.js";
import { subjectOf, type ProductView } from "../present.js";
import type { SecretRef } from "../products/values.js";
import type { KmsKeyType, SecretRecord, SecretScope, SecretTag, SecretVersionInfo } from "../secret.js";
import { assertKmsKeyId, assertSecretName } from "../validate.js";

/** The account and region a call acts in. */
export function scopeOf(call: CallContext): SecretScope {
  return { account: call.uin.toString(), region: call.region };
}

export const secretLock = (s: SecretScope, name: string) => secretLockName(s.account, s.region, name);
/** Held by every change that adds a secret, so the per-region limit holds under concurrency. */
export const countLock = (s: SecretScope) => countLockName(s.account, s.region);

export function secretNotFound(name: string): KmsError {
  return new KmsError("ResourceNotFound", `secret ${name} does not exist`);
}

/** Validates the name and loads the secret, or throws ResourceNotFound. */
export async function loadSecret(deps: SecretsDeps, scope: SecretScope, name: string): Promise<SecretRecord> {
  assertSecretName(name);
  const secret = await deps.repo.get(scope, name);
  if (!secret) throw secretNotFound(name);
  return secret;
}

export function findVersion(secret: SecretRecord, versionId: string): SecretVersionInfo {
  const v = secret.versions.find((x) => x.versionId === versionId);
  if (!v) throw new KmsError("ResourceNotFound", `secret ${secret.name} has no version ${versionId}`);
  return v;
}

/** The secret with one version replaced. */
export function withVersion(secret: SecretRecord, version: SecretVersionInfo): SecretRecord {
  return { ...secret, versions: secret.versions.map((v) => (v.versionId === version.versionId ? version : v)) };
}

export function tagsOf(tags: readonly { tagKey: string; tagValue: string }[]): SecretTag[] {
  return tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
}

/** The CMK of a new secret: the one named, or Secrets Manager's default for the account and region. */
export async function resolveKmsKey(deps: SecretsDeps, call: CallContext, kmsKeyId: string, field = "KmsKeyId"): Promise<{ kmsKeyId: string; kmsKeyType: KmsKeyType }> {
  if (kmsKeyId === "") return { kmsKeyId: await deps.cipher.defaultKeyId(call), kmsKeyType: "DEFAULT" };
  assertKmsKeyId(kmsKeyId, field);
  return { kmsKeyId, kmsKeyType: "CUSTOMER" };
}

/** New secrets must fit the account's limit in the region. */
export function assertRoomFor(deps: SecretsDeps, scope: SecretScope): void {
  if (deps.repo.count(scope) >= deps.settings.secretLimit)
    throw new KmsError("LimitExceeded", `an account keeps at most ${deps.settings.secretLimit} secrets in region ${scope.region}`);
}

export function secretExists(name: string): KmsError {
  return new KmsError("ResourceInUse.SecretExists", `secret ${name} already exists`);
}

/**
 * Runs one change of a secret under its in-process locks (calls on one
 * replica wait for each other) and re-runs it when another replica changed
 * what it read (StoreConflictError from its guarded batch), at most
 * MAX_CHANGE_ATTEMPTS times. `fn` reads what it decides on inside and guards
 * its commit with it (repo.guardOf, repo.absent*).
 */
export function underSecretLocks<T>(deps: SecretsDeps, scope: SecretScope, name: string, fn: () => Promise<T>, extraLocks: readonly string[] = []): Promise<T> {
  return retryOnConflict(`secret ${name}`, () => deps.locks.run([...extraLocks, secretLock(scope, name)], fn));
}

/**
 * Loads the secret under its lock, lets `change` compute the new record and
 * extra ops, and writes them in one batch through the call's journal,
 * guarded by the record as read (and any `guards` of the change's own). A
 * refusal inside `change` writes nothing; a change another replica made
 * meanwhile runs it again on the new record. Returns the record written.
 */
export async function changeSecret(
  deps: SecretsDeps,
  call: CallContext,
  name: string,
  change: (secret: SecretRecord) => Promise<SecretChange> | SecretChange,
): Promise<SecretRecord> {
  assertSecretName(name);
  const scope = scopeOf(call);
  return underSecretLocks(deps, scope, name, async () => {
    const secret = await loadSecret(deps, scope, name);
    const { record, ops = [], guards = [] } = await change(secret);
    await deps.repo.commit([deps.repo.putRecord(record), ...ops], call.journal, [subjectOf(name)], undefined, [deps.repo.guardOf(secret), ...guards]);
    return record;
  });
}

/** What a change of one secret writes: the record, and ops and guards of its own. */
export interface SecretChange {
  record: SecretRecord;
  ops?: BatchOp[];
  guards?: Guard[];
}

/** The products/ name of a secret of this call. */
export function refOf(scope: SecretScope, secretName: string): SecretRef {
  return { uin: scope.account, region: scope.region, secretName };
}

/** A product secret's rotation as DescribeSecret and ListSecrets show it; undefined for other secrets. `accounts`: also who is current. */
export async function productViewOf(deps: SecretsDeps, secret: SecretRecord, accounts = false): Promise<ProductView | undefined> {
  if (secret.secretType !== 1) return undefined;
  const ref = refOf(secret, secret.name);
  const binding = await deps.products.binding(ref);
  if (!binding) return undefined;
  const { rotation } = binding;
  return {
    enabled: rotation.enabled,
    frequencyDays: rotation.frequencyDays,
    ...(rotation.beginTime !== undefined ? { beginTime: rotation.beginTime } : {}),
    ...(rotation.nextRotateTime !== undefined ? { nextRotateTime: rotation.nextRotateTime } : {}),
    ...(accounts ? { accounts: (await deps.products.rotationHistory(ref)).AccountInfoList } : {}),
  };
}
