/**
 * The one call pipeline. Every call on every transport (gRPC, gRPC-Web,
 * Connect, API 3.0) goes through `serve`, which owns its whole life: request
 * id, in-flight tracking for drain, the caller's identity, the region, the
 * rate limit, authorisation through the Gate, the call context and journal,
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
import { RESOURCE_NAMES, type CallContext, type Identity, type Journal, type ResourceRef } from "../call.js";
import { newRequestId } from "../crypto/random.js";
import { KmsError } from "../errors.js";
import type { Logger } from "../log.js";
import type { BatchOp, Guard, Revision } from "../store/store.js";
import { identify, type Credentials } from "./credentials.js";
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
  /** The account calls act for. */
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

export type Served = { call: Call; ok: true; route: Route; output: MessageInit } | { call: Call; ok: false; outcome: Outcome };

/** The caller of a public route who presented no credentials. */
const ANONYMOUS: Identity = Object.freeze({ uin: 0n, name: "", root: false, credential: "" });

/** Most ids one audit event records, and their longest accepted length (ids are validated by the action later). */
const MAX_SUBJECTS = 100;
const MAX_SUBJECT_CHARS = 128;

export class CallPipeline {
  private readonly inFlight = new InFlight();
  private readonly limits: Record<"api3" | "rpc", RateLimiter>;
  private auditFailures = 0;

  constructor(private readonly deps: PipelineDeps) {
    this.limits = { api3: new RateLimiter(deps.rateLimits.api3), rpc: new RateLimiter(deps.rateLimits.rpc) };
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
    const call: Call = {
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
    this.inFlight.enter();
    try {
      const message = await accept(call);
      const route = call.route;
      if (!route || !call.identity) throw new Error(`a ${transport} request was accepted without a route or an identity`);
      return { call, ok: true, route, output: await this.execute(call, route, call.identity, message) };
    } catch (err) {
      const outcome = outcomeOf(err, call.requestId, this.deps.log);
      if (!call.dispatched) this.record(call, call.identity, call.action, [], outcome.code);
      return { call, ok: false, outcome };
    } finally {
      this.inFlight.leave();
    }
  }

  /**
   * Before a call is identified (credentials are checked against the
   * directory this replica holds): on a shared store, refuses when this
   * replica cannot show it is current, and waits until it has applied the
   * revision the caller names (kms-min-revision, from an earlier answer's
   * kms-revision on any replica), so a caller reads its own writes anywhere.
   */
  async admit(call: Call, minRevision: string | string[] | undefined): Promise<void> {
    const consistency = this.deps.consistency;
    if (!consistency || call.route?.public) return;
    consistency.assertFresh();
    if (minRevision === undefined || minRevision === "") return;
    const value = Array.isArray(minRevision) ? minRevision[0] ?? "" : minRevision;
    if (!/^\d{1,19}$/.test(value)) throw new KmsError("InvalidParameterValue", "kms-min-revision must be a store revision (decimal digits) from a kms-revision answer header");
    await consistency.waitFor(BigInt(value));
  }

  /** Establishes who is calling, or throws AuthFailure.*. A public route's caller without credentials is anonymous. */
  identify(call: Call, credentials: Credentials): Identity {
    const access = this.deps.access;
    if (call.route?.public && (credentials.kind === "none" || !access)) call.identity = ANONYMOUS;
    else if (!access) throw new KmsError("UnsupportedOperation.ServiceTemporaryUnavailable", "the service is sealed: only GetSealStatus and SubmitUnsealShare are served until it is unsealed");
    else call.identity = identify(access.directory, credentials);
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

  /** Names the action of a call refused before its route is known, for its audit event. */
  nameAction(call: Call, action: string): void {
    call.action = action;
  }

  private async execute(call: Call, route: Route, identity: Identity, message: Message): Promise<MessageInit> {
    this.limits[call.transport === "api3" ? "api3" : "rpc"].take(identity.credential, route.method.name);
    call.dispatched = true;
    const subjects = boundedSubjects(route.resources?.subjects(route.method, message) ?? []);
    let journaled = false;
    // A change and its Success event go in one batch: stored together or not at all.
    const journal: Journal = async (ops, written = [], guards) => {
      for (const id of written) if (!subjects.includes(id)) subjects.push(id);
      const audit = this.deps.audit;
      if (!audit) throw new Error("a change was journaled while the service is sealed");
      const committed = await audit.commitWith(ops, this.event(call, identity, route.action, [...subjects], "Success"), guards);
      journaled = true;
      // Only a batch that changed records is one the store's watch delivers (an event alone is not).
      if (ops.length > 0 && (call.revision === undefined || committed.revision > call.revision)) call.revision = committed.revision;
      return committed;
    };
    let result = "Success";
    try {
      if (!identity.root && !route.public) await this.authorize(call, route, identity, message);
      const context: CallContext = { requestId: call.requestId, uin: this.deps.accountUin, region: call.region, principal: identity, journal };
      const output = await route.run(message, context);
      if (call.revision !== undefined) await this.deps.consistency?.settle(call.revision);
      return output;
    } catch (err) {
      result = err instanceof KmsError ? err.code : "InternalError";
      throw err;
    } finally {
      // A change is recorded with its journal batch. Everything else changed nothing: its event is
      // written with the next group commit, unsynced, without holding the answer.
      if (!journaled || result !== "Success") this.record(call, identity, route.action, subjects, result);
    }
  }

  private async authorize(call: Call, route: Route, identity: Identity, message: Message): Promise<void> {
    const gate = this.deps.access?.gate;
    if (!gate) throw new Error("a non-public route was dispatched without access control");
    const policies = gate.policiesFor(identity, route.action);
    const account = this.deps.accountUin.toString();
    let refs: ResourceRef[] = route.resources ? await route.resources.resources(route.method, message, { account, region: call.region }) : [];
    if (refs.length === 0) refs = [{ resource: RESOURCE_NAMES.account(route.resourceService, call.region, account) }];
    gate.check(policies, route.action, refs, call.source);
  }

  private event(call: Call, identity: Identity | undefined, action: string, keyIds: string[], result: string): AuditEvent {
    return {
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

  /** Queues the event of a call that changed nothing; a failed audit write is logged and never changes the caller's answer. */
  private record(call: Call, identity: Identity | undefined, action: string, keyIds: string[], result: string): void {
    this.deps.audit?.record(this.event(call, identity, action, keyIds, result), this.auditFailed);
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
