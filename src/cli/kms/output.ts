/**
 * Answers as JSON or as a table.
 *
 * JSON is the message's canonical proto3 JSON (the field names of the
 * contract, enum values by their proto names, 64-bit integers as strings,
 * bytes as base64), with every field present, so scripts can rely on a key
 * being there. Tables are for people: the same field names, enum values
 * without their prefix (key and version states as the API spells them:
 * Enabled, PendingDelete), Unix times as ISO 8601 UTC, "-" for unset.
 */
import { ScalarType, toJson, type DescEnum, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { UsageError } from "./errors.js";
import type { OutputFormat } from "./profile.js";

export interface TableView {
  /** For a list answer: the element fields shown, by JSON name, in order (default: every scalar and enum field). */
  columns?: readonly string[];
}

export function renderMessage<D extends DescMessage>(format: OutputFormat, schema: D, message: MessageShape<D>, view: TableView = {}): string {
  if (format === "json") return `${JSON.stringify(toJson(schema, message, { alwaysEmitImplicit: true }), null, 2)}\n`;
  return renderTable(schema, message as Record<string, unknown>, view);
}

/** A plain object (not a message) as JSON or key/value lines. */
export function renderRecord(format: OutputFormat, record: Record<string, string | number | boolean | null>): string {
  if (format === "json") return `${JSON.stringify(record, null, 2)}\n`;
  return keyValueLines(Object.entries(record).map(([k, v]) => [k, v === null ? "-" : String(v)]));
}

/**
 * One value of the JSON answer, by a dot path (KeyId, KeyMetadata.KeyState,
 * KeyMetadatas.0.KeyId): strings raw, anything else as JSON. For scripts:
 * KEY=$(kms keys create --alias a --field KeyId).
 */
export function renderField(json: unknown, path: string): string {
  let value: unknown = json;
  for (const part of path.split(".")) {
    if (value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(value, part)) value = (value as Record<string, unknown>)[part];
    else throw new UsageError(`the answer has no field ${path}`);
  }
  return `${typeof value === "string" ? value : JSON.stringify(value)}\n`;
}

function renderTable(schema: DescMessage, message: Record<string, unknown>, view: TableView): string {
  const lists = schema.fields.filter((f) => f.fieldKind === "list" && f.listKind === "message");
  let out = "";
  for (const list of lists) {
    if (list.fieldKind !== "list" || list.listKind !== "message") continue;
    const rows = message[list.localName] as Record<string, unknown>[];
    // Several lists in one answer each get a title line.
    if (lists.length > 1) out += `${out === "" ? "" : "\n"}${list.jsonName}:\n`;
    out += gridLines(list.message, rows, lists.length === 1 ? view.columns : undefined);
  }
  const pairs = flatten(schema, message);
  if (pairs.length > 0) out += keyValueLines(pairs);
  // Lists inside nested messages (a backup's counts, a key's tags) follow, titled by their path, when not empty.
  for (const [path, list, rows] of nestedLists(schema, message, "")) out += `\n${path}:\n${gridLines(list, rows)}`;
  return out;
}

/** The non-empty message lists of the nested (singular) messages, depth first. */
function nestedLists(schema: DescMessage, message: Record<string, unknown>, prefix: string): [string, DescMessage, Record<string, unknown>[]][] {
  const found: [string, DescMessage, Record<string, unknown>[]][] = [];
  for (const field of schema.fields) {
    const value = message[field.localName];
    if (field.fieldKind !== "message" || value === undefined) continue;
    const inner = value as Record<string, unknown>;
    for (const list of field.message.fields) {
      if (list.fieldKind !== "list" || list.listKind !== "message") continue;
      const rows = inner[list.localName] as Record<string, unknown>[];
      if (rows.length > 0) found.push([`${prefix}${field.jsonName}.${list.jsonName}`, list.message, rows]);
    }
    found.push(...nestedLists(field.message, inner, `${prefix}${field.jsonName}.`));
  }
  return found;
}

/** Scalar fields as name/value pairs; a nested message's fields are lifted in place. */
function flatten(schema: DescMessage, message: Record<string, unknown>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const field of schema.fields) {
    const value = message[field.localName];
    if (field.fieldKind === "message") {
      if (value !== undefined) pairs.push(...flatten(field.message, value as Record<string, unknown>));
      continue;
    }
    if (field.fieldKind === "list" && field.listKind === "message") continue;
    pairs.push([field.jsonName, formatField(field, value)]);
  }
  return pairs;
}

function gridLines(schema: DescMessage, rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const fields = columns
    ? columns.map((c) => {
        const f = schema.fields.find((x) => x.jsonName === c);
        if (!f) throw new Error(`no field ${c} in ${schema.typeName}`);
        return f;
      })
    : schema.fields.filter((f) => f.fieldKind === "scalar" || f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind !== "message"));
  const cells = [fields.map((f) => f.jsonName), ...rows.map((r) => fields.map((f) => formatField(f, r[f.localName])))];
  const widths = fields.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd() + "\n").join("");
}

function keyValueLines(pairs: readonly [string, string][]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join("");
}

/** One field's value for a table cell. */
export function formatField(field: DescField, value: unknown): string {
  switch (field.fieldKind) {
    case "enum":
      return enumLabel(field.enum, value as number);
    case "scalar":
      return formatScalar(field.scalar, field.localName, value);
    case "list": {
      const items = value as readonly unknown[];
      if (items.length === 0) return "-";
      if (field.listKind === "enum") return items.map((v) => enumLabel(field.enum, v as number)).join(", ");
      if (field.listKind === "scalar") return items.map((v) => formatScalar(field.scalar, "", v)).join(", ");
      return `${items.length} items`;
    }
    default:
      return "-";
  }
}

/** An enum value without its prefix; states and statuses as the API spells them (PendingDelete). */
export function enumLabel(desc: DescEnum, n: number): string {
  const value = desc.values.find((v) => v.number === n);
  if (!value) return String(n);
  if (n === 0) return "-";
  if (/(State|Status)$/.test(desc.name)) return value.localName.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
  return value.localName;
}

function formatScalar(type: ScalarType, localName: string, value: unknown): string {
  if (type === ScalarType.BYTES) return (value as Uint8Array).length === 0 ? "-" : Buffer.from(value as Uint8Array).toString("base64");
  if (type === ScalarType.STRING) return value === "" ? "-" : String(value);
  if (typeof value === "bigint" || typeof value === "number") {
    if (/timeMs$/i.test(localName)) return isoTime(Number(value));
    if (/(time|date|validTo|validFrom)$/i.test(localName)) return isoTime(Number(value) * 1000);
  }
  return String(value);
}

function isoTime(ms: number): string {
  if (ms === 0) return "-";
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}
