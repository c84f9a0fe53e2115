/** EncryptionContext canonical form. */
import { describe, expect, it } from "vitest";
import { canonicalContext } from "../../src/crypto/context.js";
import { KmsError } from "../../src/errors.js";

const text = (s: string) => Buffer.from(canonicalContext(s)).toString("utf8");

describe("canonicalContext", () => {
  it("is empty for no context", () => {
    expect(canonicalContext("").length).toBe(0);
  });

  it("sorts members recursively and drops whitespace", () => {
    expect(text('{ "b": "2", "a": "1" }')).toBe('{"a":"1","b":"2"}');
    expect(text('{"z":{"y":1,"x":[{"d":1,"c":2}]},"a":true}')).toBe('{"a":true,"z":{"x":[{"c":2,"d":1}],"y":1}}');
  });

  it("distinguishes what a concatenation would confuse", () => {
    expect(text('{"ab":"c"}')).not.toBe(text('{"a":"bc"}'));
    expect(text('{"a":"1"}')).not.toBe(text('{"a":1}'));
  });

  it("normalises equivalent JSON spellings", () => {
    expect(text('{"k":"\\u00e9"}')).toBe(text('{"k":"é"}'));
    expect(text('{"n":1.0}')).toBe(text('{"n":1}'));
  });

  it("keeps a __proto__ member as a member", () => {
    expect(text('{"__proto__":{"x":1},"a":"b"}')).toBe('{"__proto__":{"x":1},"a":"b"}');
  });

  it("refuses anything but a JSON object", () => {
    for (const bad of ["x", "1", '"s"', "[]", "null", "{", '{"a":}'])
      expect(() => canonicalContext(bad)).toThrow(KmsError);
  });
});
