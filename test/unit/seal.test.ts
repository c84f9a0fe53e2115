/** Root-key sealing of material. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRootKey, materialLabel, UnsealError } from "../../src/crypto/seal.js";

describe("root-key sealing", () => {
  const root = createRootKey(randomBytes(32));
  const material = randomBytes(32);
  const label = materialLabel("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 1);
  const sealed = root.seal(material, label);

  it("round-trips and never stores the material in clear", () => {
    expect(Buffer.from(root.unseal(sealed, label)).equals(material)).toBe(true);
    expect(Buffer.from(sealed).includes(material)).toBe(false);
    expect(sealed[0]).toBe(1);
  });

  it("fails under another root key, another label, or any flipped byte", () => {
    expect(() => createRootKey(randomBytes(32)).unseal(sealed, label)).toThrow(UnsealError);
    expect(() => root.unseal(sealed, materialLabel("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 2))).toThrow(UnsealError);
    for (let i = 0; i < sealed.length; i++) {
      const t = Buffer.from(sealed);
      t[i] = (t[i] as number) ^ 0x01;
      expect(() => root.unseal(t, label)).toThrow(UnsealError);
    }
    expect(() => root.unseal(sealed.subarray(0, 20), label)).toThrow(UnsealError);
  });
});
