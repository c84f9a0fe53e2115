/**
 * API 3.0 JSON ⇄ contract messages, driven by the descriptors: a field's
 * API name is its json_name (PascalCase). Numbers are JSON numbers, bytes are
 * base64, enums are Tencent's spellings. The few places where Tencent's
 * shapes differ from the contract are the OVERRIDES below.
 */
import { create, ScalarType, type DescEnum, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { KeyUsageSchema, OriginSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { RequiredFields } from "../../contract/api.js";
import { apiEnumName, enumValueNamed, unknownEnumValueCode } from "../../contract/enum-names.js";
import { KmsError, type ErrorCode } from "../../errors.js";
import type { ParamValue } from "./params.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };
type Init = Record<string, unknown>;

/** Where input comes from: a JSON body keeps JSON types; form and query values are all strings. */
export type InputSource = "json" | "form";

/** Byte fields whose bad base64 has a field-specific code, by API name or, first, by "<message>.<ApiName>". */
const BYTES_CODES: Record<string, ErrorCode> = {
  CiphertextBlob: "InvalidParameterValue.InvalidCiphertext",
  Plaintext: "InvalidParameterValue.InvalidPlaintext",
  PlainText: "InvalidParameterValue.InvalidPlaintext",
  // EncryptByWhiteBox documents InvalidParameterValue, not InvalidPlaintext.
  "kms.v1.EncryptByWhiteBoxRequest.PlainText": "InvalidParameterValue",
  ImportKeyMaterial: "InvalidParameterValue.InvalidImportKeyMaterial",
};

type Override = (value: ParamValue | JsonValue, source: InputSource) => Init;

const KEY_STATE_FILTER_MAX = 5;

/** Request fields whose API shape differs from the contract's, by "<message>.<ApiName>". */
const OVERRIDES: Record<string, Override> = {
  // ListKeyDetail filters KeyState by number (0 all, 1 Enabled ... 5 Archived): the enum's numbers.
  "kms.v1.ListKeyDetailRequest.KeyState": (v, source) => ({ keyState: integerOf("KeyState", v, source, 0, KEY_STATE_FILTER_MAX) }),
  // "ALL" (or empty: ENCRYPT_DECRYPT) for KeyUsage; "ALL" for Origin.
  "kms.v1.ListKeyDetailRequest.KeyUsage": (v, source) => {
    const text = stringOf("KeyUsage", v, source);
    return text === "ALL" ? { allKeyUsages: true } : { keyUsage: enumNumber(KeyUsageSchema, "KeyUsage", text) };
  },
  "kms.v1.ListKeyDetailRequest.Origin": (v, source) => {
    const text = stringOf("Origin", v, source);
    return text === "ALL" ? {} : { origin: enumNumber(OriginSchema, "Origin", text) };
  },
};

/** Only PascalCase json names are part of the API; lower-case ones are contract-only fields. */
export function isApiField(field: DescField): boolean {
  return /^[A-Z]/.test(field.jsonName);
}

function typeError(name: string, expected: string): KmsError {
  return new KmsError("InvalidParameter", `${name} must be ${expected}`);
}

function stringOf(name: string, v: ParamValue | JsonValue, _source: InputSource): string {
  if (typeof v !== "string") throw typeError(name, "a string");
  return v;
}

function integerOf(name: string, v: ParamValue | JsonValue, source: InputSource, min: number, max: number): number {
  let n: number;
  if (typeof v === "number") n = v;
  else if (source === "form" && typeof v === "string" && /^-?\d{1,16}$/.test(v)) n = Number(v);
  else throw typeError(name, "an integer");
  if (!Number.isInteger(n)) throw typeError(name, "an integer");
  if (n < min || n > max) throw new KmsError("InvalidParameterValue", `${name} must be between ${min} and ${max}`);
  return n;
}

function boolOf(name: string, v: ParamValue | JsonValue, source: InputSource): boolean {
  if (typeof v === "boolean") return v;
  if (source === "form" && (v === "true" || v === "false")) return v === "true";
  throw typeError(name, "a boolean");
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytesOf(field: DescField, name: string, v: ParamValue | JsonValue): Uint8Array {
  if (typeof v !== "string") throw typeError(name, "a base64 string");
  const code = BYTES_CODES[`${field.parent.typeName}.${field.jsonName}`] ?? BYTES_CODES[name] ?? "InvalidParameterValue";
  if (!BASE64_RE.test(v)) throw new KmsError(code, `${name} is not valid base64`);
  return Buffer.from(v, "base64");
}

function enumNumber(e: DescEnum | undefined, name: string, text: string): number {
  if (!e) throw new Error(`translate: ${name} is not an enum field`);
  if (text === "") return 0;
  const value = enumValueNamed(e, text);
  if (!value) throw new KmsError(unknownEnumValueCode(e), `${name} has an unsupported value "${text.slice(0, 64)}"`);
  return value.number;
}

const INT_RANGE: Partial<Record<ScalarType, [number, number]>> = {
  [ScalarType.UINT32]: [0, 0xffffffff],
  [ScalarType.INT32]: [-0x80000000, 0x7fffffff],
};

function scalarOf(field: DescField & { scalar: ScalarType }, name: string, v: ParamValue | JsonValue, source: InputSource): unknown {
  switch (field.scalar) {
    case ScalarType.STRING:
      return stringOf(name, v, source);
    case ScalarType.BOOL:
      return boolOf(name, v, source);
    case ScalarType.BYTES:
      return bytesOf(field, name, v);
    case ScalarType.UINT32:
    case ScalarType.INT32: {
      const [min, max] = INT_RANGE[field.scalar] as [number, number];
      return integerOf(name, v, source, min, max);
    }
    case ScalarType.INT64:
    case ScalarType.UINT64:
      return BigInt(integerOf(name, v, source, field.scalar === ScalarType.UINT64 ? 0 : -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    default:
      throw new Error(`translate: scalar type ${field.scalar} is not mapped`);
  }
}

function elementOf(field: DescField, name: string, v: ParamValue | JsonValue, source: InputSource, required: RequiredFields): unknown {
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (kind === "message") {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw typeError(name, "an object");
    return messageInit(field.message as DescMessage, v as JsonObject, source, required, `${name}.`);
  }
  if (kind === "enum") return enumNumber(field.enum, name, stringOf(name, v, source));
  return scalarOf(field as DescField & { scalar: ScalarType }, name, v, source);
}


function messageInit(schema: DescMessage, input: JsonObject | { [k: string]: ParamValue }, source: InputSource, required: RequiredFields, prefix: string): Init {
  const fields = new Map(schema.fields.filter(isApiField).map((f) => [f.jsonName, f]));
  for (const name of required[schema.typeName] ?? [])
    if (!Object.hasOwn(input, name) || input[name] === null) throw new KmsError("MissingParameter", `The parameter \`${prefix}${name}\` is missing`);
  const init: Init = {};
  for (const name of Object.keys(input)) {
    const value = input[name] as ParamValue | JsonValue;
    const field = fields.get(name);
    if (!field) throw new KmsError("UnknownParameter", `The parameter \`${prefix}${name.slice(0, 100)}\` is not recognized`);
    if (value === null) continue; // the SDKs drop nulls; a hand-written null means "not given"
    const override = OVERRIDES[`${schema.typeName}.${name}`];
    if (override) {
      Object.assign(init, override(value, source));
      continue;
    }
    if (field.fieldKind === "list") {
      if (!Array.isArray(value)) throw typeError(`${prefix}${name}`, "an array");
      init[field.localName] = value.map((v, i) => elementOf(field, `${prefix}${name}.${i}`, v, source, required));
    } else {
      init[field.localName] = elementOf(field, `${prefix}${name}`, value, source, required);
    }
  }
  return init;
}

/** An API 3.0 request's parameters → the action's request message. */
export function fromApi<S extends DescMessage>(schema: S, input: JsonObject | { [k: string]: ParamValue }, source: InputSource, required: RequiredFields): MessageShape<S> {
  return create(schema, messageInit(schema, input, source, required, "") as never) as MessageShape<S>;
}

function render(field: DescField, value: unknown, kind: "scalar" | "enum" | "message"): JsonValue {
  if (kind === "message") return value === undefined ? null : toApi(field.message as DescMessage, value as Record<string, unknown>);
  if (kind === "enum") {
    const e = field.enum as DescEnum;
    const v = e.values.find((x) => x.number === value);
    return v && v.number !== 0 ? apiEnumName(e, v) : "";
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "bigint") return Number(value);
  return value as JsonValue;
}

/** A response message → the API's JSON: every API field, zero values included, as Tencent answers. */
export function toApi(schema: DescMessage, message: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const field of schema.fields) {
    if (!isApiField(field)) continue;
    const value = message[field.localName];
    if (field.fieldKind === "list") out[field.jsonName] = (value as unknown[]).map((v) => render(field, v, field.listKind));
    else if (field.fieldKind === "map") throw new Error("translate: map fields are not mapped");
    else out[field.jsonName] = render(field, value, field.fieldKind);
  }
  return out;
}
