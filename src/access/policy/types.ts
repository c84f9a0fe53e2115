/** Shared types of the policy engine: what parsePolicy produces and evaluate consumes. */

export type Effect = "allow" | "deny";

/** "implicit-deny": nothing allowed it. Kept apart from "deny" so callers can tell a grant gap from a prohibition. */
export type Decision = "allow" | "deny" | "implicit-deny";

export interface AccessRequest {
  /** e.g. "kms:Encrypt"; compared case-insensitively. */
  action: string;
  /** Built by buildKeyResource or buildAccountResource. */
  resource: string;
  /** Condition key → values present in this request (absent key = not present). */
  context: ReadonlyMap<string, readonly string[]>;
}

/** A precompiled test of one string. */
export type Matcher = (text: string) => boolean;

export interface CompiledCondition {
  /** e.g. "qcs:ip", "kms:encryption_context/app". */
  readonly key: string;
  /** The *_not_* operators: hold when no request value matches. */
  readonly negated: boolean;
  /** Does one request value match any of the policy's values? */
  readonly matches: Matcher;
}

export interface CompiledStatement {
  readonly effect: Effect;
  /** Tested against the lower-cased action name. */
  readonly action: Matcher;
  readonly resource: Matcher;
  /** All must hold. */
  readonly conditions: readonly CompiledCondition[];
}

export interface CompiledPolicy {
  readonly statements: readonly CompiledStatement[];
}
