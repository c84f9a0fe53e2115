/** Applies one version action (version-state.ts) to one version of a key, atomically, under the key's lock. */
import { KmsError } from "../errors.js";
import type { BatchOp } from "../store/store.js";
import type { CallContext } from "../call.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord, KeyVersionInfo } from "./key.js";
import { changeKeys } from "./change.js";
import { resolveKey } from "./resolver.js";
import { assertVersionTransition, type VersionAction } from "./version-state.js";

/** A version of the key, or ResourceNotFound. */
export function findVersion(key: KeyRecord, version: number): KeyVersionInfo {
  const v = key.versions.find((x) => x.version === version);
  if (!v) throw new KmsError("ResourceNotFound", `key ${key.keyId} has no version ${version}`);
  return v;
}

/**
 * Resolves the key under its lock for managing versions (its state must allow it);
 * checks the version exists and the version table allows `action`; lets
 * `extra` set action-specific fields on the new info and add ops (schedule
 * entries); writes the key in one batch. Nothing is written when the state
 * stays and `extra` adds nothing.
 */
export async function transitionVersion(
  deps: KmsDeps,
  call: CallContext,
  keyId: string,
  version: number,
  action: VersionAction,
  extra?: (key: KeyRecord, before: KeyVersionInfo, after: KeyVersionInfo) => BatchOp[],
): Promise<KeyVersionInfo> {
  return changeKeys(deps, [keyId], async () => {
    const key = await resolveKey(deps, call, "manage-versions", keyId);
    const before = findVersion(key, version);
    const after: KeyVersionInfo = { ...before, state: assertVersionTransition(key, before, action) };
    const ops = extra?.(key, before, after) ?? [];
    if (after.state === before.state && ops.length === 0) return before;
    const updated: KeyRecord = { ...key, versions: key.versions.map((x) => (x.version === version ? after : x)) };
    await deps.repo.commit([...ops, deps.repo.putKey(updated)], call.journal, [deps.repo.guardOf(key)]);
    return after;
  });
}
