/**
 * How every family stores a record: JSON with a format number `f`, so a
 * later format can be told apart. A record that does not parse, or carries
 * another format, is an InternalError naming it (damaged storage): that one
 * record fails, the others keep working.
 */
import { KmsError } from "../errors.js";

const RECORD_FORMAT = 1;

export function encodeRecord(value: object): Uint8Array {
  return Buffer.from(JSON.stringify({ f: RECORD_FORMAT, ...value }), "utf8");
}

/** The record stored in `bytes`; `what` names it in the error ("key <id>"). */
export function decodeRecord<T>(bytes: Uint8Array, what: string): T {
  let parsed: { f?: number } & T;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as { f?: number } & T;
  } catch (err) {
    throw new KmsError("InternalError", `the stored record of ${what} is unreadable`, err);
  }
  if (parsed === null || typeof parsed !== "object" || parsed.f !== RECORD_FORMAT)
    throw new KmsError("InternalError", `the stored record of ${what} has an unknown format`);
  delete parsed.f;
  return parsed;
}
