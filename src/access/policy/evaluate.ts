/** Decisions: explicit deny anywhere wins, then any allow, else implicit deny. */
import { conditionHolds } from "./condition.js";
import type { AccessRequest, CompiledPolicy, CompiledStatement, Decision } from "./types.js";

/** `action` is already lower-cased. Cheapest tests first: conditions last. */
function applies(statement: CompiledStatement, action: string, req: AccessRequest): boolean {
  return (
    statement.action(action) &&
    statement.resource(req.resource) &&
    statement.conditions.every((c) => conditionHolds(c, req.context))
  );
}

export function evaluate(policies: readonly CompiledPolicy[], req: AccessRequest): Decision {
  const action = req.action.toLowerCase();
  let allowed = false;
  for (const policy of policies)
    for (const statement of policy.statements) {
      // Once allowed, only a deny can change the outcome: skip further allows.
      if (allowed && statement.effect === "allow") continue;
      if (!applies(statement, action, req)) continue;
      if (statement.effect === "deny") return "deny";
      allowed = true;
    }
  return allowed ? "allow" : "implicit-deny";
}

/** True when some allow statement names the action at all (resource and conditions ignored): a pre-check used when a request's resource cannot be identified. */
export function mayAllowAction(policies: readonly CompiledPolicy[], action: string): boolean {
  const lower = action.toLowerCase();
  return policies.some((p) => p.statements.some((s) => s.effect === "allow" && s.action(lower)));
}
