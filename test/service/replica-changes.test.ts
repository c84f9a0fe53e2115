/**
 * Two replicas in one process, sharing one store but nothing else: each its
 * own repository (cache, index), its own in-process locks and material caches,
 * so only the store's guards stand between their changes, as between two
 * processes on etcd (LevelDB honours guards the same way).
 *
 * - The scheduled jobs run on both at once (two leaders, as around a
 *   failover): every due rotation, version purge and key purge happens once.
 * - Lifecycle and alias changes raced from both: each one applies once, and
 *   the loser answers as the second caller would.
 */
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateKeyRequestSchema, DisableKeyRequestSchema, EnableKeyRequestSchema, EnableKeyRotationRequestSchema, ScheduleKeyDeletionRequestSchema, UpdateAliasRequestSchema } from "../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../src/call.js";
import { KmsError } from "../../src/errors.js";
import { actions } from "../../src/keys/actions/index.js";
import type { KmsDeps } from "../../src/keys/deps.js";
import { LockSet } from "../../src/keys/locks.js";
import { MaterialCache } from "../../src/keys/material.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { runDueWork } from "../../src/keys/scheduler.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openService, type Service } from "./harness.js";

const DAY = 86_400_000;

/** A second replica over the same store: nothing shared with the first but the store, the root key and the clock. */
async function secondReplica(s: Service): Promise<KmsDeps> {
  const repo = new KeyRepository(s.store);
  await repo.open();
  return { ...s.deps, repo, locks: new LockSet(), materials: new MaterialCache(), privateKeys: new MaterialCache() };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof KmsError) return err.code;
    throw err;
  }
}

describe("two replicas on one store", () => {
  let s: Service;
  let other: KmsDeps;
  let call: CallContext;

  beforeAll(async () => {
    s = await openService();
    other = await secondReplica(s);
    call = s.call;
  });
  afterAll(async () => {
    await s?.close();
  });

  it("jobs run by both replicas at once rotate each key once and purge each key once", async () => {
    const rotating: string[] = [];
    const purging: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { keyId } = await actions.createKey(s.deps, create(CreateKeyRequestSchema, { alias: `job-rot-${i}` }), call);
      await actions.enableKeyRotation(s.deps, create(EnableKeyRotationRequestSchema, { keyId, rotateDays: 7 }), call);
      rotating.push(keyId as string);
      const purge = await actions.createKey(s.deps, create(CreateKeyRequestSchema, { alias: `job-del-${i}` }), call);
      await actions.disableKey(s.deps, create(DisableKeyRequestSchema, { keyId: purge.keyId }), call);
      await actions.scheduleKeyDeletion(s.deps, create(ScheduleKeyDeletionRequestSchema, { keyId: purge.keyId, pendingWindowInDays: 7 }), call);
      purging.push(purge.keyId as string);
    }
    s.clock.advance(8 * DAY);
    // Both "leaders" take the same due entries and race over them.
    const [one, two] = await Promise.all([runDueWork(s.deps), runDueWork(other)]);
    const done = [...one, ...two];
    for (const keyId of rotating) {
      expect(done.filter((d) => d.kind === "rotation" && d.subject === keyId)).toHaveLength(1);
      const key = await s.record(keyId);
      // Version 1 at creation, exactly one rotation since.
      expect(key.versions.map((v) => v.version)).toEqual([1, 2]);
    }
    for (const keyId of purging) {
      expect(done.filter((d) => d.kind === "key-deletion" && d.subject === keyId)).toHaveLength(1);
      expect(await s.store.get(keyspace.key(keyId))).toBeUndefined();
    }
    // Each replica's count follows what the other purged (no watch here: from its own commits and reads).
    expect(one.length + two.length).toBe(rotating.length + purging.length);
    // A second round finds nothing left to do.
    expect([...(await runDueWork(s.deps)), ...(await runDueWork(other))]).toEqual([]);
  });

  it("DisableKey and EnableKey raced from both replicas each apply once, and the record's last write is one of them", async () => {
    const { keyId } = await actions.createKey(s.deps, create(CreateKeyRequestSchema, { alias: "raced-state" }), call);
    const id = keyId as string;
    for (let round = 0; round < 30; round++) {
      const results = await Promise.all([
        outcome(actions.disableKey(s.deps, create(DisableKeyRequestSchema, { keyId: id }), call)),
        outcome(actions.enableKey(other, create(EnableKeyRequestSchema, { keyId: id }), call)),
      ]);
      expect(results).toEqual(["ok", "ok"]);
      // Each replica reads the store's state when it changes it: both agree on it.
      const mine = (await s.record(id)).keyState;
      other.repo.forget([id]);
      expect((await other.repo.getKey(id))?.keyState).toBe(mine);
    }
  });

  it("ScheduleKeyDeletion raced from both: one wins, the other answers as the second caller (CmkStateNotSupport)", async () => {
    for (let round = 0; round < 10; round++) {
      const { keyId } = await actions.createKey(s.deps, create(CreateKeyRequestSchema, { alias: `sched-${round}` }), call);
      await actions.disableKey(s.deps, create(DisableKeyRequestSchema, { keyId }), call);
      const results = await Promise.all([
        outcome(actions.scheduleKeyDeletion(s.deps, create(ScheduleKeyDeletionRequestSchema, { keyId, pendingWindowInDays: 7 }), call)),
        outcome(actions.scheduleKeyDeletion(other, create(ScheduleKeyDeletionRequestSchema, { keyId, pendingWindowInDays: 9 }), call)),
      ]);
      expect([...results].sort()).toEqual(["ResourceUnavailable.CmkStateNotSupport", "ok"]);
      // One schedule entry, matching the record's date.
      const key = await s.record(keyId as string);
      const entries: string[] = [];
      for await (const k of s.store.scanKeys({ prefix: keyspace.schedulePrefix("key-deletion") })) if (k.endsWith(`/${keyId}`)) entries.push(k);
      expect(entries).toEqual([keyspace.schedule("key-deletion", key.deletionDate as number, keyId as string)]);
    }
  });

  it("CreateKey and UpdateAlias raced onto one alias from both replicas: exactly one wins", async () => {
    for (let round = 0; round < 20; round++) {
      const alias = `contest-${round}`;
      const moving = (await actions.createKey(other, create(CreateKeyRequestSchema, { alias: `mover-${round}` }), call)).keyId as string;
      const results = await Promise.all([
        outcome(actions.createKey(s.deps, create(CreateKeyRequestSchema, { alias }), call)),
        outcome(actions.updateAlias(other, create(UpdateAliasRequestSchema, { keyId: moving, alias }), call)),
      ]);
      expect([...results].sort()).toEqual(["InvalidParameterValue.AliasAlreadyExists", "ok"]);
      const owner = Buffer.from((await s.store.get(keyspace.alias("100000000001", "ap-guangzhou", alias))) as Uint8Array).toString();
      const ownerRecord = await s.record(owner);
      expect(ownerRecord.alias).toBe(alias);
      if (results[1] === "ok") expect(owner).toBe(moving);
      else expect((await s.record(moving)).alias).toBe(`mover-${round}`);
    }
  });
});
