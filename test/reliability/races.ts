/**
 * 6. Races: many clients fire EnableKey / DisableKey / ScheduleKeyDeletion /
 * CancelKeyDeletion / UpdateAlias (and CreateKey with contested aliases) at the
 * same few keys and aliases. Afterwards:
 * - each key's lifecycle history, and the alias history of all keys, must be
 *   linearizable: some serial order, consistent with real time, explains every
 *   answer and the final state (lib/linearizability.ts);
 * - alias uniqueness never breaks: in snapshots taken during the run
 *   (ListKeyDetail), in the final state, and in the store's alias index
 *   (read directly once the server is stopped).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { KeyState } from "../../gen/kms/v1/kms_pb.js";
import { checkLinearizable, type HistoryOp } from "./lib/linearizability.js";
import { inconsistencies, readStore } from "./lib/offline.js";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, outcome } from "./lib/rpc.js";
import { newIdentity, pick, rnd, sleep, startServer } from "./lib/server.js";
import type { Mode } from "./mode.js";

export type Life = "Enabled" | "Disabled" | "PendingDelete";
export type LifeOp = "EnableKey" | "DisableKey" | "ScheduleKeyDeletion" | "CancelKeyDeletion";

export interface Recorded {
  kind: LifeOp | "UpdateAlias" | "CreateKey";
  keyId: string;
  alias: string;
  call: number;
  ret: number;
  /** "ok" or the API code. */
  result: string;
  createdKeyId?: string;
}

export function lifeModel(s: Life, op: LifeOp): { next: Life; result: string } {
  switch (op) {
    case "EnableKey":
      return s === "PendingDelete" ? { next: s, result: "ResourceUnavailable.CmkStateNotSupport" } : { next: "Enabled", result: "ok" };
    case "DisableKey":
      return s === "PendingDelete" ? { next: s, result: "ResourceUnavailable.CmkStateNotSupport" } : { next: "Disabled", result: "ok" };
    case "ScheduleKeyDeletion":
      if (s === "Disabled") return { next: "PendingDelete", result: "ok" };
      return { next: s, result: s === "Enabled" ? "ResourceUnavailable.CmkShouldBeDisabled" : "ResourceUnavailable.CmkStateNotSupport" };
    case "CancelKeyDeletion":
      return s === "PendingDelete" ? { next: "Disabled", result: "ok" } : { next: s, result: "ResourceUnavailable.CmkNotPendingDelete" };
  }
}

export type Aliases = ReadonlyMap<string, string>; // keyId → alias

export function aliasStep(s: Aliases, r: Recorded): Aliases | undefined {
  const owner = [...s].find(([, a]) => a === r.alias)?.[0];
  if (r.kind === "CreateKey") {
    if (owner !== undefined) return r.result === "InvalidParameterValue.AliasAlreadyExists" ? s : undefined;
    if (r.result !== "ok" || !r.createdKeyId) return undefined;
    return new Map(s).set(r.createdKeyId, r.alias);
  }
  if (s.get(r.keyId) === r.alias) return r.result === "ok" ? s : undefined;
  if (owner !== undefined) return r.result === "InvalidParameterValue.AliasAlreadyExists" ? s : undefined;
  return r.result === "ok" ? new Map(s).set(r.keyId, r.alias) : undefined;
}

export const STATE: Partial<Record<KeyState, Life>> = { [KeyState.ENABLED]: "Enabled", [KeyState.DISABLED]: "Disabled", [KeyState.PENDING_DELETE]: "PendingDelete" };

export async function racesScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("races");
  const id = await newIdentity();
  let server = await startServer(id);
  const nKeys = mode.short ? 3 : 6;
  const pool = Array.from({ length: mode.short ? 5 : 10 }, (_, i) => `race-a${i}`);
  const history: Recorded[] = [];
  const unexpected = new Tally();
  let snapshots = 0;
  let duplicateSnapshots = 0;
  const verdicts: Record<string, string> = {};
  try {
    const admin = clientsFor(server);
    const keys: string[] = [];
    const initialAliases = new Map<string, string>();
    for (let i = 0; i < nKeys; i++) {
      const alias = pool[i] as string;
      const { keyId } = await admin.grpc.createKey({ alias }, CALL);
      keys.push(keyId);
      initialAliases.set(keyId, alias);
    }
    const t0 = performance.now();
    let running = true;
    const watcher = (async () => {
      for (let i = 0; i < 10_000 && running; i++) {
        const r = await outcome(admin.grpc.listKeyDetail({ searchKeyAlias: "race-", allKeyUsages: true, limit: 200 }, CALL));
        if (r.ok) {
          snapshots++;
          const aliases = r.value.keyMetadatas.map((m) => m.alias);
          if (new Set(aliases).size !== aliases.length) duplicateSnapshots++;
        }
        await sleep(20);
      }
    })();

    const client = async () => {
      const cl = clientsFor(server);
      const c = cl.grpc;
      try {
        for (let i = 0; i < mode.raceOpsPerClient; i++) {
          const keyId = pick(keys);
          const r = rnd(100);
          const kind: Recorded["kind"] = r < 20 ? "EnableKey" : r < 40 ? "DisableKey" : r < 52 ? "ScheduleKeyDeletion" : r < 62 ? "CancelKeyDeletion" : r < 95 ? "UpdateAlias" : "CreateKey";
          const alias = pick(pool);
          const call = performance.now() - t0;
          let res;
          switch (kind) {
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
            case "UpdateAlias":
              res = await outcome(c.updateAlias({ keyId, alias }, CALL));
              break;
            default:
              res = await outcome(c.createKey({ alias }, CALL));
          }
          const ret = performance.now() - t0;
          const result = res.ok ? "ok" : res.code;
          if (!res.ok && (res.transport || res.code === "InternalError")) unexpected.add(`${kind}: ${res.code}`);
          history.push({ kind, keyId, alias, call, ret, result, ...(kind === "CreateKey" && res.ok ? { createdKeyId: (res.value as { keyId: string }).keyId } : {}) });
        }
      } finally {
        cl.close();
      }
    };
    await Promise.all(Array.from({ length: mode.raceClients }, client));
    running = false;
    await watcher;

    // The final state, read after every call returned.
    const readAt = performance.now() - t0;
    const allKeys = [...keys, ...history.flatMap((h) => (h.createdKeyId ? [h.createdKeyId] : []))];
    const finalLife = new Map<string, Life>();
    const finalAlias = new Map<string, string>();
    for (const k of allKeys) {
      const md = (await admin.grpc.describeKey({ keyId: k }, CALL)).keyMetadata;
      finalLife.set(k, STATE[md?.keyState ?? KeyState.UNSPECIFIED] ?? "Enabled");
      finalAlias.set(k, md?.alias ?? "");
    }
    admin.close();
    const aliasesNow = [...finalAlias.values()];
    rec.check("alias uniqueness holds in the final state", new Set(aliasesNow).size === aliasesNow.length, aliasesNow.join(","));
    rec.check("alias uniqueness holds in every snapshot taken during the race", duplicateSnapshots === 0, `${duplicateSnapshots} of ${snapshots}`);
    rec.check("no transport or internal errors", unexpected.total() === 0, JSON.stringify(unexpected.toObject()));

    // Lifecycle: one object per key.
    let lin = 0;
    let unknown = 0;
    for (const k of keys) {
      const ops: HistoryOp<Life>[] = history
        .filter((h) => h.keyId === k && h.kind !== "UpdateAlias" && h.kind !== "CreateKey")
        .map((h) => ({
          call: h.call,
          ret: h.ret,
          label: `${h.kind}→${h.result}`,
          step: (s: Life) => {
            const m = lifeModel(s, h.kind as LifeOp);
            return m.result === h.result ? m.next : undefined;
          },
        }));
      ops.push({ call: readAt, ret: Infinity, label: `read ${finalLife.get(k)}`, step: (s) => (s === finalLife.get(k) ? s : undefined) });
      const v = checkLinearizable<Life>(ops, "Enabled", (s) => s);
      verdicts[`lifecycle ${k.slice(0, 8)} (${ops.length} ops)`] = v.result;
      if (v.result === "linearizable") lin++;
      else if (v.result === "unknown") unknown++;
      else rec.check("each key's lifecycle history is explained by a serial order", false, `${k}: longest explained prefix ${v.longestPrefix.slice(-6).join(", ")}`);
    }
    rec.check("each key's lifecycle history is explained by a serial order", lin + unknown === keys.length, `${lin}/${keys.length}`);

    // Aliases: one object over all keys.
    const aliasOps: HistoryOp<Aliases>[] = history
      .filter((h) => h.kind === "UpdateAlias" || h.kind === "CreateKey")
      .map((h) => ({ call: h.call, ret: h.ret, label: `${h.kind}(${h.keyId.slice(0, 4)},${h.alias})→${h.result}`, step: (s: Aliases) => aliasStep(s, h) }));
    aliasOps.push({
      call: readAt,
      ret: Infinity,
      label: "read aliases",
      step: (s) => (s.size === finalAlias.size && [...finalAlias].every(([k, a]) => s.get(k) === a) ? s : undefined),
    });
    const av = checkLinearizable<Aliases>(aliasOps, initialAliases, (s) => [...s].sort().join(";"));
    verdicts[`aliases (${aliasOps.length} ops)`] = av.result;
    if (av.result === "unknown") unknown++;
    rec.check(
      "the alias history (UpdateAlias, CreateKey) is explained by a serial order",
      av.result !== "not linearizable",
      av.result === "not linearizable" ? `longest explained prefix: ${av.longestPrefix.slice(-6).join(", ")}` : av.result,
    );

    // The alias index in the store, read directly.
    await server.stop();
    const view = await readStore(join(id.dataDir, "db"));
    const bad = inconsistencies(view);
    rec.check("store: alias index agrees with key records", bad.length === 0, bad.slice(0, 4).join("; "));

    const counts = new Tally();
    for (const h of history) counts.add(`${h.kind}:${h.result}`);
    rec.figure("clients", mode.raceClients);
    rec.figure("operations", history.length);
    rec.figure("keys contested / aliases contested", `${nKeys} / ${pool.length}`);
    rec.figure("histories linearizable", `${lin + (av.result === "linearizable" ? 1 : 0)}/${keys.length + 1}`);
    rec.figure("histories undetermined (checker budget)", unknown);
    rec.figure("snapshots with duplicate aliases", `${duplicateSnapshots}/${snapshots}`);
    rec.data.outcomes = counts.toObject();
    rec.data.verdicts = verdicts;
  } finally {
    if (server.alive()) await server.kill9();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  return rec.result();
}
