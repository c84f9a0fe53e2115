/**
 * The `condition` field: operator → condition key → value(s). Keys within a
 * block and blocks are ANDed; a key's values are ORed.
 */
import { CONDITION_KEYS } from "../../call.js";
import { anyOf, compileGlob } from "./glob.js";
import { compileIpList } from "./ip.js";
import { invalid, isObject, kindOf, show, stringList } from "./json.js";
import type { CompiledCondition, Matcher } from "./types.js";

export const IP_KEY = CONDITION_KEYS.ip;
export const RESOURCE_TAG_KEY = CONDITION_KEYS.resourceTag;
const CONTEXT_KEY_PREFIX = CONDITION_KEYS.encryptionContextPrefix;
export const encryptionContextKey = CONDITION_KEYS.encryptionContext;

type ValueKind = "equal" | "like" | "ip";

const OPERATORS = {
  string_equal: { kind: "equal", negated: false },
  string_not_equal: { kind: "equal", negated: true },
  string_like: { kind: "like", negated: false },
  string_not_like: { kind: "like", negated: true },
  ip_equal: { kind: "ip", negated: false },
  ip_not_equal: { kind: "ip", negated: true },
} as const satisfies Record<string, { kind: ValueKind; negated: boolean }>;

type Operator = keyof typeof OPERATORS;

function isOperator(name: string): name is Operator {
  return Object.hasOwn(OPERATORS, name);
}

type KeyKind = "ip" | "tag" | "context";

function keyKind(key: string): KeyKind | null {
  if (key === IP_KEY) return "ip";
  if (key === RESOURCE_TAG_KEY) return "tag";
  if (key.startsWith(CONTEXT_KEY_PREFIX) && key.length > CONTEXT_KEY_PREFIX.length) return "context";
  return null;
}

type Values = readonly { value: string; path: string }[];

function compileValues(kind: ValueKind, values: Values): Matcher {
  switch (kind) {
    case "equal": {
      const set = new Set(values.map((v) => v.value));
      return (text) => set.has(text);
    }
    case "like":
      return anyOf(values.map((v) => compileGlob(v.value, true)));
    case "ip":
      return compileIpList(values);
  }
}

/** Tags are matched as the "key&value" string, so a value without a tag key can never match: reject it. */
function checkTagValues(values: Values): void {
  for (const v of values)
    if (v.value.indexOf("&") <= 0) throw invalid(v.path, `invalid tag ${show(v.value)}: expected "tagKey&tagValue"`);
}

function compileKey(operator: Operator, key: string, raw: unknown, blockPath: string): CompiledCondition {
  const kind = keyKind(key);
  if (kind === null)
    throw invalid(
      blockPath,
      `unknown condition key ${show(key)} (expected "${IP_KEY}", "${RESOURCE_TAG_KEY}" or "${CONTEXT_KEY_PREFIX}<name>")`,
    );
  const { kind: valueKind, negated } = OPERATORS[operator];
  if (valueKind === "ip" && kind !== "ip")
    throw invalid(blockPath, `operator ${operator} applies to "${IP_KEY}" only, not ${show(key)}`);
  const values = stringList(raw, `${blockPath}[${JSON.stringify(key)}]`);
  if (kind === "tag") checkTagValues(values);
  return { key, negated, matches: compileValues(valueKind, values) };
}

export function compileConditions(value: unknown, path: string): CompiledCondition[] {
  if (!isObject(value)) throw invalid(path, `must be an object of operator → condition keys, got ${kindOf(value)}`);
  const compiled: CompiledCondition[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isOperator(operator))
      throw invalid(path, `unknown operator ${show(operator)} (expected one of ${Object.keys(OPERATORS).join(", ")})`);
    const blockPath = `${path}.${operator}`;
    if (!isObject(block)) throw invalid(blockPath, `must be an object of condition key → values, got ${kindOf(block)}`);
    const entries = Object.entries(block);
    // An empty block would hold vacuously: almost surely a mistake in a grant.
    if (entries.length === 0) throw invalid(blockPath, "must name at least one condition key");
    for (const [key, raw] of entries) compiled.push(compileKey(operator, key, raw, blockPath));
  }
  return compiled;
}

/** Positive operators need a matching request value; negated ones need none to match. Absent key = no values. */
export function conditionHolds(
  condition: CompiledCondition,
  context: ReadonlyMap<string, readonly string[]>,
): boolean {
  const values = context.get(condition.key);
  const anyMatch = values !== undefined && values.some(condition.matches);
  return condition.negated ? !anyMatch : anyMatch;
}
