/**
 * The one call pipeline. Every call on every transport (gRPC, gRPC-Web,
 * Connect, API 3.0) goes through `serve`, which owns its whole life: request
 * id, in-flight tracking for drain, the caller's identity, the region, the
 * rate limit, the account the call acts in (the caller's, or a member
 * account its request names), authorisation through the Gate, the call
 * context and journal,
 * the audit event (calls refused before dispatch included), and the error →
 * {gRPC status, API code, message} mapping with its one logging rule.
 *
 * A transport is a wire codec around it: it reads what its protocol carries,
 * in the order the protocol allows (headers, and so credentials, before the
 * body), tells the pipeline what it learnt (identify, setRoute, setRegion), and
 * writes the Served result back in its own framing.
 */
import { performance } from "node:perf_hooks";
import type { Directory } from "../access/directory.js";
import type { Gate } from "../access/gate.js";
import type { AuditEvent, Transport } from "../audit/event.js";
import type { DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { RESOURCE_NAMES, type CallContext, type Identity, type ItemResult, type Journal, type ResourceRef } from "../call.js";
import { newRequestId } from "../crypto/random.js";
import { KmsError } from "../errors.js";
import type { Logger } from "../log.js";
import type { BatchOp, Guard, Revision } from "../store/store.js";
import { TokenMemory, type Credentials } from "./credentials.js";
import { InFlight } from "./in-flight.js";
import { outcomeOf, type Outcome } from "./outcome.js";
import { RateLimiter } from "./rate-limit.js";
import type { Message, MessageInit, Route, RouteTable } from "./routes.js";

/** Where audit events go (AuditLog implements it). */
export interface AuditSink {
  /** Queues the event of a call that changed nothing; a failed write is reported to onError. */
  record(event: AuditEvent, onError: (err: unknown) => void): void;
  /** Writes `change` and `event` in one durable batch (refused with StoreConflictError if a guard fails); resolves with its store revision. */
  commitWith(change: readonly BatchOp[], event: AuditEvent, guards?: readonly Guard[]): Promise<{ readonly revision: Revision }>;
}

/**
 * How current a replica is with a store other replicas write too (etcd).
 * Absent on a store only this process writes (LevelDB): every call is then
 * current by construction.
 */
export interface Consistency {
  /** Refuses (UnsupportedOperation.ServiceTemporaryUnavailable) when this replica cannot show it is current. */
  assertFresh(): void;
  /** Waits until this replica has applied `revision` (a caller's earlier write, named by kms-min-revision); refuses past the bound. */
  waitFor(revision: Revision): Promise<void>;
  /** Waits (bounded) until this replica has applied its own write, so the answer and what follows on this replica see it. */
  settle(revision: Revision): Promise<void>;
}

export interface PipelineDeps {
  routes: RouteTable;
  /** Who callers are and what they may do; absent while the service is sealed (only public routes are served then). */
  access: { directory: Directory; gate: Gate } | undefined;
  /** Where events go; absent while sealed (the audit key is sealed too). */
  audit: AuditSink | undefined;
  /**
   * The default account (the operator's): where events of callers that could
   * not be authenticated are filed. Every authenticated call acts in its
   * caller's own account (Identity.account) or a member account it names.
   */
  accountUin: bigint;
  /** Regions served; the first is where calls that name none act. */
  regions: readonly string[];
  /** Requests per second per credential and action (0 = no limit), by transport family. */
  rateLimits: { api3: number; rpc: number };
  /** Wall clock of audit events (the domain clock). */
  now: () => number;
  log: Logger;
  /** Replicas on a shared store: freshness and read-your-writes (absent: one process). */
  consistency?: Consistency | undefined;
  /** Told of every call's end (metrics, the per-call log line); none by default. */
  observers?: readonly CallObserver[];
}

/**
 * Hears of each call when its answer is decided: `code` is "Success" or the
 * API code answered, `latencyMs` the time since the call arrived. Runs on the
 * call path: it must be quick, and it must not throw (a throw is logged and
 * dropped, never the caller's problem).
 */
export interface CallObserver {
  onCallEnd(call: Call, code: string, latencyMs: number): void;
}

/** One call as the pipeline knows it. Transports read it; they change it only through the pipeline. */
export interface Call {
  readonly requestId: string;
  readonly transport: Transport;
  /** Remote IP address. */
  readonly source: string;
  readonly startedAt: number;
  region: string;
  route: Route | undefined;
  identity: Identity | undefined;
  /** The policy action name as far as it is known (audit name of a call refused early). */
  action: string;
  /** Set once the call is past admission: from then on execute records its event. */
  dispatched: boolean;
  /** The store revision of the call's change, once journaled (answered as kms-revision on a shared store). */
  revision?: Revision;
}

/** Whether a built-in stream's caller is authenticated (CallPipeline.authenticate). */
export type Admission = { ok: true; requestId: string; identity: Identity } | { ok: false; requestId: string; outcome: Outcome };

export type Served = { call: Call; ok: true; route: Route; output: MessageInit } | { call: Call; ok: false; outcome: Outcome };

/** Audit events a second per source address for refusals of callers without a verified identity. */
const UNAUTHENTICATED_EVENTS_PER_S = 20;

/** The caller of a public route who presented no credentials. */
const ANONYMOUS: Identity = Object.freeze({ uin: 0n, account: 0n, name: "", root: false, operator: false, credential: "" });

/** Most accounts one MemberAccounts list names. */
const MAX_MEMBER_ACCOUNTS = 100;

/** Where a call acts: its account, the accounts a multi-account listing covers, and the member accounts it names (audited). */
interface ActingScope {
  uin: bigint;
  accounts?: readonly bigint[];
  members: readonly bigint[];
}

/** A MemberAccount message as every contract spells it (kms.v1.MemberAccount; data keys' too). */
interface MemberAccountField {
  memberUin: bigint;
  memberAppId: bigint;
}

/** Most ids one audit event records, and their longest accepted length (ids are validated by the action later). */
const MAX_SUBJECTS = 100;
const MAX_SUBJECT_CHARS = 128;

export class CallPipeline {
  private readonly inFlight = new InFlight();
  private readonly limits: Record<"api3" | "rpc", RateLimiter>;
  private readonly unauthenticated = new RateLimiter(UNAUTHENTICATED_EVENTS_PER_S);
  private readonly suppressed = new Map<string, number>();
  private auditFailures = 0;
  /** Bearer tokens verified per HTTP/2 session. */
  private readonly tokens = new TokenMemory();
  /** Undefined when nobody observes, so an unobserved call pays one check. */
  private readonly observers: readonly CallObserver[] | undefined;

  constructor(private readonly deps: PipelineDeps) {
    this.limits = { api3: new RateLimiter(deps.rateLimits.api3), rpc: new RateLimiter(deps.rateLimits.rpc) };
    this.observers = deps.observers && deps.observers.length > 0 ? deps.observers : undefined;
  }

  get routes(): RouteTable {
    return this.deps.routes;
  }

  /** The region calls act in when they name none. */
  get defaultRegion(): string {
    return this.deps.regions[0] ?? "";
  }

  /** Resolves once no call is in flight (shutdown drains with it). */
  idle(): Promise<void> {
    return this.inFlight.idle();
  }

  /**
   * Serves one call: `accept` reads and decodes the request (identifying the
   * caller and choosing the route through this pipeline as it goes); the
   * pipeline does the rest. Never throws: every failure comes back as an
   * Outcome, already audited and logged by the rule.
   */
  async serve(transport: Transport, source: string, accept: (call: Call) => Promise<Message>): Promise<Served> {
    const call = this.newCall(transport, source);
    this.inFlight.enter();
    try {
      const message = await accept(call);
      const route = call.route;
      if (!route || !call.identity) throw new Error(`a ${transport} request was accepted without a route or an identity`);
      const output = await this.execute(call, route, call.identity, message);
      if (this.observers) this.ended(call, "Success");
      return { call, ok: true, route, output };
    } catch (err) {
      const outcome = outcomeOf(err, call.requestId, this.deps.log);
      if (!call.dispatched && (call.identity || this.admitUnauthenticated(call.source))) this.record(call, call.identity, call.action, [], outcome.code);
      if (this.observers) this.ended(call, outcome.code);
      return { call, ok: false, outcome };
    } finally {
      this.inFlight.leave();
    }
  }

  private newCall(transport: Transport, source: string): Call {
    return {
      requestId: newRequestId(),
      transport,
      source,
      startedAt: performance.now(),
      region: this.defaultRegion,
      route: undefined,
      identity: undefined,
      action: "kms:Unknown",
      dispatched: false,
    };
  }

  /**
   * Whether a refusal of a caller who proved no identity still gets its own
   * audit event: at most UNAUTHENTICATED_EVENTS_PER_S a second per source
   * address, so a flood without credentials cannot grow the log without
   * bound. What is held back is counted and logged once a minute per source.
   */
  private admitUnauthenticated(source: string): boolean {
    try {
      this.unauthenticated.take(source, "unauthenticated");
      return true;
    } catch {
      const n = (this.suppressed.get(source) ?? 0) + 1;
      this.suppressed.set(source, n);
      if (n === 1) setTimeout(() => this.reportSuppressed(source), 60_000).unref();
      return false;
    }
  }

  private reportSuppressed(source: string): void {
    const n = this.suppressed.get(source) ?? 0;
    this.suppressed.delete(source);
    this.deps.log.warn(`kms: ${n} refusal(s) of unauthenticated calls from ${source || "an unknown address"} were not written to the audit log in the last minute (more than ${UNAUTHENTICATED_EVENTS_PER_S} a second)`);
  }

  /**
   * Before a call is identified (credentials are checked against the
   * directory this replica holds): on a shared store, refuses when this
   * replica cannot show it is current, and waits until it has applied the
   * revision the caller names (kms-min-revision, from an earlier answer's
   * kms-revision on any replica), so a caller reads its own writes anywhere.
   */
  admit(call: Call, minRevision: string | string[] | undefined): Promise<void> | undefined {
    const consistency = this.deps.consistency;
    // Nothing to wait for (one process, or a public route): no promise, so the caller need not wait a turn.
    if (!consistency || call.route?.public) return undefined;
    consistency.assertFresh();
    if (minRevision === undefined || minRevision === "") return undefined;
    const value = Array.isArray(minRevision) ? minRevision[0] ?? "" : minRevision;
    if (!/^\d{1,19}$/.test(value)) throw new KmsError("InvalidParameterValue", "kms-min-revision must be a store revision (decimal digits) from a kms-revision answer header");
    return consistency.waitFor(BigInt(value));
  }

  /** Establishes who is calling, or throws AuthFailure.*. A public route's caller without credentials is anonymous. */
  identify(call: Call, credentials: Credentials): Identity {
    const access = this.deps.access;
    if (call.route?.public && (credentials.kind === "none" || !access)) call.identity = ANONYMOUS;
    else if (!access) throw new KmsError("UnsupportedOperation.ServiceTemporaryUnavailable", "the service is sealed: only GetSealStatus and SubmitUnsealShare are served until it is unsealed");
    else call.identity = this.tokens.identify(access.directory, credentials);
    return call.identity;
  }

  setRoute(call: Call, route: Route): void {
    call.route = route;
    call.action = route.action;
  }

  /** The region a request names (API 3.0 X-TC-Region, the kms-region header); absent: the default. */
  setRegion(call: Call, region: string | undefined): void {
    if (region === undefined || region === "") return;
    if (!this.deps.regions.includes(region)) throw new KmsError("UnsupportedRegion", `region ${region.slice(0, 64)} is not served here`);
    call.region = region;
  }

  /**
   * Authenticates the caller of a built-in stream the pipeline does not run
   * (server reflection, open to any authenticated principal). A refused caller
   * is audited like any call refused before dispatch; an admitted stream is
   * not audited, as it reads no key and changes nothing.
   */
  authenticate(transport: Transport, source: string, action: string, credentials: () => Credentials): Admission {
    const call = this.newCall(transport, source);
    call.action = action;
    try {
      return { ok: true, requestId: call.requestId, identity: this.identify(call, credentials()) };
    } catch (err) {
      const outcome = outcomeOf(err, call.requestId, this.deps.log);
      if (call.identity || this.admitUnauthenticated(call.source)) this.record(call, call.identity, action, [], outcome.code);
      if (this.observers) this.ended(call, outcome.code);
      return { ok: false, requestId: call.requestId, outcome };
    }
  }

  /** Names the action of a call refused before its route is known, for its audit event. */
  nameAction(call: Call, action: string): void {
    call.action = action;
  }

  private async execute(call: Call, route: Route, identity: Identity, message: Message, item = false): Promise<MessageInit> {
    // A batch is limited as one call; its items are not limited again.
    if (!item) this.limits[call.transport === "api3" ? "api3" : "rpc"].take(identity.credential, route.method.name);
    call.dispatched = true;
    const subjects = boundedSubjects(route.resources?.subjects(route.method, message) ?? []);
    let journaled = false;
    let members: readonly bigint[] = [];
    // A change and its Success event go in one batch: stored together or not at all.
    const journal: Journal = async (ops, written = [], guards) => {
      for (const id of written) if (!subjects.includes(id)) subjects.push(id);
      const audit = this.deps.audit;
      if (!audit) throw new Error("a change was journaled while the service is sealed");
      const committed = await audit.commitWith(ops, this.event(call, identity, route.action, [...subjects], "Success", members), guards);
      journaled = true;
      // Only a batch that changed records is one the store's watch delivers (an event alone is not).
      if (ops.length > 0 && (call.revision === undefined || committed.revision > call.revision)) call.revision = committed.revision;
      return committed;
    };
    let result = "Success";
    try {
      const scope = this.scopeOf(identity, message);
      members = scope.members;
      if (!identity.root && !route.public && !route.authorizesPerItem) await this.authorize(call, route, identity, message, scope);
      const context: CallContext = { requestId: call.requestId, uin: scope.uin, region: call.region, principal: identity, journal, ...(scope.accounts ? { accounts: scope.accounts } : {}) };
      if (route.authorizesPerItem) context.invoke = (method, request, index) => this.invokeItem(call, identity, method, request, index);
      const output = await route.run(message, context);
      if (call.revision !== undefined) await this.deps.consistency?.settle(call.revision);
      return output;
    } catch (err) {
      result = err instanceof KmsError ? err.code : "InternalError";
      throw err;
    } finally {
      // A change is recorded with its journal batch. Everything else changed nothing: its event is
      // written with the next group commit, unsynced, without holding the answer.
      if (!journaled || result !== "Success") this.record(call, identity, route.action, subjects, result, members);
    }
  }

  /**
   * One item of a batch call: the method's route, authorised and audited as a
   * call of its own (RequestId "<batch>/<index>"), its failure mapped by the
   * same rule as any call's.
   */
  private async invokeItem<M extends DescMethod>(parent: Call, identity: Identity, method: M, request: MessageShape<M["input"]>, index: number): Promise<ItemResult<M>> {
    const route = this.deps.routes.byMethod(method);
    if (!route || route.authorizesPerItem) throw new Error(`${method.name} cannot be a batch item`);
    const item: Call = { ...parent, requestId: `${parent.requestId}/${index}`, startedAt: performance.now(), route, action: route.action, dispatched: true };
    try {
      return { ok: true, output: (await this.execute(item, route, identity, request, true)) as MessageInitShape<M["output"]> };
    } catch (err) {
      const { code, message } = outcomeOf(err, item.requestId, this.deps.log);
      return { ok: false, code, message };
    }
  }

  /**
   * The account a call acts in: the caller's own, or the member account its
   * request names (MemberAccount) when the caller's account is that member's
   * organisation; for a listing over several (MemberAccounts), each of them.
   * Anything else is refused before the policies are read.
   */
  private scopeOf(identity: Identity, message: Message): ActingScope {
    const own: ActingScope = { uin: identity.account, members: [] };
    const r = message as unknown as { memberAccount?: MemberAccountField; memberAccounts?: readonly MemberAccountField[] };
    const directory = this.deps.access?.directory;
    if (!directory) return own;
    const resolve = (m: MemberAccountField, field: string): bigint => {
      if (m.memberUin === 0n) throw new KmsError("MissingParameter", `${field}.MemberUin is required`);
      return directory.memberScope(identity.account, m.memberUin, m.memberAppId);
    };
    if (r.memberAccount !== undefined) {
      const uin = resolve(r.memberAccount, "MemberAccount");
      return { uin, members: uin === identity.account ? [] : [uin] };
    }
    const list = r.memberAccounts ?? [];
    if (list.length === 0) return own;
    if (list.length > MAX_MEMBER_ACCOUNTS) throw new KmsError("InvalidParameterValue", `MemberAccounts must have at most ${MAX_MEMBER_ACCOUNTS} accounts`);
    const accounts: bigint[] = [];
    for (const m of list) {
      const uin = resolve(m, "MemberAccounts");
      if (accounts.includes(uin)) throw new KmsError("InvalidParameterValue", `MemberAccounts names account ${uin} twice`);
      accounts.push(uin);
    }
    return { uin: identity.account, accounts, members: accounts.filter((a) => a !== identity.account) };
  }

  /** The caller's policies must allow the action on what the request is about, in every account it acts in. */
  private async authorize(call: Call, route: Route, identity: Identity, message: Message, scope: ActingScope): Promise<void> {
    const gate = this.deps.access?.gate;
    if (!gate) throw new Error("a non-public route was dispatched without access control");
    const policies = gate.policiesFor(identity, route.action);
    const refs: ResourceRef[] = [];
    for (const uin of scope.accounts ?? [scope.uin]) {
      const account = uin.toString();
      const named = route.resources ? await route.resources.resources(route.method, message, { account, region: call.region, principalUin: identity.uin.toString() }) : [];
      refs.push(...(named.length > 0 ? named : [{ resource: RESOURCE_NAMES.account(route.resourceService, call.region, account) }]));
    }
    gate.check(policies, route.action, refs, call.source);
  }

  private event(call: Call, identity: Identity | undefined, action: string, keyIds: string[], result: string, members: readonly bigint[] = []): AuditEvent {
    return {
      account: (identity && identity !== ANONYMOUS ? identity.account : this.deps.accountUin).toString(),
      ...(members.length > 0 ? { memberAccounts: members.map(String) } : {}),
      time: this.deps.now(),
      principalUin: identity ? identity.uin.toString() : "",
      principalName: identity?.name ?? "",
      credential: identity?.credential ?? "",
      action,
      keyIds,
      result,
      source: call.source,
      transport: call.transport,
      requestId: call.requestId,
      latencyMs: Math.round((performance.now() - call.startedAt) * 1000) / 1000,
    };
  }

  /** Tells the observers a call ended. */
  private ended(call: Call, code: string): void {
    const latencyMs = performance.now() - call.startedAt;
    for (const o of this.observers ?? []) {
      try {
        o.onCallEnd(call, code, latencyMs);
      } catch (err) {
        this.deps.log.error("kms: a call observer failed", err);
      }
    }
  }

  /** Queues the event of a call that changed nothing; a failed audit write is logged and never changes the caller's answer. */
  private record(call: Call, identity: Identity | undefined, action: string, keyIds: string[], result: string, members: readonly bigint[] = []): void {
    this.deps.audit?.record(this.event(call, identity, action, keyIds, result, members), this.auditFailed);
  }

  private readonly auditFailed = (err: unknown): void => {
    if (this.auditFailures++ % 1000 === 0) this.deps.log.error(`kms: audit event not written (${this.auditFailures} so far)`, err);
  };
}

/** The ids a request names, as an audit event keeps them: at most 100, none longer than 128 characters. */
function boundedSubjects(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of ids) {
    if (out.length === MAX_SUBJECTS) break;
    if (id.length <= MAX_SUBJECT_CHARS && !out.includes(id)) out.push(id);
  }
  return out;
}
