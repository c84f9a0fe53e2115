/**
 * Binary encoding of answers into one buffer with room in front for the
 * transport's framing. Most answers are flat messages (strings, bytes, bools,
 * integers, enums): for those the size is computed first and the fields are
 * written once into a buffer from Node's pool. toBinary would build the
 * message (create), grow a writer and copy its result out, and the framing
 * would copy it again; a buffer off the pool costs more than the copies
 * (bench/core-cost.ts). Anything else (nested messages, maps, oneofs, other
 * scalars) goes through toBinary. test/unit/contract-encode.test.ts checks
 * that both give the same bytes for every answer of the contract.
 */
import { create, ScalarType, toBinary, type DescField, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";

/** How one field's value is sized and written; `zero` is skipped unless the field has explicit presence. */
interface FlatField {
  name: string;
  /** The tag's bytes, precomputed. */
  tag: Buffer;
  kind: "string" | "bytes" | "bool" | "varint32" | "varint64" | "strings";
  /** Explicit presence (proto3 optional): written whenever set, even to its zero value. */
  explicit: boolean;
}

const IMPLICIT = 2;
const plans = new WeakMap<DescMessage, readonly FlatField[] | null>();

/** A field's tag as the bytes written before each of its values. */
function tagBytes(tag: number): Buffer {
  const out = Buffer.alloc(varint32Size(tag));
  writeVarint32(out, 0, tag);
  return out;
}

function kindOf(f: DescField): FlatField["kind"] | undefined {
  if (f.oneof) return undefined;
  if (f.fieldKind === "enum") return "varint32";
  if (f.fieldKind === "list") return f.listKind === "scalar" && f.scalar === ScalarType.STRING ? "strings" : undefined;
  if (f.fieldKind !== "scalar") return undefined;
  switch (f.scalar) {
    case ScalarType.STRING:
      return "string";
    case ScalarType.BYTES:
      return "bytes";
    case ScalarType.BOOL:
      return "bool";
    case ScalarType.INT32:
    case ScalarType.UINT32:
      return "varint32";
    case ScalarType.INT64:
    case ScalarType.UINT64:
      return "varint64";
    default:
      return undefined;
  }
}

/** The flat plan of a message type, or null when it is not flat (cached either way). */
function planOf(schema: DescMessage): readonly FlatField[] | null {
  const cached = plans.get(schema);
  if (cached !== undefined) return cached;
  let plan: FlatField[] | null = [];
  for (const f of [...schema.fields].sort((a, b) => a.number - b.number)) {
    const kind = kindOf(f);
    if (!kind) {
      plan = null;
      break;
    }
    const wire = kind === "string" || kind === "bytes" || kind === "strings" ? 2 : 0;
    plan.push({ name: f.localName, tag: tagBytes((f.number << 3) | wire), kind, explicit: f.fieldKind !== "list" && f.presence !== IMPLICIT });
  }
  plans.set(schema, plan);
  return plan;
}

const varint32Size = (n: number): number => (n < 0 ? 10 : n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function varint64Size(n: bigint): number {
  let size = 1;
  while (n > 0x7fn) {
    n >>= 7n;
    size++;
  }
  return size;
}

/** An int64/uint64 value as MessageInit allows it, as the unsigned 64-bit value on the wire. */
const u64 = (v: unknown): bigint => BigInt.asUintN(64, BigInt(v as bigint | number | string));

function writeVarint32(out: Buffer, pos: number, n: number): number {
  if (n < 0) return writeVarint64(out, pos, BigInt.asUintN(64, BigInt(n)));
  while (n > 0x7f) {
    out[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[pos++] = n;
  return pos;
}

/** A length-delimited string: its UTF-8 length, then its bytes. */
function stringSize(s: string): number {
  const n = Buffer.byteLength(s, "utf8");
  return varint32Size(n) + n;
}

function writeString(out: Buffer, pos: number, s: string): number {
  pos = writeVarint32(out, pos, Buffer.byteLength(s, "utf8"));
  return pos + out.write(s, pos, "utf8");
}

function writeVarint64(out: Buffer, pos: number, n: bigint): number {
  while (n > 0x7fn) {
    out[pos++] = Number(n & 0x7fn) | 0x80;
    n >>= 7n;
  }
  out[pos++] = Number(n);
  return pos;
}

/** Whether an implicit-presence value is its type's zero (not written). */
function isZero(kind: FlatField["kind"], v: unknown): boolean {
  switch (kind) {
    case "string":
      return v === "";
    case "bytes":
      return (v as Uint8Array).length === 0;
    case "bool":
      return v === false;
    case "varint32":
      return v === 0;
    case "varint64":
      return u64(v) === 0n;
    case "strings":
      return (v as readonly string[]).length === 0;
  }
}

/** Bytes of one present value after its tag (with the tag again for each further list item). */
function valueSize(field: FlatField, v: unknown): number {
  switch (field.kind) {
    case "string":
      return stringSize(v as string);
    case "bytes": {
      const n = (v as Uint8Array).length;
      return varint32Size(n) + n;
    }
    case "bool":
      return 1;
    case "varint32":
      return varint32Size(v as number);
    case "varint64":
      return varint64Size(u64(v));
    case "strings": {
      let size = 0;
      for (const s of v as readonly string[]) size += stringSize(s);
      return size + field.tag.length * ((v as readonly string[]).length - 1);
    }
  }
}

function writeValue(out: Buffer, pos: number, field: FlatField, v: unknown): number {
  switch (field.kind) {
    case "string":
      return writeString(out, pos, v as string);
    case "bytes": {
      const b = v as Uint8Array;
      pos = writeVarint32(out, pos, b.length);
      out.set(b, pos);
      return pos + b.length;
    }
    case "bool":
      out[pos] = v ? 1 : 0;
      return pos + 1;
    case "varint32":
      return writeVarint32(out, pos, v as number);
    case "varint64":
      return writeVarint64(out, pos, u64(v));
    case "strings": {
      const list = v as readonly string[];
      for (let i = 0; i < list.length; i++) {
        if (i > 0) pos += field.tag.copy(out, pos);
        pos = writeString(out, pos, list[i] as string);
      }
      return pos;
    }
  }
}

/** Whether the field is written: set, and not its zero value unless it has explicit presence. */
function present(field: FlatField, v: unknown): boolean {
  return v !== undefined && (field.explicit || !isZero(field.kind, v));
}

/**
 * `init` encoded as `schema`, after `headroom` bytes the caller fills (a
 * frame's prefix).
 */
export function encodeWithHeadroom<S extends DescMessage>(schema: S, init: MessageInitShape<S>, headroom: number): Buffer {
  const plan = planOf(schema);
  if (plan === null) {
    const payload = toBinary(schema, create(schema, init));
    const buffer = Buffer.allocUnsafe(headroom + payload.length);
    buffer.set(payload, headroom);
    return buffer;
  }
  const values = init as unknown as Record<string, unknown>;
  let size = 0;
  for (const f of plan) {
    const v = values[f.name];
    if (present(f, v)) size += f.tag.length + valueSize(f, v);
  }
  const buffer = Buffer.allocUnsafe(headroom + size);
  let pos = headroom;
  for (const f of plan) {
    const v = values[f.name];
    if (!present(f, v)) continue;
    pos += f.tag.copy(buffer, pos);
    pos = writeValue(buffer, pos, f, v);
  }
  if (pos !== buffer.length) throw new Error(`encodeWithHeadroom: ${schema.typeName} wrote ${pos - headroom} of ${size} bytes`);
  return buffer;
}
