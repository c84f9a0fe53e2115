/**
 * Strict request decoding for the RPC transports (gRPC, gRPC-Web, Connect):
 * a field or enum value the contract does not define is refused with the
 * documented parameter error, never ignored. Binary input keeps its unknown
 * fields so they can be seen and refused; JSON input may name enum values the
 * way the contract or Tencent's API spells them (enum-names.ts).
 */
import { fromBinary, fromJson, type DescField, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { KmsError } from "../errors.js";
import { enumValueNamed, unknownEnumValueCode } from "./enum-names.js";

type Message = MessageShape<DescMessage>;
type JsonObject = { [key: string]: JsonValue };

/** Per message type: the fields that need a look beyond $unknown (enums and nested messages). */
const plans = new WeakMap<DescMessage, readonly DescField[]>();

function planOf(schema: DescMessage): readonly DescField[] {
  let plan = plans.get(schema);
  if (!plan) {
    plan = schema.fields.filter((f) => (f.fieldKind === "list" ? f.listKind !== "scalar" : f.fieldKind === "enum" || f.fieldKind === "message"));
    plans.set(schema, plan);
  }
  return plan;
}

function assertEnumNumber(field: DescField, n: unknown, name: string): void {
  const e = field.enum;
  if (e && typeof n === "number" && n !== 0 && !e.values.some((v) => v.number === n))
    throw new KmsError(unknownEnumValueCode(e), `${name} has an unsupported value ${n}`);
}

/** Refuses unknown fields and undefined enum numbers anywhere in a decoded message. */
export function assertKnownFields(schema: DescMessage, message: Message, prefix = ""): void {
  const unknown = (message as { $unknown?: { no: number }[] }).$unknown;
  if (unknown && unknown.length > 0)
    throw new KmsError("UnknownParameter", `${schema.typeName} has no field number ${[...new Set(unknown.map((u) => u.no))].slice(0, 8).join(", ")}${prefix ? ` (in ${prefix})` : ""}`);
  const values = message as unknown as Record<string, unknown>;
  for (const field of planOf(schema)) {
    const value = values[field.localName];
    const name = `${prefix}${field.jsonName}`;
    const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
    const items = field.fieldKind === "list" ? (value as unknown[]) : [value];
    for (const item of items) {
      if (kind === "enum") assertEnumNumber(field, item, name);
      else if (kind === "message" && item !== undefined && field.message) assertKnownFields(field.message, item as Message, `${name}.`);
    }
  }
}

/** A binary request message (gRPC, gRPC-Web, Connect proto), strictly. */
export function decodeBinary<S extends DescMessage>(schema: S, bytes: Uint8Array): MessageShape<S> {
  let message: MessageShape<S>;
  try {
    message = fromBinary(schema, bytes, { readUnknownFields: true });
  } catch {
    throw new KmsError("InvalidParameter", `the request is not a valid ${schema.typeName}`);
  }
  assertKnownFields(schema, message);
  return message;
}

/** Field lookup by JSON name and by proto name, as proto3 JSON allows both. */
const jsonFields = new WeakMap<DescMessage, ReadonlyMap<string, DescField>>();

function fieldsByJsonKey(schema: DescMessage): ReadonlyMap<string, DescField> {
  let map = jsonFields.get(schema);
  if (!map) {
    map = new Map(schema.fields.flatMap((f) => [[f.jsonName, f] as const, [f.name, f] as const]));
    jsonFields.set(schema, map);
  }
  return map;
}

/** Rewrites enum names to numbers and refuses unknown keys and values, walking the JSON along the descriptor. */
function normalise(schema: DescMessage, input: JsonObject, prefix: string): JsonObject {
  const fields = fieldsByJsonKey(schema);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(input)) {
    const field = fields.get(key);
    if (!field) throw new KmsError("UnknownParameter", `The parameter \`${prefix}${key.slice(0, 100)}\` is not recognized`);
    const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
    const name = `${prefix}${field.jsonName}`;
    const one = (v: JsonValue, at: string): JsonValue => {
      if (kind === "enum" && field.enum && typeof v === "string") {
        const named = enumValueNamed(field.enum, v);
        if (!named) throw new KmsError(unknownEnumValueCode(field.enum), `${at} has an unsupported value "${v.slice(0, 64)}"`);
        return named.number;
      }
      if (kind === "enum") assertEnumNumber(field, v, at);
      if (kind === "message" && field.message && v !== null && typeof v === "object" && !Array.isArray(v)) return normalise(field.message, v, `${at}.`);
      return v;
    };
    out[key] = field.fieldKind === "list" && Array.isArray(value) ? value.map((v, i) => one(v, `${name}.${i}`)) : one(value, name);
  }
  return out;
}

/** A proto3 JSON request message (Connect, gRPC-Web +json), strictly. */
export function decodeJson<S extends DescMessage>(schema: S, bytes: Uint8Array): MessageShape<S> {
  let parsed: JsonValue;
  try {
    parsed = (bytes.length === 0 ? {} : JSON.parse(Buffer.from(bytes).toString("utf8"))) as JsonValue;
  } catch {
    throw new KmsError("InvalidParameter", "the request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new KmsError("InvalidParameter", "the request body must be a JSON object");
  const normalised = normalise(schema, parsed, "");
  try {
    return fromJson(schema, normalised);
  } catch (err) {
    // Name the field, never echo the value (it may be a plaintext).
    const field = err instanceof Error ? /field ([\w.]+)/.exec(err.message)?.[1] : undefined;
    throw new KmsError("InvalidParameter", field ? `${field} has a value of the wrong type or encoding` : `the request is not a valid ${schema.typeName}`);
  }
}
