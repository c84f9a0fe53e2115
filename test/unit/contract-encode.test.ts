/**
 * The in-place encoder of answers (src/contract/encode.ts) against toBinary:
 * for every message of every contract file, random values (zero values,
 * absent fields, explicit-presence zeros, multi-byte UTF-8, negative and
 * 64-bit integers included) must encode to the same bytes, after the
 * headroom the caller asked for.
 */
import { create, ScalarType, toBinary, type DescField, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { file_kms_v1_admin } from "../../gen/kms/v1/admin_pb.js";
import { file_kms_v1_backup } from "../../gen/kms/v1/backup_pb.js";
import { file_kms_v1_batch } from "../../gen/kms/v1/batch_pb.js";
import { file_kms_v1_datakeys } from "../../gen/kms/v1/datakeys_pb.js";
import { file_kms_v1_kms } from "../../gen/kms/v1/kms_pb.js";
import { file_kms_v1_metrics } from "../../gen/kms/v1/metrics_pb.js";
import { file_kms_v1_operator } from "../../gen/kms/v1/operator_pb.js";
import { file_kms_v1_trust } from "../../gen/kms/v1/trust_pb.js";
import { file_kms_v1_unseal } from "../../gen/kms/v1/unseal_pb.js";
import { file_kms_v1_versions } from "../../gen/kms/v1/versions_pb.js";
import { file_kms_v1_whitebox } from "../../gen/kms/v1/whitebox_pb.js";
import { file_ssm_v1_ssm } from "../../gen/ssm/v1/ssm_pb.js";
import { encodeWithHeadroom } from "../../src/contract/encode.js";

const FILES: DescFile[] = [file_kms_v1_admin, file_kms_v1_backup, file_kms_v1_batch, file_kms_v1_datakeys, file_kms_v1_kms, file_kms_v1_metrics, file_kms_v1_operator, file_kms_v1_trust, file_kms_v1_unseal, file_kms_v1_versions, file_kms_v1_whitebox, file_ssm_v1_ssm];
const messages: DescMessage[] = FILES.flatMap((f) => f.messages);

/** A deterministic generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STRINGS = ["", "a", "key-0b6f", "é€😀", "x".repeat(200), "\u0000\u007f", "\ud800"];

function scalarValue(f: DescField & { scalar: ScalarType }, r: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  switch (f.scalar) {
    case ScalarType.STRING:
      return pick(STRINGS);
    case ScalarType.BYTES:
      return new Uint8Array(pick([0, 1, 32, 127, 128, 300])).map(() => Math.floor(r() * 256));
    case ScalarType.BOOL:
      return r() < 0.5;
    case ScalarType.INT32:
      return pick([0, 1, 127, 128, -1, -2147483648, 2147483647]);
    case ScalarType.UINT32:
      return pick([0, 1, 127, 128, 16384, 4294967295]);
    case ScalarType.INT64:
      return pick([0n, 1n, -1n, 9007199254740993n, -9223372036854775808n, 9223372036854775807n]);
    case ScalarType.UINT64:
      return pick([0n, 1n, 300n, 18446744073709551615n]);
    default:
      return undefined;
  }
}

function initOf(schema: DescMessage, r: () => number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const f of schema.fields) {
    if (r() < 0.2 || f.oneof) continue; // absent
    if (f.fieldKind === "scalar") init[f.localName] = scalarValue(f, r);
    else if (f.fieldKind === "enum") init[f.localName] = (f.enum.values[Math.floor(r() * f.enum.values.length)] ?? f.enum.values[0])?.number;
    else if (f.fieldKind === "list" && f.listKind === "scalar" && f.scalar === ScalarType.STRING) init[f.localName] = STRINGS.slice(0, Math.floor(r() * 4));
  }
  return init;
}

describe("encodeWithHeadroom", () => {
  it("covers the contract: the hot answers are flat", () => {
    expect(messages.length).toBeGreaterThan(200);
    for (const m of [file_kms_v1_kms.messages.find((x) => x.name === "EncryptResponse"), file_kms_v1_kms.messages.find((x) => x.name === "GenerateDataKeyResponse")])
      expect(m && m.fields.every((f) => f.fieldKind === "scalar" && !f.oneof)).toBe(true);
  });

  it.each(messages.map((m) => [m.typeName, m] as const))("%s encodes as toBinary does", (_, schema) => {
    const r = rng(schema.typeName.length * 7919);
    for (let i = 0; i < 40; i++) {
      const init = initOf(schema, r);
      const headroom = i % 6;
      const out = encodeWithHeadroom(schema, init as never, headroom);
      expect(Buffer.from(out.subarray(headroom)).toString("hex")).toBe(Buffer.from(toBinary(schema, create(schema, init as never))).toString("hex"));
    }
  });

  it("writes explicit-presence zeros and skips implicit ones", () => {
    const schema = messages.find((m) => m.fields.some((f) => f.fieldKind === "scalar" && f.presence !== 2 && !f.oneof));
    if (!schema) throw new Error("the contract has no proto3 optional scalar any more: pick another explicit-presence case");
    const field = schema.fields.find((f) => f.fieldKind === "scalar" && f.presence !== 2 && !f.oneof) as DescField & { scalar: ScalarType };
    const zero = field.scalar === ScalarType.STRING ? "" : field.scalar === ScalarType.BOOL ? false : field.scalar === ScalarType.BYTES ? new Uint8Array(0) : field.scalar === ScalarType.INT64 || field.scalar === ScalarType.UINT64 ? 0n : 0;
    const out = encodeWithHeadroom(schema, { [field.localName]: zero } as never, 0);
    expect(out.length).toBeGreaterThan(0);
    expect(Buffer.from(out).equals(Buffer.from(toBinary(schema, create(schema, { [field.localName]: zero } as never))))).toBe(true);
  });
});
