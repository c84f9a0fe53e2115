/**
 * The authorisation decision every call passes, whatever its transport and
 * family: the principal's policies against the action and the resources the
 * request is about (the family says which, see RequestResources in
 * src/call.ts). The root may do everything. A denial never says more than the
 * action and the resource id the caller named: not who created it, nor
 * whether it exists.
 */
import { KmsError } from "../errors.js";
import type { Identity, ResourceRef } from "../call.js";
import type { Directory } from "./directory.js";
import { evaluate, IP_KEY, mayAllowAction, normaliseIp, normaliseResource, type CompiledPolicy } from "./policy/index.js";

function denied(action: string): KmsError {
  return new KmsError("UnauthorizedOperation", `not allowed to ${action} on the requested resource`);
}

export class Gate {
  constructor(private readonly directory: Directory) {}

  /**
   * The caller's policies when some statement may allow `action` at all; else
   * UnauthorizedOperation before any resource is read (a caller with no grant
   * learns nothing and costs nothing).
   */
  policiesFor(identity: Identity, action: string): readonly CompiledPolicy[] {
    const policies = this.directory.policiesOf(identity.uin);
    if (!mayAllowAction(policies, action)) throw denied(action);
    return policies;
  }

  /** Allows the call on every resource, or throws UnauthorizedOperation. */
  check(policies: readonly CompiledPolicy[], action: string, resources: readonly ResourceRef[], source: string): void {
    const base: [string, string[]][] = normaliseIp(source) ? [[IP_KEY, [source]]] : [];
    for (const ref of resources) {
      const context = new Map<string, readonly string[]>(base);
      for (const [key, values] of ref.conditions ?? []) context.set(key, values);
      if (evaluate(policies, { action, resource: normaliseResource(ref.resource), context }) !== "allow") throw denied(action);
    }
  }
}
