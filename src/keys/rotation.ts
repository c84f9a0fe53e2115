/** Rotation: a new random version becomes primary; old versions keep decrypting. Shared by RotateKey and the scheduler. */
import type { BatchOp } from "../store/store.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord } from "./key.js";
import { newRandomVersion } from "./version-material.js";
import { withVersion } from "./versions.js";

export const DAY_MS = 86_400_000;

/** Ops that move a key's automatic rotation date (entry removed, added). */
export function rescheduleOps(deps: KmsDeps, before: KeyRecord, nextMs: number | undefined): BatchOp[] {
  const ops: BatchOp[] = [];
  const prev = before.rotation.nextRotateTime;
  if (prev !== undefined) ops.push(deps.repo.delSchedule("rotation", prev, before.keyId));
  if (nextMs !== undefined) ops.push(deps.repo.putSchedule("rotation", nextMs, before.keyId));
  return ops;
}

/**
 * Rotates now: appends a version, records the time, and (when automatic
 * rotation is on) postpones the next automatic rotation by a full period.
 */
export function rotateNow(deps: KmsDeps, key: KeyRecord, nowMs: number, manual: boolean): { key: KeyRecord; ops: BatchOp[] } {
  const added = newRandomVersion(deps, key, nowMs);
  const next = key.rotation.enabled ? nowMs + key.rotation.rotateDays * DAY_MS : undefined;
  const rotated = withVersion(key, added.info);
  rotated.rotation = {
    ...key.rotation,
    lastRotateTime: nowMs,
    ...(manual ? { lastManualRotateTime: nowMs } : {}),
    ...(next !== undefined ? { nextRotateTime: next } : {}),
  };
  return { key: rotated, ops: [added.op, ...rescheduleOps(deps, key, next), deps.repo.putKey(rotated)] };
}
