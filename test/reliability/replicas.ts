/**
 * 9. Replicas: three etcd members and three KMS replicas (`node dist/main.js`
 * with KMS_STORE=etcd, each its own data directory and KMS_REPLICA_ID), all
 * on loopback and started here. Under mixed load spread over the replicas
 * (CreateKey, Encrypt/Decrypt, lifecycle and alias changes on contested
 * keys, due rotations injected for the elected leader to run), four faults:
 *
 *   1. kill -9 a replica (not the leader), then start it again;
 *   2. kill -9 an etcd member, then start it again;
 *   3. kill -9 the replica that leads the scheduled jobs, then start it again;
 *   4. SIGSTOP an etcd member (cut off, sockets open and silent), then SIGCONT.
 *
 * Checks: every acknowledged CreateKey is stored; the lifecycle history of
 * each contested key and the alias history are linearizable (calls whose
 * answer was lost count as "maybe"); every injected due rotation ran exactly
 * once (never twice, never lost); never two leaders at once (from the
 * replicas' own log lines); every replica's audit chain and their witnesses
 * verify. Figures: the time each fault took to recover from.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Etcd3 } from "etcd3";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { keyspace } from "../../src/store/keyspace.js";
import { openEtcdStore } from "../../src/store/etcd-store.js";
import { coordinationOf } from "../../src/store/open.js";
import type { KvStore } from "../../src/store/store.js";
import { bearer } from "../helpers/clients.js";
import { startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { checkLinearizable, type HistoryOp } from "./lib/linearizability.js";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, enc, outcome, sameBytes, type KmsClient } from "./lib/rpc.js";
import { newIdentity, pick, rnd, sleep, startServer, type KmsProcess, type ServerIdentity } from "./lib/server.js";
import type { Mode } from "./mode.js";
import { aliasStep, lifeModel, type Aliases, type Life, type LifeOp } from "./races.js";

const LEADER_TTL_S = 2;
const STALE_MS = 1000;

/** One recorded call of the mixed load. */
interface Call {
  kind: LifeOp | "UpdateAlias" | "CreateKey" | "Encrypt";
  replica: number;
  keyId: string;
  alias: string;
  call: number;
  ret: number;
  /** "ok", an API code, or "unknown" (no answer: the outcome is not known). */
  result: string;
}

/** The member that leads raft now (undefined: none answers as leader). */
async function raftLeader(cluster: EtcdCluster): Promise<number | undefined> {
  for (let i = 0; i < cluster.members.length; i++) {
    if (!cluster.member(i).running) continue;
    const c = new Etcd3({ hosts: [cluster.member(i).clientUrl], dialTimeout: 1000 });
    try {
      const s = await c.maintenance.status();
      if (s.leader === s.header.member_id) return i;
    } catch {
      // Not answering: not the leader as far as this run can tell.
    } finally {
      c.close();
    }
  }
  return undefined;
}

/** No answer, or an InternalError (whose message never says whether the change landed): the outcome is unknown. */
function unknownOutcome(code: string): boolean {
  return code.startsWith("transport:") || code === "InternalError";
}

interface Replica {
  index: number;
  id: string;
  identity: ServerIdentity;
  proc: KmsProcess | undefined;
  /** Log text of every life of this replica (killed ones included). */
  logs: string[];
  clients: { grpc: KmsClient; close(): void } | undefined;
}

export async function replicasScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("replicas");
  const started = performance.now();
  const at = () => performance.now() - started;
  let cluster: EtcdCluster | undefined;
  let store: KvStore | undefined;
  const base = await newIdentity();
  const replicas: Replica[] = [];
  const prefix = `kms-rel-${randomBytes(4).toString("hex")}/`;
  try {
    cluster = await startEtcd({ members: 3, extraArgs: ["--auto-compaction-mode=revision", "--auto-compaction-retention=1000000"] });
    const env = {
      KMS_STORE: "etcd",
      KMS_ETCD_ENDPOINTS: cluster.endpoints.join(","),
      KMS_ETCD_PREFIX: prefix,
      KMS_ETCD_MAX_TXN_OPS: String(cluster.limits.maxTxnOps),
      KMS_ETCD_MAX_REQUEST_BYTES: String(cluster.limits.maxRequestBytes),
      KMS_SWEEP_INTERVAL_MS: "300",
      KMS_LEADER_TTL_S: String(LEADER_TTL_S),
      KMS_REPLICA_STALE_MS: String(STALE_MS),
      KMS_REPLICA_WITNESS_MS: "1000",
      KMS_ASYMMETRIC_WORKERS: "1",
    };
    store = await openEtcdStore({ endpoints: cluster.endpoints, prefix, maxTxnOps: cluster.limits.maxTxnOps, maxRequestBytes: cluster.limits.maxRequestBytes });
    const coord = coordinationOf(store);

    for (let i = 0; i < 3; i++) {
      const identity = { ...base, dataDir: await mkdtemp(join(tmpdir(), `kms-rel-r${i}-`)) };
      replicas.push({ index: i, id: `r${i}`, identity, proc: undefined, logs: [], clients: undefined });
    }
    const start = async (r: Replica) => {
      const t0 = performance.now();
      r.proc = await startServer(r.identity, { ...env, KMS_REPLICA_ID: r.id }, 60_000);
      r.clients = clientsFor(r.proc);
      return performance.now() - t0;
    };
    const kill = async (r: Replica) => {
      const p = r.proc;
      r.proc = undefined;
      r.clients?.close();
      r.clients = undefined;
      if (p) {
        await p.kill9();
        r.logs.push(p.log());
      }
    };
    // The first alone (it creates the keyring, audit key and root credentials), then the others.
    await start(replicas[0] as Replica);
    await Promise.all(replicas.slice(1).map(start));

    const live = () => replicas.filter((r) => r.clients);
    const client = (i: number) => replicas[i % replicas.length]?.clients?.grpc ?? live()[0]?.clients?.grpc;

    // Fixtures: contested keys and aliases, one key for Encrypt.
    const first = client(0) as KmsClient;
    const nKeys = mode.short ? 3 : 6;
    const contested: string[] = [];
    const pool = Array.from({ length: mode.short ? 4 : 8 }, (_, i) => `rel-a${i}`);
    const initialAliases = new Map<string, string>();
    for (let i = 0; i < nKeys; i++) {
      const { keyId } = await first.createKey({ alias: pool[i] as string }, CALL);
      contested.push(keyId);
      initialAliases.set(keyId, pool[i] as string);
    }
    const cryptoKey = (await first.createKey({ alias: "rel-crypto" }, CALL)).keyId;

    // ---- load ---------------------------------------------------------------
    const history: Call[] = [];
    const created: { keyId: string; alias: string }[] = [];
    const errors = new Tally();
    let decryptMismatches = 0;
    let running = true;
    let created_n = 0;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const replica = rnd(replicas.length);
        const c = client(replica);
        if (!c) {
          await sleep(20);
          continue;
        }
        const r = rnd(100);
        const kind: Call["kind"] = r < 15 ? "CreateKey" : r < 35 ? "Encrypt" : r < 50 ? "EnableKey" : r < 65 ? "DisableKey" : r < 72 ? "ScheduleKeyDeletion" : r < 80 ? "CancelKeyDeletion" : "UpdateAlias";
        const keyId = kind === "CreateKey" || kind === "Encrypt" ? "" : pick(contested);
        const alias = kind === "CreateKey" ? `rel-new-${w}-${created_n++}` : kind === "UpdateAlias" ? pick(pool) : "";
        const call = at();
        let res;
        switch (kind) {
          case "CreateKey":
            res = await outcome(c.createKey({ alias }, CALL));
            if (res.ok) created.push({ keyId: res.value.keyId, alias });
            break;
          case "Encrypt": {
            const plaintext = enc(`m${w}-${i}`);
            res = await outcome(c.encrypt({ keyId: cryptoKey, plaintext }, CALL));
            if (res.ok) {
              const d = await outcome(client(rnd(replicas.length))?.decrypt({ ciphertextBlob: res.value.ciphertextBlob }, CALL) ?? Promise.reject(new Error("no replica")));
              if (d.ok && !sameBytes(d.value.plaintext, plaintext)) decryptMismatches++;
            }
            break;
          }
          case "EnableKey":
            res = await outcome(c.enableKey({ keyId }, CALL));
            break;
          case "DisableKey":
            res = await outcome(c.disableKey({ keyId }, CALL));
            break;
          case "ScheduleKeyDeletion":
            res = await outcome(c.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }, CALL));
            break;
          case "CancelKeyDeletion":
            res = await outcome(c.cancelKeyDeletion({ keyId }, CALL));
            break;
          default:
            res = await outcome(c.updateAlias({ keyId, alias }, CALL));
        }
        const result = res.ok ? "ok" : unknownOutcome(res.code) ? "unknown" : res.code;
        if (!res.ok) errors.add(`${kind}: ${res.code}`);
        history.push({ kind, replica, keyId, alias, call, ret: at(), result });
      }
    };
    const workers = Array.from({ length: mode.short ? 6 : 12 }, (_, w) => worker(w));

    // Due rotations for the leader: keys whose record says a rotation was due a moment ago.
    const due: string[] = [];
    let injecting = true;
    const injector = (async () => {
      for (let n = 0; injecting; n++) {
        const c = client(n);
        const made = c ? await outcome(c.createKey({ alias: `rel-job-${n}` }, CALL)) : undefined;
        if (made?.ok) {
          const keyId = made.value.keyId;
          const bytes = await (store as KvStore).get(keyspace.key(keyId));
          if (bytes) {
            const record = JSON.parse(Buffer.from(bytes).toString("utf8")) as { rotation: Record<string, unknown> };
            const dueAt = Date.now() - 1;
            record.rotation = { enabled: true, rotateDays: 7, nextRotateTime: dueAt };
            await (store as KvStore)
              .batch(
                [
                  { type: "put", key: keyspace.key(keyId), value: Buffer.from(JSON.stringify(record)) },
                  { type: "put", key: keyspace.schedule("rotation", dueAt, keyId), value: new Uint8Array(0) },
                ],
                { guards: [{ key: keyspace.key(keyId), value: bytes }] },
              )
              .then(
                () => due.push(keyId),
                () => undefined,
              );
          }
        }
        await sleep(mode.short ? 250 : 400);
      }
    })();

    /** The time since `from` (ms on the `at` clock) until a write succeeds on any replica. */
    const writeGapAfter = (from: number): number => {
      const ok = history.filter((h) => h.kind !== "Encrypt" && h.result === "ok" && h.ret > from).sort((a, b) => a.ret - b.ret)[0];
      return ok ? ok.ret - from : NaN;
    };
    /** The longest time between two successful writes in [from, to]. */
    const longestGap = (from: number, to: number): number => {
      const times = history.filter((h) => h.kind !== "Encrypt" && h.result === "ok" && h.ret >= from && h.ret <= to).map((h) => h.ret).sort((a, b) => a - b);
      let gap = 0;
      let prev = from;
      for (const t of [...times, to]) {
        gap = Math.max(gap, t - prev);
        prev = t;
      }
      return gap;
    };
    const errorsBetween = (from: number, to: number) => history.filter((h) => h.call >= from && h.call <= to && h.result !== "ok" && !h.result.startsWith("Resource") && !h.result.startsWith("InvalidParameter")).length;
    const phase = mode.short ? 2500 : 8000;
    const rounds = mode.short ? 1 : 3;
    const fig = (name: string, values: number[]) => rec.figure(name, values.map((v) => (Number.isFinite(v) ? Math.round(v) : "-")).join(", "));
    await sleep(phase);

    const replicaRestarts: number[] = [];
    const memberGaps: number[] = [];
    const failovers: number[] = [];
    const firstJobs: number[] = [];
    const stopGaps: number[] = [];
    const memberRoles: string[] = [];
    const frozenRoles: string[] = [];
    const thawFresh: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // 1. kill -9 a replica that does not lead.
      const leaderId = await coord.leader("jobs");
      const victim = replicas.find((r) => r.id !== leaderId && r.proc) as Replica;
      await kill(victim);
      await sleep(phase / 2);
      replicaRestarts.push(await start(victim));
      await sleep(phase / 2);

      // 2. kill -9 an etcd member, then start it again: raft's leader in even rounds, a follower in odd ones.
      const raft = await raftLeader(cluster);
      const m = round % 2 === 0 && raft !== undefined ? raft : ((raft ?? 0) + 1 + (round % 2)) % 3;
      const mRole = raft === m ? "leader" : "follower";
      const killedAt = at();
      await cluster.kill9(m);
      await sleep(phase);
      memberGaps.push(longestGap(killedAt, at()));
      memberRoles.push(mRole);
      await cluster.restart(m);
      await sleep(phase / 2);

      // 3. kill -9 the leader of the scheduled jobs; another takes over within its lease.
      const current = await coord.leader("jobs");
      const doomed = replicas.find((r) => r.id === current && r.proc) ?? (live()[0] as Replica);
      const dueBefore = due.length;
      const t0 = Date.now();
      await kill(doomed);
      let heir: string | undefined;
      while (Date.now() - t0 < 20_000) {
        heir = await coord.leader("jobs").catch(() => undefined);
        if (heir && heir !== doomed.id) break;
        await sleep(20);
      }
      failovers.push(heir && heir !== doomed.id ? Date.now() - t0 : NaN);
      // The first rotation injected after the kill, done by the heir.
      const after = due.slice(dueBefore);
      const t1 = Date.now();
      let firstDone = NaN;
      while (Date.now() - t1 < 20_000 && after.length > 0) {
        const v = await store.get(keyspace.key(after[0] as string));
        if (v && (JSON.parse(Buffer.from(v).toString()) as { versions: unknown[] }).versions.length === 2) {
          firstDone = Date.now() - t0;
          break;
        }
        await sleep(20);
      }
      firstJobs.push(firstDone);
      await start(doomed);
      await sleep(phase / 2);

      // 4. SIGSTOP a member: cut off with its sockets open; SIGCONT after the phase. A follower in even
      // rounds, raft's leader in odd ones.
      const raftNow = await raftLeader(cluster);
      const f = round % 2 === 1 && raftNow !== undefined ? raftNow : ((raftNow ?? 0) + 1) % 3;
      frozenRoles.push(raftNow === f ? "leader" : "follower");
      const frozenAt = at();
      await cluster.pause(f);
      await sleep(phase);
      cluster.resume(f);
      const thawed = at();
      stopGaps.push(longestGap(frozenAt, thawed));
      // Every replica healthy (current with the store) again.
      const t2 = performance.now();
      while (performance.now() - t2 < 30_000) {
        const states = await Promise.all(live().map((r) => fetch(`${r.proc?.httpUrl}/healthz`).then((x) => x.status === 200, () => false)));
        if (states.every(Boolean)) break;
        await sleep(50);
      }
      thawFresh.push(performance.now() - t2);
      await cluster.waitHealthy();
      await sleep(phase / 2);
      rec.data[`round ${round + 1} errors during faults`] = errorsBetween(killedAt, at());
    }

    running = false;
    injecting = false;
    await Promise.all(workers);
    await injector;

    // ---- checks -----------------------------------------------------------------
    // Every due rotation done exactly once: each such key has versions 1 and 2, and no later entry is due.
    const deadline = Date.now() + 20_000;
    let pending = due;
    while (pending.length > 0 && Date.now() < deadline) {
      const values = await store.getMany(pending.map((k) => keyspace.key(k)));
      pending = pending.filter((_, i) => {
        const v = values[i];
        return v !== undefined && (JSON.parse(Buffer.from(v).toString()) as { versions: unknown[] }).versions.length < 2;
      });
      if (pending.length > 0) await sleep(100);
    }
    const versions = await store.getMany(due.map((k) => keyspace.key(k)));
    const counts = versions.map((v) => (v ? (JSON.parse(Buffer.from(v).toString()) as { versions: { version: number }[] }).versions.map((x) => x.version).join(",") : "gone"));
    const twice = counts.filter((c) => c !== "1,2" && c !== "1").length;
    const lost = counts.filter((c) => c === "1").length;
    rec.check("every due rotation ran: none lost", lost === 0, `${lost} of ${due.length} never rotated`);
    rec.check("no rotation ran twice (each key has versions 1,2 exactly)", twice === 0, counts.filter((c) => c !== "1,2").slice(0, 5).join(" | "));

    // Every acknowledged CreateKey is stored, with its alias.
    const stored = await store.getMany(created.map((c) => keyspace.key(c.keyId)));
    const missing = created.filter((c, i) => {
      const v = stored[i];
      return !v || (JSON.parse(Buffer.from(v).toString()) as { alias: string }).alias !== c.alias;
    });
    rec.check("0 acknowledged CreateKey lost", missing.length === 0, missing.slice(0, 5).map((c) => c.keyId).join(", "));
    rec.check("every Decrypt of an Encrypt answered gave the plaintext back", decryptMismatches === 0, String(decryptMismatches));

    // Final state from the store (linearizable reads), then the histories.
    const readAt = at();
    const records = await store.getMany(contested.map((k) => keyspace.key(k)));
    const finalLife = new Map<string, Life>();
    const finalAlias = new Map<string, string>();
    contested.forEach((k, i) => {
      const r = JSON.parse(Buffer.from(records[i] as Uint8Array).toString()) as { keyState: string; alias: string };
      finalLife.set(k, r.keyState as Life);
      finalAlias.set(k, r.alias);
    });
    let lin = 0;
    let undetermined = 0;
    for (const k of contested) {
      const ops: HistoryOp<Life>[] = history
        .filter((h) => h.keyId === k && h.kind !== "UpdateAlias")
        .map((h) => {
          const maybe = h.result === "unknown" || h.result === "UnsupportedOperation.ServiceTemporaryUnavailable";
          return {
            call: h.call,
            ret: maybe ? Infinity : h.ret,
            maybe,
            label: `${h.kind}@r${h.replica}→${h.result}`,
            step: (s: Life) => {
              const m = lifeModel(s, h.kind as LifeOp);
              return maybe || m.result === h.result ? m.next : undefined;
            },
          };
        });
      ops.push({ call: readAt, ret: Infinity, label: `read ${finalLife.get(k)}`, step: (s) => (s === finalLife.get(k) ? s : undefined) });
      const v = checkLinearizable<Life>(ops, "Enabled", (s) => s);
      if (v.result === "linearizable") lin++;
      else if (v.result === "unknown") undetermined++;
      else rec.check("each contested key's lifecycle history (across replicas and faults) is linearizable", false, `${k}: ${v.longestPrefix.slice(-6).join(", ")}`);
    }
    rec.check("each contested key's lifecycle history (across replicas and faults) is linearizable", lin + undetermined === contested.length, `${lin}/${contested.length}`);
    const aliasOps: HistoryOp<Aliases>[] = history
      .filter((h) => h.kind === "UpdateAlias")
      .map((h) => {
        const maybe = h.result === "unknown" || h.result === "UnsupportedOperation.ServiceTemporaryUnavailable";
        return {
          call: h.call,
          ret: maybe ? Infinity : h.ret,
          maybe,
          label: `UpdateAlias(${h.keyId.slice(0, 4)},${h.alias})@r${h.replica}→${h.result}`,
          step: (s: Aliases) => {
            if (!maybe) return aliasStep(s, { kind: "UpdateAlias", keyId: h.keyId, alias: h.alias, call: h.call, ret: h.ret, result: h.result });
            const owner = [...s].find(([, a]) => a === h.alias)?.[0];
            return owner === undefined ? new Map(s).set(h.keyId, h.alias) : s;
          },
        };
      });
    aliasOps.push({ call: readAt, ret: Infinity, label: "read aliases", step: (s) => ([...finalAlias].every(([k, a]) => s.get(k) === a) ? s : undefined) });
    const av = checkLinearizable<Aliases>(aliasOps, initialAliases, (s) => [...s].sort().join(";"));
    rec.check("the alias history (UpdateAlias across replicas and faults) is linearizable", av.result !== "not linearizable", av.result === "not linearizable" ? av.longestPrefix.slice(-6).join(", ") : av.result);

    // Never two leaders at once: the lead intervals each replica logged (a killed one's ends at its kill).
    for (const r of replicas) if (r.proc) r.logs.push(r.proc.log());
    const intervals: { id: string; from: number; to: number }[] = [];
    for (const r of replicas)
      for (const log of r.logs) {
        let from: number | undefined;
        for (const line of log.split("\n")) {
          const t = Date.parse(line.slice(0, 24));
          if (/ leads; it runs the scheduled jobs/.test(line)) from = t;
          else if (/no longer leads/.test(line) && from !== undefined) {
            intervals.push({ id: r.id, from, to: t });
            from = undefined;
          }
        }
        if (from !== undefined) intervals.push({ id: r.id, from, to: log === r.proc?.log() ? Date.now() : Date.parse(log.trimEnd().split("\n").at(-1)?.slice(0, 24) ?? "") || Date.now() });
      }
    const overlaps = intervals.flatMap((a, i) => intervals.slice(i + 1).filter((b) => b.id !== a.id && a.from < b.to && b.from < a.to).map((b) => `${a.id}∩${b.id}`));
    rec.check("never two leaders at once (from the replicas' own lead/lost log lines)", overlaps.length === 0, overlaps.slice(0, 4).join(", "));

    // Every replica's audit chain, and their witnesses of each other.
    const rootReplica = live()[0] as Replica;
    const admin = createClient(AdminService, createGrpcTransport({ baseUrl: rootReplica.proc?.grpcUrl ?? "", interceptors: [bearer(base.token)] }));
    const verdict = await outcome(admin.verifyAuditLog({}, CALL));
    rec.check("VerifyAuditLog: every replica's chain intact, witnesses agree", verdict.ok && verdict.value.ok && verdict.value.chains.length === 3, verdict.ok ? `${verdict.value.failureReason} ${verdict.value.failureDetail}` : verdict.code);

    rec.figure("etcd members / replicas", "3 / 3");
    rec.figure("calls (mixed load)", history.length);
    rec.figure("CreateKey acknowledged / stored", `${created.length} / ${created.length - missing.length}`);
    rec.figure("due rotations injected / each ran once", `${due.length} / ${due.length - twice - lost}`);
    rec.figure("lifecycle histories linearizable", `${lin}/${contested.length} (${undetermined} undetermined)`);
    rec.figure("alias history", av.result);
    fig("replica kill -9 → restarted and serving (ms)", replicaRestarts);
    rec.figure("etcd member kill -9: longest gap between acknowledged writes (ms)", memberGaps.map((g, i) => `${Math.round(g)} (${memberRoles[i]})`).join(", "));
    fig("leader kill -9 → new leader elected (ms, lease 2 s)", failovers);
    fig("leader kill -9 → first due job done by the heir (ms)", firstJobs);
    rec.figure("etcd member SIGSTOP: longest gap between acknowledged writes (ms)", stopGaps.map((g, i) => `${Math.round(g)} (raft ${frozenRoles[i]})`).join(", "));
    fig("etcd member SIGCONT → every replica current again (ms)", thawFresh);
    rec.figure("answers that were errors (all kinds)", errors.total());
    rec.data.errors = errors.toObject();
    rec.data.unknownOutcomes = history.filter((h) => h.result === "unknown").length;
    rec.check("the Encrypt key survived every fault", (await store.get(keyspace.key(cryptoKey))) !== undefined);
  } finally {
    for (const r of replicas) {
      r.clients?.close();
      if (r.proc?.alive()) await r.proc.stop(15_000).catch(() => r.proc?.kill9());
      await rm(r.identity.dataDir, { recursive: true, force: true });
    }
    await store?.close();
    await cluster?.stop();
    await rm(base.dataDir, { recursive: true, force: true });
  }
  return rec.result();
}
