/**
 * Records of product secrets kept by this folder: the binding of a secret to
 * its accounts (users, hosts, privileges, rotation policy) and the flows
 * (FlowID) that create the accounts and rotate them. Reads return records;
 * writes return ops, so a flow's every change is one batch.
 */
import { KmsError } from "../../errors.js";
import { absent, GuardedReads } from "../../store/guarded.js";
import type { BatchOp, Guard, KvStore } from "../../store/store.js";
import { decodeRecord, encodeRecord } from "../../store/record-codec.js";
import type { Scope } from "./instance.js";
import { flowIdOfKey, productKeys } from "./keyspace.js";
import type { PrivilegeGrant } from "./product.js";
import type { SecretRef } from "./values.js";

export interface RotationPolicy {
  enabled: boolean;
  /** Days between automatic rotations. */
  frequencyDays: number;
  /** RotationBeginTime, when one was given (ms). */
  beginTime?: number;
  /** When the scheduler rotates next (ms); set while enabled. */
  nextRotateTime?: number;
  /** When a rotation last committed (ms). */
  lastRotateTime?: number;
  /** Automatic rotations failed in a row (reset by a success). */
  failures?: number;
}

export interface ProductBinding extends SecretRef {
  product: string;
  instanceId: string;
  userNamePrefix: string;
  /** The two account names, once the create flow has claimed them; empty before. */
  users: string[];
  hosts: string[];
  privileges: PrivilegeGrant[];
  rotation: RotationPolicy;
  /** The flow running on this secret; at most one at a time. */
  flowInProgress?: number;
  createTime: number;
}

export type FlowKind = "create" | "rotate";
export type FlowState = "Started" | "Claimed" | "Applied" | "Verified" | "Done" | "Failed";

export interface FlowRecord extends SecretRef {
  flowId: number;
  kind: FlowKind;
  state: FlowState;
  /** The account whose password the flow sets (create: the first account, once claimed; rotate: the standby). */
  user?: string;
  /** RootKey.seal(new password, flowPasswordLabel(...)), base64; dropped when the flow ends. */
  passwordSealed?: string;
  /** Started by the scheduler rather than a call. */
  scheduled: boolean;
  /** Runs begun (a run interrupted by a crash counts); bounded, so a flow that crashes the process cannot loop forever. */
  attempts: number;
  createTime: number;
  updateTime: number;
  /** Why it failed (Failed), or what was left behind. */
  reason?: string;
  /** The version id its value got (Done). */
  versionId?: string;
}

export function flowPasswordLabel(flow: Pick<FlowRecord, "flowId" | "uin" | "region" | "secretName">): string {
  return `kms/v1/secrets-products/flow/${flow.flowId}/${flow.uin}/${flow.region}/${flow.secretName}`;
}

export function isTerminal(state: FlowState): boolean {
  return state === "Done" || state === "Failed";
}

export class ProductRepository {
  /** The stored bytes of each binding and flow read, for guardOf. */
  private readonly reads = new GuardedReads<ProductBinding | FlowRecord>();

  constructor(readonly store: KvStore) {}

  /** The guard of a change based on a binding or flow as read here: the store must still hold exactly those bytes. */
  guardOf(record: ProductBinding | FlowRecord): Guard {
    return this.reads.guardOf(record, "flowId" in record ? `flow ${record.flowId}` : `product secret ${record.secretName}`);
  }

  /** The guard of a binding about to be created. */
  absentBinding(ref: SecretRef): Guard {
    return absent(productKeys.binding(ref.uin, ref.region, ref.secretName));
  }

  /** The guard of a flow about to be created: its id must be free (another replica may have taken it). */
  absentFlow(flowId: number): Guard {
    return absent(productKeys.flow(flowId));
  }

  async findBinding(ref: SecretRef): Promise<ProductBinding | undefined> {
    const key = productKeys.binding(ref.uin, ref.region, ref.secretName);
    const bytes = await this.store.get(key);
    if (!bytes) return undefined;
    const b = this.reads.remember(decodeRecord<ProductBinding>(bytes, `product secret ${ref.secretName}`), key, bytes);
    return b.uin === ref.uin && b.region === ref.region ? b : undefined;
  }

  async getBinding(ref: SecretRef): Promise<ProductBinding> {
    const b = await this.findBinding(ref);
    if (!b) throw new KmsError("ResourceNotFound", `SecretName ${ref.secretName} is not a product secret`);
    return b;
  }

  async bindingsOf(scope: Scope): Promise<ProductBinding[]> {
    const out: ProductBinding[] = [];
    for await (const [key, bytes] of this.store.scan({ prefix: productKeys.bindingsPrefix(scope.uin, scope.region) }))
      out.push(this.reads.remember(decodeRecord<ProductBinding>(bytes, key), key, bytes));
    return out;
  }

  /** The binding written, with its schedule entry moved from where `before` had it. */
  putBinding(after: ProductBinding, before?: ProductBinding): BatchOp[] {
    const ops: BatchOp[] = [];
    const prev = before?.rotation.nextRotateTime;
    const next = after.rotation.enabled ? after.rotation.nextRotateTime : undefined;
    if (prev !== undefined && prev !== next) ops.push({ type: "del", key: productKeys.schedule(prev, after.uin, after.region, after.secretName) });
    if (next !== undefined) ops.push({ type: "put", key: productKeys.schedule(next, after.uin, after.region, after.secretName), value: new Uint8Array() });
    ops.push({ type: "put", key: productKeys.binding(after.uin, after.region, after.secretName), value: encodeRecord(after) });
    return ops;
  }

  /** Removes a binding and its schedule entry (the secret was deleted); its flows stay as history until purged with it. */
  delBinding(binding: ProductBinding): BatchOp[] {
    const ops: BatchOp[] = [{ type: "del", key: productKeys.binding(binding.uin, binding.region, binding.secretName) }];
    const next = binding.rotation.nextRotateTime;
    if (next !== undefined) ops.push({ type: "del", key: productKeys.schedule(next, binding.uin, binding.region, binding.secretName) });
    return ops;
  }

  async findFlow(flowId: number): Promise<FlowRecord | undefined> {
    if (!Number.isSafeInteger(flowId) || flowId < 1) return undefined;
    const key = productKeys.flow(flowId);
    const bytes = await this.store.get(key);
    return bytes && this.reads.remember(decodeRecord<FlowRecord>(bytes, `flow ${flowId}`), key, bytes);
  }

  /** DescribeAsyncRequestInfo's lookup: another account's or region's flow is not found either. */
  async getFlow(scope: Scope, flowId: number): Promise<FlowRecord> {
    const flow = await this.findFlow(flowId);
    if (!flow || flow.uin !== scope.uin || flow.region !== scope.region) throw new KmsError("ResourceNotFound", `FlowID ${flowId} not found`);
    return flow;
  }

  /** The flow written, with its active-flow and history entries kept in step. */
  putFlow(flow: FlowRecord): BatchOp[] {
    const active: BatchOp = isTerminal(flow.state)
      ? { type: "del", key: productKeys.activeFlow(flow.flowId) }
      : { type: "put", key: productKeys.activeFlow(flow.flowId), value: new Uint8Array() };
    return [
      { type: "put", key: productKeys.flow(flow.flowId), value: encodeRecord(flow) },
      active,
      { type: "put", key: productKeys.history(flow.uin, flow.region, flow.secretName, flow.flowId), value: new Uint8Array() },
    ];
  }

  async activeFlowIds(): Promise<number[]> {
    const ids: number[] = [];
    for await (const key of this.store.scanKeys({ prefix: productKeys.activeFlowsPrefix })) ids.push(flowIdOfKey(key));
    return ids;
  }

  /** The highest flow id stored (0 if none): new ids continue from it after a restart. */
  async lastFlowId(): Promise<number> {
    for await (const key of this.store.scanKeys({ prefix: productKeys.flowsPrefix, reverse: true, limit: 1 })) return flowIdOfKey(key);
    return 0;
  }

  /** A secret's flows, newest first. */
  async history(ref: SecretRef, limit = 100): Promise<FlowRecord[]> {
    const out: FlowRecord[] = [];
    for await (const key of this.store.scanKeys({ prefix: productKeys.historyPrefix(ref.uin, ref.region, ref.secretName), reverse: true, limit })) {
      const flow = await this.findFlow(flowIdOfKey(key));
      if (flow) out.push(flow);
    }
    return out;
  }

  /** Secrets whose automatic rotation is due at `nowMs`, oldest date first. */
  async dueRefs(nowMs: number): Promise<{ ref: SecretRef; dateMs: number }[]> {
    const out: { ref: SecretRef; dateMs: number }[] = [];
    for await (const key of this.store.scanKeys({ prefix: productKeys.schedulePrefix })) {
      const [date, uin, region, secretName] = key.slice(productKeys.schedulePrefix.length).split("/");
      const dateMs = Number(date);
      if (dateMs > nowMs) break;
      if (uin && region && secretName) out.push({ ref: { uin, region, secretName }, dateMs });
    }
    return out;
  }
}
