/**
 * Audit across replicas: each replica writes its own chain (chain.ts
 * replicaLayout), a registry names every chain ever started, and each chain
 * regularly records the heads of the others (witness events), so that the
 * deployment's trail as a whole can be proven (deployment.ts):
 *
 * - Registry record, one per chain, written once when the chain starts:
 *
 *     v1/audit-chains/<replica id> = {"f":1,"chain":"<id>","created":<ms>,"mac":"<hex>"}
 *
 *   mac = HMAC-SHA256(audit key, "kms-audit-chain\n<id>\n<created>"): nobody
 *   without the audit key can register a chain.
 * - Witness event, appended to a replica's own chain (so MAC'd and ordered
 *   like any event) every few seconds, when it starts and when it stops:
 *   action kms:AuditWitness, transport "internal", and as its subjects one
 *   "<chain>#<seq>#<mac hex>" per other chain: that chain's head as the
 *   store held it. A chain cut short below a witnessed head, or removed with
 *   its registry record, contradicts a witness in another chain.
 */
import { createHmac, type KeyObject } from "node:crypto";
import { randomBytes } from "../crypto/random.js";
import { SCHEMA } from "../store/keyspace.js";
import type { KvStore } from "../store/store.js";
import { decodeHead, LEGACY_CHAIN, LEGACY_LAYOUT, replicaLayout, type ChainHead, type ChainLayout } from "./chain.js";
import type { AuditEvent, StoredAuditEvent } from "./event.js";

export const CHAIN_REGISTRY_PREFIX = `${SCHEMA}/audit-chains/`;
export const WITNESS_ACTION = "kms:AuditWitness";

/** A registered chain: its id, when it was started, and whether its record's MAC holds. */
export interface RegisteredChain {
  id: string;
  created: number;
  authentic: boolean;
}

function registryMac(key: KeyObject, id: string, created: number): string {
  return createHmac("sha256", key).update(`kms-audit-chain\n${id}\n${created}`, "utf8").digest("hex");
}

/** The registry record of a new chain. */
export function encodeRegistration(key: KeyObject, id: string, created: number): Uint8Array {
  return Buffer.from(JSON.stringify({ f: 1, chain: id, created, mac: registryMac(key, id, created) }), "utf8");
}

/** Every chain the registry names, in id order; a record whose MAC fails is listed as not authentic. */
export async function registeredChains(store: KvStore, key: KeyObject): Promise<RegisteredChain[]> {
  const out: RegisteredChain[] = [];
  for await (const [storeKey, bytes] of store.scan({ prefix: CHAIN_REGISTRY_PREFIX })) {
    const id = storeKey.slice(CHAIN_REGISTRY_PREFIX.length);
    let authentic = false;
    let created = 0;
    try {
      const r = JSON.parse(Buffer.from(bytes).toString("utf8")) as { f?: unknown; chain?: unknown; created?: unknown; mac?: unknown };
      created = typeof r.created === "number" ? r.created : 0;
      authentic = r.f === 1 && r.chain === id && typeof r.mac === "string" && r.mac === registryMac(key, id, created);
    } catch {
      authentic = false;
    }
    out.push({ id, created, authentic });
  }
  return out;
}

/**
 * The layout of every chain the store holds: the store's one chain (when it
 * has a head, or when no replica chain is registered: a store of one process,
 * possibly empty or wiped), then the registered ones.
 */
export async function chainLayouts(store: KvStore, key: KeyObject): Promise<{ layout: ChainLayout; registered: RegisteredChain | undefined }[]> {
  const registered = await registeredChains(store, key);
  const out: { layout: ChainLayout; registered: RegisteredChain | undefined }[] = [];
  if (registered.length === 0 || (await store.get(LEGACY_LAYOUT.headKey)) !== undefined) out.push({ layout: LEGACY_LAYOUT, registered: undefined });
  for (const r of registered) out.push({ layout: replicaLayout(r.id), registered: r });
  return out;
}

/** One head a witness records. */
export interface WitnessedHead extends ChainHead {
  chain: string;
}

const WITNESS_ENTRY = /^(.+)#(\d{1,16})#([0-9a-f]{64})$/;

export function encodeWitness(head: WitnessedHead): string {
  return `${head.chain}#${head.seq}#${head.mac}`;
}

/** The heads a stored witness event records (none for any other event). */
export function witnessedHeads(event: StoredAuditEvent): WitnessedHead[] {
  if (event.action !== WITNESS_ACTION || event.transport !== "internal") return [];
  const out: WitnessedHead[] = [];
  for (const entry of event.keyIds) {
    const m = WITNESS_ENTRY.exec(entry);
    if (m) out.push({ chain: m[1] as string, seq: Number(m[2]), mac: m[3] as string });
  }
  return out;
}

/** The heads of every chain but `own`, as the store holds them now (chains without events yet are left out). */
export async function otherHeads(store: KvStore, key: KeyObject, own: string): Promise<WitnessedHead[]> {
  const chains = (await chainLayouts(store, key)).filter((c) => c.layout.id !== own && (c.registered?.authentic ?? true));
  const heads = await store.getMany(chains.map((c) => c.layout.headKey));
  const out: WitnessedHead[] = [];
  chains.forEach((c, i) => {
    try {
      const h = decodeHead(heads[i]);
      if (h && h.seq > 0) out.push({ chain: c.layout.id, ...h });
    } catch {
      // An unreadable head is the verifier's to report, not the witness's.
    }
  });
  return out;
}

/** The witness event of `heads`, at `time`. */
export function witnessEvent(heads: readonly WitnessedHead[], time: number): AuditEvent {
  return {
    time,
    principalUin: "",
    principalName: "",
    credential: "",
    source: "",
    transport: "internal",
    action: WITNESS_ACTION,
    keyIds: heads.map(encodeWitness),
    result: "Success",
    requestId: `witness-${Buffer.from(randomBytes(12)).toString("hex")}`,
    latencyMs: 0,
  };
}

export { LEGACY_CHAIN };
