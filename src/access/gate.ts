/**
 * The gate every call passes, whatever the transport: it takes the identity
 * an edge verified, authorises the call against the principal's policies
 * (once, here in the domain), runs the action, and appends the audit event,
 * allowed or denied. Edges only authenticate; they never decide access.
 */
import { performance } from "node:perf_hooks";
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { KmsError } from "../errors.js";
import { isUuid } from "../crypto/ciphertext.js";
import type { AuditEvent, Transport } from "../audit/event.js";
import type { CallContext, Journal } from "../call.js";
import type { BatchOp } from "../store/store.js";
import type { KeyRecord } from "../keys/key.js";
import type { Logger } from "../log.js";
import type { Directory } from "./directory.js";
import { buildAccountResource, buildKeyResource, evaluate, IP_KEY, mayAllowAction, normaliseIp, RESOURCE_TAG_KEY, type CompiledPolicy } from "./policy/index.js";
import type { Identity } from "../call.js";
import { contextConditions, isKeyScoped, requestKeys, type KeyReference } from "./resources.js";

/** What an edge knows about a call before it runs. */
export interface CallMeta {
  requestId: string;
  transport: Transport;
  /** Remote IP address. */
  source: string;
  /** Region the call names (API 3.0) or the default one. */
  region: string;
}

/** An action as the transports see it: deps bound, request and answer as generic messages. */
export type GenericAction<D> = (deps: D, req: MessageShape<DescMessage>, call: CallContext) => Promise<MessageInitShape<DescMessage>>;

/** One method ready to serve: authorised, audited. */
export interface GatedMethod {
  method: DescMethod;
  /** "kms:Encrypt", "kmsadmin:CreatePrincipal". */
  action: string;
  invoke(req: MessageShape<DescMessage>, identity: Identity, meta: CallMeta): Promise<MessageInitShape<DescMessage>>;
}

/** Where audit events go (AuditLog implements it). */
export interface AuditSink {
  /** Queues the event of a call that changed nothing; a failed write is reported to onError. */
  record(event: AuditEvent, onError: (err: unknown) => void): void;
  /** Writes `change` and `event` in one durable batch. */
  commitWith(change: readonly BatchOp[], event: AuditEvent): Promise<unknown>;
}

export interface GateDeps {
  directory: Directory;
  audit: AuditSink;
  /** Key records for resource names and tag conditions. */
  getKey(keyId: string): Promise<KeyRecord | undefined>;
  accountUin: bigint;
  /** Wall clock of audit events (the domain clock). */
  now: () => number;
  log: Logger;
}

/** Looks up the action of a method by its local name (the actions tables are typed against the descriptors). */
export function actionOf<D>(table: object, localName: string): GenericAction<D> {
  const action = (table as Record<string, GenericAction<D> | undefined>)[localName];
  if (!action) throw new Error(`no action for ${localName}`);
  return action;
}

/** The policy action of a method: "kmsadmin:<Method>" for AdminService, "kms:<Method>" for the key services. */
export function actionName(method: DescMethod): string {
  return `${method.parent.typeName === "kms.v1.AdminService" ? "kmsadmin" : "kms"}:${method.name}`;
}

/** What the gate decides once per method, at bind time. */
interface MethodSpec {
  method: DescMethod;
  action: string;
  keyScoped: boolean;
}

function denied(action: string, what: string): KmsError {
  return new KmsError("UnauthorizedOperation", `not allowed to ${action} on ${what}`);
}

export class Gate {
  private auditFailures = 0;

  constructor(private readonly deps: GateDeps) {}

  private readonly auditFailed = (err: unknown): void => {
    if (this.auditFailures++ % 1000 === 0) this.deps.log.error(`kms: audit event not written (${this.auditFailures} so far)`, err);
  };

  /** Every method of a service, each behind authorisation and audit. */
  bind<D>(service: DescService, deps: D, table: object): GatedMethod[] {
    return service.methods.map((method) => {
      const run = actionOf<D>(table, method.localName);
      const spec: MethodSpec = { method, action: actionName(method), keyScoped: isKeyScoped(method) };
      return { method, action: spec.action, invoke: (req, identity, meta) => this.run(spec, (call) => run(deps, req, call), req, identity, meta) };
    });
  }

  /** Records a call refused before it reached the gate: bad or missing credentials, or a malformed request from a known principal. */
  rejected(action: string, err: unknown, meta: CallMeta, startedAt: number, identity?: Identity): void {
    const result = err instanceof KmsError ? err.code : "InternalError";
    const who = identity ? { principalUin: identity.uin.toString(), principalName: identity.name, credential: identity.credential } : { principalUin: "", principalName: "", credential: "" };
    this.record(this.event({ ...who, action, keyIds: [], result }, meta, startedAt));
  }

  private async run(
    { method, action, keyScoped }: MethodSpec,
    execute: (call: CallContext) => Promise<MessageInitShape<DescMessage>>,
    req: MessageShape<DescMessage>,
    identity: Identity,
    meta: CallMeta,
  ): Promise<MessageInitShape<DescMessage>> {
    const startedAt = performance.now();
    const keys = keyScoped ? requestKeys(method.input, req) : [];
    const keyIds = [...new Set(keys.map((k) => k.keyId))];
    const who = { principalUin: identity.uin.toString(), principalName: identity.name, credential: identity.credential, action };
    let journaled = false;
    // A change and its Success event go in one batch: stored together or not at all.
    const journal: Journal = async (ops, subjects = []) => {
      for (const id of subjects) if (!keyIds.includes(id)) keyIds.push(id);
      await this.deps.audit.commitWith(ops, this.event({ ...who, keyIds: [...keyIds], result: "Success" }, meta, startedAt));
      journaled = true;
    };
    let result = "Success";
    try {
      if (!identity.root) await this.authorize(identity, action, keyScoped, keys, meta);
      return await execute({ requestId: meta.requestId, uin: this.deps.accountUin, region: meta.region, principal: identity, journal });
    } catch (err) {
      result = err instanceof KmsError ? err.code : "InternalError";
      throw err;
    } finally {
      // A change is recorded with its journal batch. Everything else changed nothing: its event is
      // written with the next group commit, unsynced, without holding the answer.
      if (!journaled || result !== "Success") this.record(this.event({ ...who, keyIds, result }, meta, startedAt));
    }
  }

  /**
   * Allows the call or throws UnauthorizedOperation. Keys are named by
   * resource string with their creator, and carry their tags into conditions;
   * a key that does not exist is named with the account as creator, so a
   * denied caller cannot tell missing keys from forbidden ones.
   */
  private async authorize(identity: Identity, action: string, keyScoped: boolean, keys: readonly KeyReference[], meta: CallMeta): Promise<void> {
    const policies = this.deps.directory.policiesOf(identity.uin);
    if (!mayAllowAction(policies, action)) throw denied(action, "any resource");
    const account = this.deps.accountUin.toString();
    const ip = normaliseIp(meta.source);
    const base: [string, string[]][] = ip ? [[IP_KEY, [meta.source]]] : [];
    if (!keyScoped) {
      this.check(policies, action, buildAccountResource(meta.region, account), new Map(base));
      return;
    }
    // A request whose key cannot be read (no id, a malformed blob) is checked against a key with an empty id:
    // callers allowed on every key go on to the action's own validation error, narrower grants are denied.
    for (const ref of keys.length > 0 ? keys : [{ keyId: "", context: "" }]) {
      const key = isUuid(ref.keyId) ? await this.deps.getKey(ref.keyId).catch(() => undefined) : undefined;
      const context = new Map<string, string[]>([...base, ...contextConditions(ref.context)]);
      if (key && key.tags.length > 0) context.set(RESOURCE_TAG_KEY, key.tags.map((t) => `${t.key}&${t.value}`));
      this.check(policies, action, buildKeyResource(meta.region, account, key?.creatorUin ?? account, ref.keyId), context);
    }
  }

  private check(policies: readonly CompiledPolicy[], action: string, resource: string, context: ReadonlyMap<string, readonly string[]>): void {
    if (evaluate(policies, { action, resource, context }) !== "allow") throw denied(action, resource);
  }

  private event(fields: Pick<AuditEvent, "principalUin" | "principalName" | "credential" | "action" | "keyIds" | "result">, meta: CallMeta, startedAt: number): AuditEvent {
    return {
      time: this.deps.now(),
      ...fields,
      source: meta.source,
      transport: meta.transport,
      requestId: meta.requestId,
      latencyMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
    };
  }

  /** Queues the event of a call that changed nothing; a failed audit write is logged and never changes the caller's answer. */
  private record(event: AuditEvent): void {
    this.deps.audit.record(event, this.auditFailed);
  }
}
