/**
 * Parsers for option values (commander argParsers: a refusal is a usage
 * error, exit 2) and readers for the small inputs commands take from files.
 */
import { readFile } from "node:fs/promises";
import type { DescEnum } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "commander";
import { UsageError } from "./errors.js";

/** An integer within [min, max]. */
export function intArg(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** A uin or other unsigned 64-bit id. */
export function uint64Arg(value: string): bigint {
  if (!/^\d{1,20}$/.test(value) || BigInt(value) > 0xffff_ffff_ffff_ffffn) throw new InvalidArgumentError("must be an unsigned 64-bit integer");
  return BigInt(value);
}

const normalise = (s: string) => s.toLowerCase().replace(/[_-]/g, "");

/**
 * An enum value by any of its spellings, case and underscores ignored:
 * the API's (`Enabled`, `ENCRYPT_DECRYPT`) or the proto's (`KEY_STATE_ENABLED`).
 * The zero value (UNSPECIFIED) is never accepted.
 */
export function enumArg(desc: DescEnum): (value: string) => number {
  const names = desc.values.filter((v) => v.number !== 0);
  return (value) => {
    const n = normalise(value);
    const hit = names.find((v) => normalise(v.localName) === n || normalise(v.name) === n);
    if (!hit) throw new InvalidArgumentError(`must be one of ${names.map((v) => v.localName).join(", ")}`);
    return hit.number;
  };
}

/** One of a fixed set of strings, matched exactly. */
export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${choices.join(", ")}`);
    return value as T;
  };
}

/** A time: ISO 8601 (2026-11-23, 2026-11-23T12:00:00Z) or Unix seconds; returns Unix milliseconds. */
export function timeArg(value: string): number {
  if (/^\d{1,11}$/.test(value)) return Number(value) * 1000;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError("must be an ISO 8601 time (2026-11-23T12:00:00Z) or Unix seconds");
  return ms;
}

/** An encryption context: a JSON object, passed on as given. */
export function contextArg(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`must be a JSON object such as '{"app":"orders"}'`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new InvalidArgumentError(`must be a JSON object such as '{"app":"orders"}'`);
  return value;
}

/** Repeatable `--tag key=value`: accumulates [key, value] pairs. */
export function tagArg(value: string, previous: [string, string][] = []): [string, string][] {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("must be key=value");
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}

export interface TagFilterValue {
  tagKey: string;
  tagValue: string[];
}

/** Repeatable --tag-filter key=v1,v2 (a resource with any of the values; no values: any value). */
export function tagFilterArg(value: string, previous: TagFilterValue[] = []): TagFilterValue[] {
  const eq = value.indexOf("=");
  const tagKey = eq < 0 ? value : value.slice(0, eq);
  if (tagKey === "") throw new InvalidArgumentError("must be key or key=value[,value...]");
  const tagValue = eq < 0 ? [] : value.slice(eq + 1).split(",").filter((v) => v !== "");
  return [...previous, { tagKey, tagValue }];
}

/** The largest small input read into memory (messages, signatures, ciphertexts of single calls). */
export const MAX_SMALL_INPUT = 4 * 1024 * 1024;

export interface BytesInput {
  /** A file, or "-" for stdin. */
  in?: string;
  /** UTF-8 text given on the command line. */
  text?: string;
  /** Base64 given on the command line. */
  base64?: string;
}

/** Reads one small input given as --in FILE|-, --text or --base64 (exactly one). */
export async function readBytesInput(input: BytesInput, what: string, stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  const given = [input.in, input.text, input.base64].filter((v) => v !== undefined);
  if (given.length !== 1) throw new UsageError(`give the ${what} with exactly one of --in FILE, --text or --base64`);
  if (input.text !== undefined) return Buffer.from(input.text, "utf8");
  if (input.base64 !== undefined) return decodeBase64(input.base64, what);
  return readSmallFile(input.in!, what, stdin);
}

export function decodeBase64(value: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw new UsageError(`${what} is not valid base64`);
  return Buffer.from(value, "base64");
}

/** A whole file (or stdin for "-") of at most MAX_SMALL_INPUT bytes. */
export async function readSmallFile(path: string, what: string, stdin: NodeJS.ReadableStream): Promise<Buffer> {
  if (path === "-") {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of stdin) {
      size += (chunk as Buffer).length;
      if (size > MAX_SMALL_INPUT) throw new UsageError(`${what} on stdin exceeds ${MAX_SMALL_INPUT} bytes`);
      parts.push(chunk as Buffer);
    }
    return Buffer.concat(parts);
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (data.length > MAX_SMALL_INPUT) throw new UsageError(`${what} ${path} exceeds ${MAX_SMALL_INPUT} bytes`);
  return data;
}
