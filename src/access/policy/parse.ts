/** Policy text → CompiledPolicy. All validation and all compilation happen here, once. */
import { compileActions } from "./action.js";
import { compileConditions } from "./condition.js";
import { invalid, isObject, kindOf, member, rejectUnknownFields, show } from "./json.js";
import { compileResources } from "./resource.js";
import type { CompiledPolicy, CompiledStatement, Effect } from "./types.js";

/** CAM's limits on a policy document. */
export const MAX_POLICY_CHARS = 6144;
export const MAX_STATEMENTS = 100;
const VERSION = "2.0";

const POLICY_FIELDS = ["version", "statement"] as const;
const STATEMENT_FIELDS = ["effect", "action", "resource", "condition"] as const;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalid("policy", `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function required(obj: Record<string, unknown>, name: string, path: string): unknown {
  const value = member(obj, name);
  if (value === undefined) throw invalid(path, `missing required field "${name}"`);
  return value;
}

function parseEffect(value: unknown, path: string): Effect {
  const effect = typeof value === "string" ? value.toLowerCase() : null;
  if (effect === "allow" || effect === "deny") return effect;
  throw invalid(path, `must be "allow" or "deny", got ${show(value)}`);
}

function parseStatement(value: unknown, path: string): CompiledStatement {
  if (!isObject(value)) throw invalid(path, `must be an object, got ${kindOf(value)}`);
  rejectUnknownFields(value, STATEMENT_FIELDS, path);
  const condition = member(value, "condition");
  return {
    effect: parseEffect(required(value, "effect", path), `${path}.effect`),
    action: compileActions(required(value, "action", path), `${path}.action`),
    resource: compileResources(required(value, "resource", path), `${path}.resource`),
    conditions: condition === undefined ? [] : compileConditions(condition, `${path}.condition`),
  };
}

/** Validates and precompiles a CAM policy document. Throws KmsError InvalidParameterValue naming the offending path. */
export function parsePolicy(text: string): CompiledPolicy {
  if (text.length > MAX_POLICY_CHARS)
    throw invalid("policy", `must be at most ${MAX_POLICY_CHARS} characters, got ${text.length}`);
  const doc = parseJson(text);
  if (!isObject(doc)) throw invalid("policy", `must be a JSON object, got ${kindOf(doc)}`);
  rejectUnknownFields(doc, POLICY_FIELDS, "policy");
  const version = required(doc, "version", "policy");
  if (version !== VERSION) throw invalid("version", `must be "${VERSION}", got ${show(version)}`);
  const statements = required(doc, "statement", "policy");
  if (!Array.isArray(statements)) throw invalid("statement", `must be an array, got ${kindOf(statements)}`);
  if (statements.length === 0) throw invalid("statement", "must not be empty");
  if (statements.length > MAX_STATEMENTS)
    throw invalid("statement", `must have at most ${MAX_STATEMENTS} statements, got ${statements.length}`);
  return { statements: statements.map((s: unknown, i) => parseStatement(s, `statement[${i}]`)) };
}
