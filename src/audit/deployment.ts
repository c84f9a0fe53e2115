/**
 * Verification of a whole deployment's audit trail: every chain the store
 * holds (the store's one chain, and one per replica named by the registry),
 * each recomputed as chain.ts does, against its own signed checkpoints; then
 * every chain's witnesses of the others (replicas.ts) checked against them.
 *
 * What it catches, beyond one chain's edits, gaps and reorders:
 * - a replica's chain cut short below a head another chain witnessed
 *   ("truncated"), or replaced after it ("mac-mismatch" at the witnessed
 *   event);
 * - a replica's chain removed, registry record and all, when another chain
 *   witnessed it ("missing");
 * - chain data with no registry record, or a registry record not made with
 *   the audit key ("unreadable").
 * What it cannot catch without checkpoints kept outside the store: every
 * chain rolled back together past their last witnesses.
 */
import type { KeyObject } from "node:crypto";
import type { KvStore } from "../store/store.js";
import { archivedMac } from "./archive.js";
import { auditMacKey, LEGACY_CHAIN, REPLICA_CHAINS_SPACE, storedLines, verifyChain, type StoredLine, type ChainHead, type VerifyFailureReason, type VerifyReport } from "./chain.js";
import { checkpointsOf, type CheckpointSet } from "./checkpoint.js";
import { parseStoredEvent } from "./event.js";
import { chainLayouts, witnessedHeads, type WitnessedHead } from "./replicas.js";

/** One chain's verification. */
export interface ChainReport extends VerifyReport {
  chain: string;
}

/** The deployment's: ok only if every chain and every witness checks out; the first failure names its chain. */
export interface DeploymentReport extends VerifyReport {
  chains: ChainReport[];
  /** Witnessed heads checked against the chains they name. */
  witnessesChecked: number;
  failure?: { seq: number; reason: VerifyFailureReason; detail: string; chain?: string };
}

export interface DeploymentVerifyOptions {
  /** The log is live: each chain stops at the head it read when its turn came. */
  stopAtHead?: boolean;
  /** The calling replica's own chain and its committed head (see VerifyOptions.anchor). */
  own?: { chain: string; anchor: ChainHead | undefined };
  /** Signed checkpoints (all chains' lines in one set) and the store's checkpoint key. */
  checkpoints?: { set: CheckpointSet; storeKey: string | undefined };
  /** The archive directory: every chain is verified through its archived events too (VerifyOptions.archive). */
  archive?: string;
}

/** The MAC of event `seq` of the chain, as stored (undefined: not there or unreadable). */
async function storedMac(store: KvStore, layout: Parameters<typeof storedLines>[2], seq: number): Promise<string | undefined> {
  let found: StoredLine | undefined;
  for await (const item of storedLines(store, seq, layout)) {
    if ("badKey" in item) return undefined;
    if (found) {
      // Format 2: the block's MAC is the chain value after its last event only; a head never falls inside a group.
      return item.blockMac !== undefined && item.blockMac === found.blockMac ? "(inside a group commit)" : found.blockMac;
    }
    if (item.position !== seq) return undefined;
    if (item.blockMac === undefined) {
      try {
        return parseStoredEvent(item.line).mac;
      } catch {
        return undefined;
      }
    }
    found = item;
  }
  return found?.blockMac;
}

export async function verifyDeployment(store: KvStore, auditKey: Uint8Array | KeyObject, options: DeploymentVerifyOptions = {}): Promise<DeploymentReport> {
  const key = auditKey instanceof Uint8Array ? auditMacKey(auditKey) : auditKey;
  const chains = await chainLayouts(store, key);
  const reports: ChainReport[] = [];
  /** The highest head each chain is witnessed at, and by whom. */
  const claims = new Map<string, WitnessedHead & { by: string; bySeq: number }>();

  for (const { layout, registered } of chains) {
    if (registered && !registered.authentic) {
      reports.push({ chain: layout.id, ok: false, checked: 0, headSeq: 0, failure: { seq: 0, reason: "unreadable", detail: `the registry record of chain ${layout.id} was not made with the audit key` } });
      continue;
    }
    const own = options.own?.chain === layout.id ? options.own.anchor : undefined;
    const report = await verifyChain(store, key, {
      layout,
      ...(options.stopAtHead ? { stopAtHead: true } : {}),
      ...(own ? { anchor: own } : {}),
      ...(options.archive !== undefined ? { archive: options.archive } : {}),
      ...(options.checkpoints ? { checkpoints: { set: checkpointsOf(options.checkpoints.set, layout.id, LEGACY_CHAIN), storeKey: options.checkpoints.storeKey } } : {}),
      onEvent: (event) => {
        for (const head of witnessedHeads(event)) {
          const prev = claims.get(head.chain);
          if (!prev || head.seq > prev.seq) claims.set(head.chain, { ...head, by: layout.id, bySeq: event.seq });
        }
      },
    });
    reports.push({ chain: layout.id, ...report });
  }

  // Chain data no registry record accounts for: planted, or its record was deleted.
  const known = new Set(chains.map((c) => c.layout.id));
  for await (const k of store.scanKeys({ prefix: REPLICA_CHAINS_SPACE })) {
    const id = k.slice(REPLICA_CHAINS_SPACE.length).split("/")[0] ?? "";
    if (known.has(id)) continue;
    known.add(id);
    reports.push({ chain: id, ok: false, checked: 0, headSeq: 0, failure: { seq: 0, reason: "unreadable", detail: `the store holds events of chain ${id}, which the registry does not name` } });
  }

  // A chain with checkpoints of this store's key but no events left: the chain was wiped, registry record and all.
  for (const cp of options.checkpoints?.set.valid ?? []) {
    if (cp.chain === undefined || known.has(cp.chain) || cp.key !== options.checkpoints?.storeKey) continue;
    known.add(cp.chain);
    reports.push({ chain: cp.chain, ok: false, checked: 0, headSeq: 0, failure: { seq: cp.seq, reason: "truncated", detail: `a checkpoint records event ${cp.seq} of chain ${cp.chain}, but the store holds no such chain: it was wiped` } });
  }

  let witnessesChecked = 0;
  for (const [chain, claim] of claims) {
    const target = chains.find((c) => c.layout.id === chain);
    const by = `chain ${claim.by} witnessed chain ${chain} at event ${claim.seq} (its event ${claim.bySeq})`;
    if (!target) {
      reports.push({ chain, ok: false, checked: 0, headSeq: 0, failure: { seq: claim.seq, reason: "missing", detail: `${by}, but the store holds no such chain: it was removed` } });
      continue;
    }
    const report = reports.find((r) => r.chain === chain);
    if (report && !report.ok) continue;
    witnessesChecked++;
    // A witnessed event that was archived since is looked up in its segment (verified above).
    const archived = report?.base && claim.seq <= report.base.seq && options.archive !== undefined;
    const mac = archived ? await archivedMac(options.archive as string, chain, claim.seq) : await storedMac(store, target.layout, claim.seq);
    if (mac === undefined) {
      if (report) Object.assign(report, { ok: false, failure: { seq: claim.seq, reason: "truncated", detail: `${by}, but the chain ends before it: its later events were cut off` } });
    } else if (mac !== claim.mac) {
      if (report) Object.assign(report, { ok: false, failure: { seq: claim.seq, reason: "mac-mismatch", detail: `${by}, but its event ${claim.seq} differs: the chain was rewritten after it` } });
    }
  }

  const failed = reports.find((r) => !r.ok);
  const ownReport = reports.find((r) => r.chain === (options.own?.chain ?? LEGACY_CHAIN)) ?? reports[0];
  return {
    ok: failed === undefined,
    checked: reports.reduce((n, r) => n + r.checked, 0),
    headSeq: ownReport?.headSeq ?? 0,
    // One chain (a store of one process): reported as it always was; several: the failure names its chain.
    ...(failed?.failure ? { failure: reports.length === 1 ? failed.failure : { ...failed.failure, chain: failed.chain, detail: `chain ${failed.chain}: ${failed.failure.detail}` } } : {}),
    ...(ownReport?.checkpoint ? { checkpoint: ownReport.checkpoint } : {}),
    chains: reports,
    witnessesChecked,
  };
}
