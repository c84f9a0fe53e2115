/**
 * EncryptionContext → the bytes bound as AAD.
 *
 * The API carries the context as a JSON string of key/value pairs. We bind a
 * canonical form, not the string as sent: members sorted by key (recursively),
 * no whitespace, JSON's own escaping. It is unambiguous (JSON quoting keeps
 * keys and values apart, unlike a plain concatenation) and it accepts every
 * object Tencent accepts, while {"a":"1","b":"2"} and {"b":"2","a":"1"} are
 * the same context.
 */
import { KmsError } from "../errors.js";

const EMPTY = new Uint8Array(0);

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    // Serialised directly, never rebuilt as an object: a "__proto__" member stays a member.
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Canonical bytes of a context string; "" (no context) is empty. Throws InvalidParameterValue if not a JSON object. */
export function canonicalContext(context: string, field = "EncryptionContext"): Uint8Array {
  if (context === "") return EMPTY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(context);
  } catch {
    throw new KmsError("InvalidParameterValue", `${field} must be a JSON object of key/value pairs`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new KmsError("InvalidParameterValue", `${field} must be a JSON object of key/value pairs`);
  return Buffer.from(canonicalJson(parsed), "utf8");
}
