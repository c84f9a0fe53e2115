/** Byte and JSON mutators for the fuzzers. Bounded sizes; driven by Math.random. */
import { randomBytes } from "node:crypto";
import { pick, rnd } from "./server.js";

/** One random byte-level mutation (flip, insert, delete, truncate, duplicate, splice random). */
export function mutateBytes(input: Uint8Array, rounds = 1 + rnd(4)): Buffer {
  let b = Buffer.from(input);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : rnd(b.length);
    switch (rnd(8)) {
      case 0:
        if (b.length) b[at] = (b[at] as number) ^ (1 << rnd(8));
        break;
      case 1:
        if (b.length) b[at] = rnd(256);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), randomBytes(1 + rnd(16)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(16)))]);
        break;
      case 4:
        b = b.subarray(0, at);
        break;
      case 5:
        b = Buffer.concat([b, b.subarray(at)]);
        break;
      case 6:
        // A field tag with any wire type (6 and 7 are invalid), then a varint or a lying length.
        b = Buffer.concat([b.subarray(0, at), Buffer.from([((1 + rnd(40)) << 3) | rnd(8), 0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(at)]);
        break;
      default:
        if (b.length) b[at] = pick([0x00, 0xff, 0x7f, 0x80]);
    }
  }
  return b;
}

/** gRPC length-prefixed message: flag byte, 4-byte big-endian length, payload. */
export function frame(payload: Uint8Array, flag = 0, declared = payload.length): Buffer {
  const h = Buffer.alloc(5);
  h[0] = flag;
  h.writeUInt32BE(declared >>> 0, 1);
  return Buffer.concat([h, payload]);
}

export type JsonLike = null | boolean | number | string | JsonLike[] | { [k: string]: JsonLike };

/** A value of the wrong type or an extreme one. */
export function weirdValue(): JsonLike {
  switch (rnd(16)) {
    case 0:
      return null;
    case 1:
      return rnd(2) === 0;
    case 2:
      return pick([0, -1, 1e308, -1e308, 2 ** 53 + 1, 2 ** 64, 4294967296, -2147483649, 0.5, 1e-320]);
    case 3:
      return "";
    case 4:
      return "x".repeat(pick([61, 1025, 4097, 20_000, 60_000]));
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return [weirdValue(), weirdValue()];
    case 8:
      return { a: weirdValue() };
    case 9:
      return "\u0000\uffff\ud800<script>%00'\"\\";
    case 10:
      return randomBytes(rnd(64)).toString("base64");
    case 11:
      return "not base64 !!!";
    case 12:
      return String(pick([-1, 0, 1e21, 99999999999999999999]));
    case 13:
      return "00000000-0000-0000-0000-000000000000";
    case 14:
      return "{\"a\":";
    default:
      return "🔑".repeat(rnd(300));
  }
}

/** One JSON-level mutation of an object: change a value's type, drop, add an unknown field, nest deeply. */
export function mutateJson(obj: { [k: string]: JsonLike }): { [k: string]: JsonLike } {
  const out: { [k: string]: JsonLike } = { ...obj };
  const keys = Object.keys(out);
  switch (rnd(6)) {
    case 0:
    case 1:
      if (keys.length) out[pick(keys)] = weirdValue();
      else out.KeyId = weirdValue();
      break;
    case 2:
      if (keys.length) delete out[pick(keys)];
      break;
    case 3:
      out[pick(["Unknown", "keyId", "KEYID", "__proto__", "constructor", "Response", "Action", "Tags", "KeyIds", "Limit"])] = weirdValue();
      break;
    case 4: {
      let deep: JsonLike = "x";
      for (let i = 0; i < pick([10, 100, 2000]); i++) deep = [deep];
      out[keys.length ? pick(keys) : "Deep"] = deep;
      break;
    }
    default:
      for (const k of keys) if (rnd(2)) out[k] = weirdValue();
  }
  return out;
}
