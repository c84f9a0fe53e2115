/**
 * Creating and rotating a product secret's accounts: crash-safe flows.
 *
 * A product secret owns two accounts, <prefix>SSM<3 digits> each (the names
 * Tencent documents), alternating: one holds the current credentials, the
 * other the previous ones. A rotation gives the standby account (the one not
 * current) a fresh password and commits it as current, so clients holding the
 * previous current credentials keep working until the next rotation, and
 * credentials older than that stop working.
 *
 * A flow is a record (FlowID) moving through the states of FLOW_STEPS. Each
 * step does one idempotent thing on the database and then records the next
 * state, so a flow cut anywhere (crash, kill -9) resumes at its recorded
 * state and redoes at most one step:
 *
 *   create: Started --claim names--> Claimed --create both accounts--> Applied --verify--> Verified --commit--> Done
 *   rotate: Started --set standby password--> Applied --verify--> Verified --commit--> Done
 *   any state but Done --ProductError--> Failed
 *
 * The intent (the new password, sealed under the root key) is stored before
 * the database is touched; the commit writes the secret's new value, the
 * binding and the Done record in one batch, so the secret never names a
 * password the database was not verified to accept. A failure marks the flow
 * Failed with its reason and leaves the current credentials as they were; a
 * failed rotation also tries to put the standby's previous password back.
 *
 * Replicas (several processes on one etcd): every write is guarded by the
 * records it rests on (the flow, the binding, the secret, the instance, as
 * read), and a flow id must be free in the store. A start or a policy change
 * that collides with another replica's runs again (ResourceInUse then, if
 * that one started a flow). A flow normally runs on the replica that started
 * it (RotateProductSecret is served by any replica) or on the elected leader
 * (scheduled rotations, flows resumed after a crash); around a leader
 * failover two replicas may drive one flow at once: each step is idempotent
 * on the database with the same sealed password, and a step whose guarded
 * write loses goes on from the state the other recorded, so the flow's record
 * never goes back and its commit lands once.
 */
import { randomInt } from "node:crypto";
import type { Clock } from "../../clock.js";
import { KmsError } from "../../errors.js";
import type { SystemJournals } from "../../jobs.js";
import type { RootKey } from "../../crypto/seal.js";
import { retryOnConflict } from "../../store/guarded.js";
import { StoreConflictError, type BatchOp, type Guard, type KvStore } from "../../store/store.js";
import type { Locks } from "../deps.js";
import { secretLockName } from "../locks.js";
import {
  buildInstanceRecord,
  endpointOf,
  InstanceRepository,
  validateInstanceInput,
  type InstanceRecord,
  type RegisterInstanceInput,
  type Scope,
} from "./instance.js";
import { flowIdOfKey, productKeys } from "./keyspace.js";
import { generatePassword } from "./password.js";
import {
  ProductError,
  productErrorToKms,
  validateDomains,
  validatePrivileges,
  validateUserNamePrefix,
  type InstanceEndpoint,
  type ProductBackend,
  type ProductPrivilegeUnit,
} from "./product.js";
import { productOf, type ProductRegistry } from "./registry.js";
import {
  flowPasswordLabel,
  isTerminal,
  ProductRepository,
  type FlowKind,
  type FlowRecord,
  type FlowState,
  type ProductBinding,
  type RotationPolicy,
} from "./repository.js";
import type { ProductCredentials, ProductSecretValues, SecretRef } from "./values.js";

/** The states each kind of flow passes through, in order. */
export const FLOW_STEPS: Record<FlowKind, readonly FlowState[]> = {
  create: ["Started", "Claimed", "Applied", "Verified", "Done"],
  rotate: ["Started", "Applied", "Verified", "Done"],
};

/** DescribeAsyncRequestInfo.TaskStatus: 0 processing, 1 succeeded, 2 failed. */
export const TASK_STATUS: Record<FlowState, 0 | 1 | 2> = { Started: 0, Claimed: 0, Applied: 0, Verified: 0, Done: 1, Failed: 2 };

export function nextState(kind: FlowKind, state: FlowState): FlowState {
  const steps = FLOW_STEPS[kind];
  const i = steps.indexOf(state);
  const next = steps[i + 1];
  if (i < 0 || next === undefined) throw new Error(`a ${kind} flow has no step after ${state}`);
  return next;
}

export const DAY_MS = 86_400_000;
/** Runs of one flow before it is failed for good (each crash mid-flow costs one). */
export const MAX_ATTEMPTS = 5;
/** After a failed automatic rotation, the scheduler tries again this much later. */
export const RETRY_DELAY_MS = 3_600_000;
export const MIN_FREQUENCY_DAYS = 1;
export const MAX_FREQUENCY_DAYS = 365;

export interface RotationDeps {
  store: KvStore;
  rootKey: RootKey;
  clock: Clock;
  /** Shared with the secrets actions: both take the secret's lock (../locks.ts) to change it. */
  locks: Locks;
  products: ProductRegistry;
  values: ProductSecretValues;
  /** How background steps write (default store.batch); calls pass their journal to the start functions instead. */
  write?: Writer;
  /**
   * Other processes write the store too (etcd replicas): writes carry their
   * guards and flow ids are checked against the store (default true). False
   * (LevelDB, one process): the in-process locks serialise every change.
   */
  shared?: boolean;
  newPassword?: () => string;
  log?: (msg: string) => void;
  retryDelayMs?: number;
}

export interface CreateInput {
  ref: SecretRef;
  product: string;
  instanceId: string;
  userNamePrefix: string;
  domains: readonly string[];
  privileges: readonly ProductPrivilegeUnit[];
  rotation?: { enabled: boolean; frequencyDays?: number; beginTime?: number };
}

/** Writes one batch, guarded (StoreConflictError, nothing written, when a guard fails). */
export type Writer = (ops: readonly BatchOp[], guards?: readonly Guard[]) => Promise<void>;

export interface StartOptions {
  /** Writes the start batch (an action passes its call's journal). Default: the engine's writer. */
  write?: Writer;
  /** Ops of the caller's own that belong in the same batch (the secret record of CreateProductSecret). */
  extraOps?: readonly BatchOp[];
  /** Guards of the caller's own for that batch (the secret's name is free). */
  extraGuards?: readonly Guard[];
  /** Run the flow in the background once written (default true). */
  launch?: boolean;
  /** More locks to hold with the secret's (the caller's count lock), taken together in one sorted set. */
  lockNames?: readonly string[];
  /** Runs under the locks before anything is written; a throw refuses the start (the caller re-checks what it checked unlocked). */
  precheck?: () => Promise<void>;
}

const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function validateSecretName(name: string): string {
  if (name === "") throw new KmsError("MissingParameter", "SecretName is required");
  if (!SECRET_NAME.test(name)) throw new KmsError("InvalidParameterValue", "SecretName must be 1 to 128 letters, digits, '-' or '_', starting with a letter or digit");
  return name;
}

/** RotationFrequency / Frequency in days. */
export function validateFrequency(days: number, field = "RotationFrequency"): number {
  if (!Number.isInteger(days) || days < MIN_FREQUENCY_DAYS || days > MAX_FREQUENCY_DAYS)
    throw new KmsError("InvalidParameterValue", `${field} must be a whole number of days from ${MIN_FREQUENCY_DAYS} to ${MAX_FREQUENCY_DAYS}`);
  return days;
}

/**
 * When automatic rotation is next due: the begin time while no rotation has
 * happened since it, else a full period after the last rotation; undefined
 * while rotation is off.
 */
export function nextRotationTime(policy: RotationPolicy): number | undefined {
  if (!policy.enabled) return undefined;
  const period = policy.frequencyDays * DAY_MS;
  const last = policy.lastRotateTime;
  const begin = policy.beginTime;
  if (begin !== undefined && (last === undefined || last < begin)) return begin;
  return last === undefined ? undefined : last + period;
}

/** Whether the scheduler should start a rotation of this binding now. */
export function isDue(binding: ProductBinding, nowMs: number): boolean {
  const next = binding.rotation.nextRotateTime;
  return binding.rotation.enabled && binding.users.length === 2 && binding.flowInProgress === undefined && next !== undefined && next <= nowMs;
}

// ---- times as the API shows them -------------------------------------------

/** Tencent's API shows rotation times as "2006-01-02 15:04:05" in Beijing time (UTC+8). */
export const API_TIME_OFFSET_MINUTES = 8 * 60;

export function formatApiTime(ms: number, offsetMinutes = API_TIME_OFFSET_MINUTES): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19).replace("T", " ");
}

export function parseApiTime(text: string, field: string, offsetMinutes = API_TIME_OFFSET_MINUTES): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new KmsError("InvalidParameterValue", `${field} must be formatted as 2006-01-02 15:04:05`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (formatApiTime(ms, 0) !== text) throw new KmsError("InvalidParameterValue", `${field} is not a valid date and time`);
  return ms - offsetMinutes * 60_000;
}

// ---- the engine ------------------------------------------------------------------

const secretLock = (ref: SecretRef) => secretLockName(ref.uin, ref.region, ref.secretName);
export const instanceLock = (scope: Scope, instanceId: string) => `product-instance:${scope.uin}/${scope.region}/${instanceId}`;
const FLOW_ID_LOCK = "product-secret:flow-id";

/** What a step needs, loaded fresh for each step. */
interface StepContext {
  flow: FlowRecord;
  binding: ProductBinding;
  backend: ProductBackend;
  instance: InstanceEndpoint;
  password: string;
}

export class RotationEngine {
  readonly repo: ProductRepository;
  readonly instances: InstanceRepository;
  private lastFlowId: number | undefined;
  private readonly running = new Map<number, Promise<FlowRecord>>();
  private journals: SystemJournals | undefined;

  constructor(private readonly deps: RotationDeps) {
    this.repo = new ProductRepository(deps.store);
    this.instances = new InstanceRepository(deps.store);
  }

  private get shared(): boolean {
    return this.deps.shared ?? true;
  }

  /** Writes one batch through `via` (a call's journal) or the engine's writer; guards only on a shared store. */
  private async write(ops: readonly BatchOp[], allGuards: readonly Guard[] = [], via?: Writer): Promise<void> {
    const guards = this.shared ? allGuards : [];
    if (via) return via(ops, guards);
    if (this.deps.write) return this.deps.write(ops, guards);
    await this.deps.store.batch(ops, guards.length > 0 ? { guards } : {});
  }

  /**
   * From now on a flow's end (its credentials made current, or the flow
   * failed) is written with a system event (src/audit/system.ts): it runs in
   * the background, after the call or the scheduler pass that started it.
   */
  auditWith(journals: SystemJournals): void {
    this.journals = journals;
  }

  /** Writes a flow's last batch, with its system event when auditWith was called. */
  private async writeEnd(flow: FlowRecord, action: string, ops: readonly BatchOp[], guards: readonly Guard[]): Promise<void> {
    const journals = this.journals;
    if (!journals) return this.write(ops, guards);
    await this.write(ops, guards, async (o, g) => void (await journals(action, [flow.secretName, `flow:${flow.flowId}`], flow.uin)(o, undefined, g)));
  }

  private newPassword(): string {
    return (this.deps.newPassword ?? generatePassword)();
  }

  private seal(flow: FlowRecord, password: string): string {
    return Buffer.from(this.deps.rootKey.seal(Buffer.from(password, "utf8"), flowPasswordLabel(flow))).toString("base64");
  }

  private unseal(flow: FlowRecord): string {
    if (flow.passwordSealed === undefined) throw new KmsError("InternalError", `flow ${flow.flowId} has no password`);
    return Buffer.from(this.deps.rootKey.unseal(Buffer.from(flow.passwordSealed, "base64"), flowPasswordLabel(flow))).toString("utf8");
  }

  /**
   * A new FlowID, above every stored one (ids are numbers: the SDK's FlowID
   * is an integer). With replicas the store is asked every time (another
   * replica may have used the next id), and the flow's batch guards that the
   * id is still free.
   */
  private async allocateFlowId(): Promise<number> {
    return this.deps.locks.run([FLOW_ID_LOCK], async () => {
      if (this.lastFlowId === undefined || this.shared) this.lastFlowId = Math.max(this.lastFlowId ?? 0, await this.repo.lastFlowId());
      this.lastFlowId += 1;
      return this.lastFlowId;
    });
  }

  /**
   * CreateProductSecret's part: validates the request, then writes (in one
   * batch, with `extraOps`) the binding and a create flow in state Started.
   * The accounts are made by the flow, in the background.
   */
  async startCreate(input: CreateInput, opts: StartOptions = {}): Promise<FlowRecord> {
    const ref = input.ref;
    const { backend, prefix, hosts, privileges, rotation, frequencyDays } = this.validateCreate(input);

    return retryOnConflict(`product secret ${ref.secretName}`, () => this.deps.locks.run([secretLock(ref), instanceLock(ref, input.instanceId), ...(opts.lockNames ?? [])], async () => {
      // Under the instance's lock: a deregistration cannot slip between this check and the binding (on
      // another replica: the instance's change counter, bumped in this batch, makes its guard fail).
      const instance = await this.instances.get(ref, input.instanceId);
      if (instance.product !== backend.name)
        throw new KmsError("InvalidParameterValue", `InstanceID ${input.instanceId} is a ${instance.product} instance, not ${backend.name}`);
      await opts.precheck?.();
      if (await this.repo.findBinding(ref)) throw new KmsError("ResourceInUse", `SecretName ${ref.secretName} already has accounts`);
      const now = this.deps.clock.now();
      const flowId = await this.allocateFlowId();
      const binding: ProductBinding = {
        ...pickRef(ref),
        product: backend.name,
        instanceId: instance.instanceId,
        userNamePrefix: prefix,
        users: [],
        hosts,
        privileges,
        rotation: { enabled: rotation.enabled, frequencyDays, ...(rotation.beginTime !== undefined ? { beginTime: rotation.beginTime } : {}) },
        flowInProgress: flowId,
        createTime: now,
      };
      const flow = this.newFlow(ref, flowId, "create", false, now);
      flow.passwordSealed = this.seal(flow, this.newPassword());
      const bound: InstanceRecord = { ...instance, binds: (instance.binds ?? 0) + 1 };
      const ops = [...(opts.extraOps ?? []), ...this.repo.putBinding(binding), ...this.repo.putFlow(flow), this.instances.put(bound)];
      const guards = [...(opts.extraGuards ?? []), this.instances.guardOf(instance), this.repo.absentBinding(ref), this.repo.absentFlow(flowId)];
      await this.write(ops, guards, opts.write);
      if (opts.launch !== false) this.launch(flowId);
      return flow;
    }));
  }

  /** Every check of a create request that needs no lock: throws the field's code, writes nothing. */
  validateCreate(input: CreateInput) {
    validateSecretName(input.ref.secretName);
    const backend = productOf(this.deps.products, input.product);
    const prefix = validateUserNamePrefix(input.userNamePrefix);
    const hosts = validateDomains(input.domains);
    const privileges = validatePrivileges(backend, input.privileges);
    const rotation = input.rotation ?? { enabled: false };
    const frequencyDays = validateFrequency(rotation.frequencyDays ?? 1);
    if (rotation.enabled && rotation.beginTime === undefined) throw new KmsError("MissingParameter", "RotationBeginTime is required when EnableRotation is true");
    return { backend, prefix, hosts, privileges, rotation, frequencyDays };
  }

  /**
   * RotateProductSecret's part (and the scheduler's): writes a rotate flow in
   * state Started for the standby account, then runs it in the background.
   * Refuses while another flow of the secret runs (ResourceInUse).
   */
  async startRotation(ref: SecretRef, opts: StartOptions & { scheduled?: boolean } = {}): Promise<FlowRecord> {
    return retryOnConflict(`product secret ${ref.secretName}`, () => this.deps.locks.run([secretLock(ref), ...(opts.lockNames ?? [])], async () => {
      await opts.precheck?.();
      await this.deps.values.assertRotatable(ref);
      const binding = await this.repo.getBinding(ref);
      if (binding.flowInProgress !== undefined) throw new KmsError("ResourceInUse", `SecretName ${ref.secretName} has flow ${binding.flowInProgress} in progress`);
      if (binding.users.length !== 2) throw new KmsError("FailedOperation", `SecretName ${ref.secretName} has no accounts yet (its create flow did not finish)`);
      const { current } = await this.deps.values.read(ref);
      const standby = binding.users.find((u) => u !== current?.UserName);
      if (!current || !binding.users.includes(current.UserName) || !standby)
        throw new KmsError("FailedOperation", `SecretName ${ref.secretName} has no current credentials of its accounts`);
      const now = this.deps.clock.now();
      const flowId = await this.allocateFlowId();
      const flow = this.newFlow(ref, flowId, "rotate", opts.scheduled ?? false, now);
      flow.user = standby;
      flow.passwordSealed = this.seal(flow, this.newPassword());
      const after: ProductBinding = { ...binding, flowInProgress: flowId };
      // Another replica starting a flow of this secret changes the binding: this batch is refused, re-run, and answers ResourceInUse.
      const guards = [...(opts.extraGuards ?? []), this.repo.guardOf(binding), this.repo.absentFlow(flowId)];
      await this.write([...(opts.extraOps ?? []), ...this.repo.putBinding(after, binding), ...this.repo.putFlow(flow)], guards, opts.write);
      if (opts.launch !== false) this.launch(flowId);
      return flow;
    }));
  }

  /**
   * UpdateRotationStatus: turns automatic rotation on (from `beginTime`, or
   * now when none is given, as the SDK documents) or off, and sets the period.
   */
  async updateRotation(
    ref: SecretRef,
    change: { enabled: boolean; frequencyDays?: number; beginTime?: number },
    opts: { write?: Writer } = {},
  ): Promise<ProductBinding> {
    const frequencyDays = change.frequencyDays === undefined ? undefined : validateFrequency(change.frequencyDays, "Frequency");
    return retryOnConflict(`product secret ${ref.secretName}`, () => this.deps.locks.run([secretLock(ref)], async () => {
      const binding = await this.repo.getBinding(ref);
      const now = this.deps.clock.now();
      const rotation: RotationPolicy = { ...binding.rotation, enabled: change.enabled, frequencyDays: frequencyDays ?? binding.rotation.frequencyDays, failures: 0 };
      if (change.enabled) rotation.beginTime = change.beginTime ?? now;
      rotation.nextRotateTime = nextRotationTime(rotation);
      if (rotation.nextRotateTime === undefined) delete rotation.nextRotateTime;
      const after: ProductBinding = { ...binding, rotation };
      await this.write(this.repo.putBinding(after, binding), [this.repo.guardOf(binding)], opts.write);
      return after;
    }));
  }

  private newFlow(ref: SecretRef, flowId: number, kind: FlowKind, scheduled: boolean, now: number): FlowRecord {
    return { ...pickRef(ref), flowId, kind, state: "Started", scheduled, attempts: 0, createTime: now, updateTime: now };
  }

  /** Runs a flow in the background; a second launch of a running flow joins it. */
  launch(flowId: number): Promise<FlowRecord> {
    const existing = this.running.get(flowId);
    if (existing) return existing;
    const p = this.run(flowId).finally(() => this.running.delete(flowId));
    this.running.set(flowId, p);
    p.catch((err: unknown) => this.deps.log?.(`product flow ${flowId}: stopped: ${(err as Error).message}`));
    return p;
  }

  /** Waits for every flow running in the background (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Drives a flow to Done or Failed from its recorded state. A ProductError
   * fails the flow; any other error (the store, a bug, a simulated crash)
   * leaves it where it was recorded, for recover() to resume.
   */
  async run(flowId: number): Promise<FlowRecord> {
    let flow = await retryOnConflict(`flow ${flowId}`, async () => {
      const loaded = await this.loadFlow(flowId);
      if (isTerminal(loaded.state)) return loaded;
      const next = { ...loaded, attempts: loaded.attempts + 1, updateTime: this.deps.clock.now() };
      await this.write(this.repo.putFlow(next), [this.repo.guardOf(loaded)]);
      return next;
    });
    if (isTerminal(flow.state)) return flow;
    if (flow.attempts > MAX_ATTEMPTS) return this.fail(flow, `flow ${flowId} was interrupted ${MAX_ATTEMPTS} times; giving up`);
    while (!isTerminal(flow.state)) flow = await this.step(flow.flowId);
    return flow;
  }

  /** Does exactly one step of a flow and records its outcome (tests drive flows step by step with it). */
  async step(flowId: number): Promise<FlowRecord> {
    const flow = await this.loadFlow(flowId);
    if (isTerminal(flow.state)) return flow;
    try {
      try {
        return await this.advance(await this.context(flow));
      } catch (err) {
        // A refusal (the database's, or the secret's value store's, e.g. a disabled CMK) fails the flow;
        // anything else (the store, a bug, a simulated crash) leaves it for recover().
        if (err instanceof ProductError || err instanceof KmsError) return await this.fail(flow, err.message);
        throw err;
      }
    } catch (err) {
      // Another runner of this flow (a replica, around a leader failover) or a change of its secret or binding
      // landed first: nothing was written; go on from what the store now holds.
      if (err instanceof StoreConflictError) return this.loadFlow(flowId);
      throw err;
    }
  }

  /** Resumes every flow a previous process left unfinished (call at start). */
  async recover(): Promise<FlowRecord[]> {
    const out: FlowRecord[] = [];
    for (const id of await this.repo.activeFlowIds()) out.push(await this.launch(id));
    return out;
  }

  /** Secrets whose automatic rotation is due now (the scheduler's question). */
  async due(nowMs: number): Promise<SecretRef[]> {
    const out: SecretRef[] = [];
    for (const { ref } of await this.repo.dueRefs(nowMs)) {
      const b = await this.repo.findBinding(ref);
      // A secret that may not rotate now (disabled, pending deletion) keeps its date and rotates once it may.
      if (b && isDue(b, nowMs) && (await this.deps.values.assertRotatable(ref).then(() => true, () => false))) out.push(ref);
    }
    return out;
  }

  /**
   * One scheduler pass: starts (and runs) the rotation of every due secret;
   * returns their flows. With `journals`, each start is written with its
   * system event (ssm:RotateProductSecret, the secret's name and account).
   */
  async runDue(journals?: SystemJournals): Promise<FlowRecord[]> {
    const started: FlowRecord[] = [];
    for (const ref of await this.due(this.deps.clock.now())) {
      const journal = journals?.("ssm:RotateProductSecret", [ref.secretName], ref.uin);
      try {
        started.push(await this.startRotation(ref, { scheduled: true, ...(journal ? { write: async (ops, guards) => void (await journal(ops, undefined, guards)) } : {}) }));
      } catch (err) {
        this.deps.log?.(`product secret ${ref.secretName}: automatic rotation not started: ${(err as Error).message}`);
      }
    }
    return started;
  }

  private async loadFlow(flowId: number): Promise<FlowRecord> {
    const flow = await this.repo.findFlow(flowId);
    if (!flow) throw new KmsError("ResourceNotFound", `FlowID ${flowId} not found`);
    return flow;
  }

  private async context(flow: FlowRecord): Promise<StepContext> {
    const binding = await this.repo.findBinding(flow);
    if (!binding) throw new ProductError("Failed", `product secret ${flow.secretName} no longer exists`);
    const backend = this.deps.products.get(binding.product);
    if (!backend) throw new ProductError("Failed", `product ${binding.product} is not supported`);
    const record = await this.instances.find(flow, binding.instanceId);
    if (!record) throw new ProductError("Failed", `instance ${binding.instanceId} is no longer registered`);
    return { flow, binding, backend, instance: endpointOf(record, this.deps.rootKey), password: this.unseal(flow) };
  }

  private async advance(ctx: StepContext): Promise<FlowRecord> {
    const { flow, binding, backend, instance, password } = ctx;
    const to = nextState(flow.kind, flow.state);
    switch (to) {
      case "Claimed":
        return this.claim(ctx);
      case "Applied":
        if (flow.kind === "create") {
          const [first, second] = binding.users as [string, string];
          await backend.ensureAccount(instance, { user: first, hosts: binding.hosts, password, privileges: binding.privileges });
          // The standby gets the same privileges and a password nobody holds; its first rotation gives it one.
          await backend.ensureAccount(instance, { user: second, hosts: binding.hosts, password: this.newPassword(), privileges: binding.privileges });
        } else {
          await backend.setPassword(instance, flow.user ?? "", binding.hosts, password);
        }
        return this.record(flow, to);
      case "Verified":
        await backend.verifyLogin(instance, flow.user ?? "", binding.hosts, password);
        return this.record(flow, to);
      case "Done":
        return this.commit(ctx);
      default:
        throw new Error(`no step leads to ${to}`);
    }
  }

  /**
   * Picks two account names no account on the instance has, and records them
   * (binding and flow) before any account is created: a name recorded as
   * claimed is ours, so a resumed flow may bring its account to our state.
   */
  private async claim(ctx: StepContext): Promise<FlowRecord> {
    const { flow, binding, backend, instance } = ctx;
    const taken = new Set((await this.repo.bindingsOf(flow)).flatMap((b) => b.users));
    const names: string[] = [];
    for (let tries = 0; names.length < 2; tries++) {
      if (tries >= 50) throw new ProductError("Failed", `no free account name with prefix ${binding.userNamePrefix} on instance ${instance.instanceId}`);
      const name = `${binding.userNamePrefix}SSM${String(randomInt(1000)).padStart(3, "0")}`;
      if (name.length > backend.maxUserLength || names.includes(name) || taken.has(name)) continue;
      if (!(await backend.accountExists(instance, name))) names.push(name);
    }
    return this.deps.locks.run([secretLock(flow)], async () => {
      const fresh = await this.repo.findBinding(flow);
      if (!fresh) throw new ProductError("Failed", `product secret ${flow.secretName} no longer exists`);
      const after: ProductBinding = { ...fresh, users: names };
      const next: FlowRecord = { ...flow, state: "Claimed", user: names[0], updateTime: this.deps.clock.now() };
      await this.write([...this.repo.putBinding(after, fresh), ...this.repo.putFlow(next)], [this.repo.guardOf(fresh), this.repo.guardOf(flow)]);
      return next;
    });
  }

  /** The flow (as loaded for this step) moved to `state`, guarded: a second runner that recorded it first wins. */
  private async record(flow: FlowRecord, state: FlowState): Promise<FlowRecord> {
    const next = { ...flow, state, updateTime: this.deps.clock.now() };
    await this.write(this.repo.putFlow(next), [this.repo.guardOf(flow)]);
    return next;
  }

  /** The new credentials become current, in one batch with the binding and the Done record. */
  private async commit(ctx: StepContext): Promise<FlowRecord> {
    const { flow, password } = ctx;
    return this.deps.locks.run([secretLock(flow)], async () => {
      const binding = await this.repo.findBinding(flow);
      if (!binding) throw new ProductError("Failed", `product secret ${flow.secretName} no longer exists`);
      const now = this.deps.clock.now();
      const credentials: ProductCredentials = { UserName: flow.user ?? "", Password: password };
      const { ops, versionId, guards = [] } = await this.deps.values.commitOps(flow, credentials, { flowId: flow.flowId, nowMs: now });
      const rotation: RotationPolicy = { ...binding.rotation, failures: 0 };
      if (flow.kind === "rotate") rotation.lastRotateTime = now;
      rotation.nextRotateTime = nextRotationTime(rotation);
      if (rotation.nextRotateTime === undefined) delete rotation.nextRotateTime;
      const after: ProductBinding = { ...binding, rotation };
      delete after.flowInProgress;
      const done: FlowRecord = { ...flow, state: "Done", versionId, updateTime: now };
      delete done.passwordSealed;
      await this.writeEnd(flow, "ssm:CompleteProductSecretFlow", [...ops, ...this.repo.putBinding(after, binding), ...this.repo.putFlow(done)], [
        ...guards,
        this.repo.guardOf(binding),
        this.repo.guardOf(flow),
      ]);
      return done;
    });
  }

  /**
   * Marks a flow Failed, after trying to leave the database as the secret
   * describes it: a failed create drops the accounts it may have made; a
   * failed rotation gives the standby its previous password back.
   */
  private async fail(flow: FlowRecord, reason: string): Promise<FlowRecord> {
    const note = await this.cleanUp(flow).catch((err: unknown) => `; clean-up failed: ${err instanceof ProductError ? err.message : "internal error"}`);
    return this.deps.locks.run([secretLock(flow)], async () => {
      // The flow as stored now: another runner may have ended it meanwhile.
      const stored = await this.loadFlow(flow.flowId);
      if (isTerminal(stored.state)) return stored;
      const binding = await this.repo.findBinding(flow);
      const now = this.deps.clock.now();
      const ops: BatchOp[] = [];
      const guards: Guard[] = [this.repo.guardOf(stored)];
      if (binding && binding.flowInProgress === flow.flowId) {
        const after: ProductBinding = { ...binding };
        delete after.flowInProgress;
        if (flow.scheduled && binding.rotation.enabled)
          after.rotation = { ...binding.rotation, nextRotateTime: now + (this.deps.retryDelayMs ?? RETRY_DELAY_MS), failures: (binding.rotation.failures ?? 0) + 1 };
        ops.push(...this.repo.putBinding(after, binding));
        guards.push(this.repo.guardOf(binding));
      }
      const failOps = await this.deps.values.failOps(flow, { flowId: flow.flowId, nowMs: now, kind: flow.kind, reason });
      ops.push(...failOps.ops);
      guards.push(...(failOps.guards ?? []));
      const failed: FlowRecord = { ...stored, state: "Failed", reason: reason + note, updateTime: now };
      delete failed.passwordSealed;
      ops.push(...this.repo.putFlow(failed));
      await this.writeEnd(flow, "ssm:FailProductSecretFlow", ops, guards);
      return failed;
    });
  }

  private async cleanUp(flow: FlowRecord): Promise<string> {
    const binding = await this.repo.findBinding(flow);
    const backend = binding && this.deps.products.get(binding.product);
    const record = binding && (await this.instances.find(flow, binding.instanceId));
    if (!binding || !backend || !record) return "";
    const instance = endpointOf(record, this.deps.rootKey);
    if (flow.kind === "create") {
      if (binding.users.length === 0) return "";
      try {
        for (const user of binding.users) await backend.dropAccount(instance, user, binding.hosts);
        return `; accounts ${binding.users.join(", ")} were dropped`;
      } catch (err) {
        return `; accounts ${binding.users.join(", ")} may remain on the instance (${err instanceof ProductError ? err.kind : "error"})`;
      }
    }
    const { previous } = await this.deps.values.read(flow);
    if (!previous || previous.UserName !== flow.user) return "";
    try {
      await backend.setPassword(instance, previous.UserName, binding.hosts, previous.Password);
      return `; the previous credentials of ${previous.UserName} were restored`;
    } catch (err) {
      return `; the previous credentials of ${previous.UserName} may no longer work (${err instanceof ProductError ? err.kind : "error"})`;
    }
  }

  // ---- the secret's end, and the instances ------------------------------------------

  /**
   * Drops both accounts of a product secret on its database (DeleteSecret with
   * DeleteMode 1). Idempotent; a database that refuses or is unreachable
   * throws the action's code (ResourceUnavailable, FailedOperation).
   */
  async dropAccounts(ref: SecretRef): Promise<string[]> {
    const binding = await this.repo.findBinding(ref);
    if (!binding || binding.users.length === 0) return [];
    const backend = this.deps.products.get(binding.product);
    const record = await this.instances.find(ref, binding.instanceId);
    if (!backend || !record) throw new KmsError("FailedOperation", `instance ${binding.instanceId} of ${ref.secretName} is no longer registered: its accounts cannot be dropped`);
    const instance = endpointOf(record, this.deps.rootKey);
    try {
      for (const user of binding.users) await backend.dropAccount(instance, user, binding.hosts);
    } catch (err) {
      if (err instanceof ProductError) throw productErrorToKms(err);
      throw err;
    }
    return [...binding.users];
  }

  /**
   * Every op that removes a product secret's binding, schedule entry, flows
   * and history (with the secret's purge), and the guard that the binding is
   * still as read (a flow another replica starts meanwhile refuses the purge).
   */
  async purgeOps(ref: SecretRef): Promise<{ ops: BatchOp[]; guards: Guard[] }> {
    const ops: BatchOp[] = [];
    const guards: Guard[] = [];
    const binding = await this.repo.findBinding(ref);
    if (binding) {
      ops.push(...this.repo.delBinding(binding));
      guards.push(this.repo.guardOf(binding));
    }
    for await (const key of this.deps.store.scanKeys({ prefix: productKeys.historyPrefix(ref.uin, ref.region, ref.secretName) })) {
      const flowId = flowIdOfKey(key);
      ops.push({ type: "del", key }, { type: "del", key: productKeys.flow(flowId) }, { type: "del", key: productKeys.activeFlow(flowId) });
    }
    return { ops, guards };
  }

  /** The binding of a product secret, if it has one (DescribeSecret, ListSecrets, DeleteSecret). */
  binding(ref: SecretRef): Promise<ProductBinding | undefined> {
    return this.repo.findBinding(ref);
  }

  /** The account whose credentials are current: the one the newest Done flow committed (no value is decrypted). */
  async currentUser(ref: SecretRef): Promise<string | undefined> {
    return (await this.repo.history(ref, 1000)).find((f) => f.state === "Done")?.user;
  }

  /**
   * RegisterDatabaseInstance: validates, logs in as the admin (ping), then,
   * under the instance's lock, stores the record (admin password sealed)
   * through `write` (the call's journal). Nothing is stored when a check fails.
   */
  async registerInstance(scope: Scope, input: RegisterInstanceInput, write: Writer): Promise<{ record: InstanceRecord; replaced: boolean }> {
    validateInstanceInput(input, this.deps.products);
    const backend = productOf(this.deps.products, input.product);
    try {
      await backend.ping({ instanceId: input.instanceId, host: input.host, port: input.port, adminUser: input.adminUser, adminPassword: input.adminPassword });
    } catch (err) {
      if (err instanceof ProductError) throw productErrorToKms(err);
      throw err;
    }
    // Registered on two replicas at once: one batch lands, the other is refused, re-run, and replaces it (replaced: true).
    return retryOnConflict(`instance ${input.instanceId}`, () => this.deps.locks.run([instanceLock(scope, input.instanceId)], async () => {
      const existing = await this.instances.find(scope, input.instanceId);
      if (existing && existing.product !== input.product && (await this.bindingsOn(scope, input.instanceId)) > 0)
        throw new KmsError("ResourceInUse", `InstanceID ${input.instanceId} holds ${existing.product} secrets: its product cannot change`);
      const record = buildInstanceRecord(input, scope, this.deps.rootKey, this.deps.products, this.deps.clock.now(), existing);
      await this.write([this.instances.put(record)], [existing ? this.instances.guardOf(existing) : this.instances.absent(scope, input.instanceId)], write);
      return { record, replaced: existing !== undefined };
    }));
  }

  /** DeregisterDatabaseInstance: refused (ResourceInUse) while a product secret is bound to the instance. */
  async deregisterInstance(scope: Scope, instanceId: string, write: Writer): Promise<void> {
    // Guarded by the record as read: a secret bound on another replica meanwhile bumped it (startCreate), so this re-runs and refuses.
    await retryOnConflict(`instance ${instanceId}`, () => this.deps.locks.run([instanceLock(scope, instanceId)], async () => {
      const instance = await this.instances.get(scope, instanceId);
      const used = await this.bindingsOn(scope, instanceId);
      if (used > 0) throw new KmsError("ResourceInUse", `InstanceID ${instanceId} is used by ${used} product secret(s): delete them first`);
      await this.write([this.instances.del(scope, instanceId)], [this.instances.guardOf(instance)], write);
    }));
  }

  private async bindingsOn(scope: Scope, instanceId: string): Promise<number> {
    return (await this.repo.bindingsOf(scope)).filter((b) => b.instanceId === instanceId).length;
  }

  /** The products product secrets can be made for (DescribeSupportedProducts). */
  get productNames(): string[] {
    return [...this.deps.products.keys()];
  }

  // ---- what the Describe* actions show --------------------------------------------

  /** DescribeAsyncRequestInfo. */
  async asyncRequestInfo(scope: Scope, flowId: number): Promise<{ TaskStatus: 0 | 1 | 2; Description: string }> {
    const flow = await this.repo.getFlow(scope, flowId);
    return { TaskStatus: TASK_STATUS[flow.state], Description: describeFlow(flow) };
  }

  /** DescribeRotationDetail. */
  async rotationDetail(ref: SecretRef): Promise<{ EnableRotation: boolean; Frequency: number; LatestRotateTime: string; NextRotateBeginTime: string }> {
    const { rotation } = await this.repo.getBinding(ref);
    return {
      EnableRotation: rotation.enabled,
      Frequency: rotation.frequencyDays,
      LatestRotateTime: rotation.lastRotateTime === undefined ? "" : formatApiTime(rotation.lastRotateTime),
      NextRotateBeginTime: rotation.enabled && rotation.nextRotateTime !== undefined ? formatApiTime(rotation.nextRotateTime) : "",
    };
  }

  /** DescribeRotationHistory: the last ten committed versions, newest first, and the two accounts. */
  async rotationHistory(ref: SecretRef): Promise<{
    VersionIDs: string[];
    TotalCount: number;
    AccountInfoList: { AccountName: string; Host: string[]; Version: string; RotatedTime: string }[];
  }> {
    const binding = await this.repo.getBinding(ref);
    const done = (await this.repo.history(ref, 1000)).filter((f) => f.state === "Done");
    const versionIds = done.flatMap((f) => (f.versionId === undefined ? [] : [f.versionId])).slice(0, 10);
    // The current account is the one the newest Done flow committed: no value is decrypted to say so.
    const current = done[0] === undefined ? undefined : { UserName: done[0].user };
    const accounts = binding.users.map((user) => {
      const last = done.find((f) => f.user === user);
      return {
        AccountName: user,
        Host: [...binding.hosts],
        // As the console shows them: 生效中 (in effect) for the current account, 待轮转 (awaiting rotation) for the standby.
        Version: user === current?.UserName ? "生效中" : "待轮转",
        RotatedTime: last ? formatApiTime(last.updateTime) : "",
      };
    });
    return { VersionIDs: versionIds, TotalCount: versionIds.length, AccountInfoList: accounts };
  }
}

/** DescribeAsyncRequestInfo.Description of a flow: what it is doing, did, or why it failed. Never a password. */
export function describeFlow(flow: FlowRecord): string {
  const what = flow.kind === "create" ? `creating the accounts of ${flow.secretName}` : `rotating ${flow.secretName} to ${flow.user ?? "its standby account"}`;
  switch (flow.state) {
    case "Done":
      return flow.kind === "create" ? `accounts of ${flow.secretName} created; ${flow.user ?? ""} is current` : `${flow.secretName} rotated; ${flow.user ?? ""} is current`;
    case "Failed":
      return `failed ${what}: ${flow.reason ?? "unknown reason"}`;
    default:
      return `${what} (${flow.state})`;
  }
}

function pickRef(ref: SecretRef): SecretRef {
  return { uin: ref.uin, region: ref.region, secretName: ref.secretName };
}
