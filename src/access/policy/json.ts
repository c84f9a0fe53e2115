/** Helpers for walking an untrusted JSON value and failing with the path that is wrong. */
import { KmsError } from "../../errors.js";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The error every validation failure raises: `<path>: <what is wrong>`. */
export function invalid(path: string, problem: string): KmsError {
  return new KmsError("InvalidParameterValue", `${path}: ${problem}`);
}

/** A short rendering of an offending value for a message; long values are cut so messages stay readable. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/** "a string", "an array", ... for "must be X, got Y" messages. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

/** Rejects any member not in `allowed`; CAM documents are strict and a typo'd field must not be silently ignored. */
export function rejectUnknownFields(obj: JsonObject, allowed: readonly string[], path: string): void {
  for (const name of Object.keys(obj))
    if (!allowed.includes(name)) throw invalid(path, `unknown field ${show(name)} (allowed: ${allowed.join(", ")})`);
}

/** Own member only: a document's "constructor" or "__proto__" must never reach the prototype. */
export function member(obj: JsonObject, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

/** CAM's "string or non-empty array of strings", returned as an array with each element's path. */
export function stringList(value: unknown, path: string): { value: string; path: string }[] {
  if (typeof value === "string") return [{ value, path }];
  if (!Array.isArray(value)) throw invalid(path, `must be a string or an array of strings, got ${kindOf(value)}`);
  if (value.length === 0) throw invalid(path, "must not be an empty array");
  return value.map((item: unknown, i) => {
    const itemPath = `${path}[${i}]`;
    if (typeof item !== "string") throw invalid(itemPath, `must be a string, got ${kindOf(item)}`);
    return { value: item, path: itemPath };
  });
}
