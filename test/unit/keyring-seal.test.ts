/** The keyring's sealed format: v2 names its version, v1 reads as version 0, tampering and unknown versions fail. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createKeyringRootKey, createRootKey, materialLabel, sealedVersion, UnsealError, type Keyring } from "../../src/crypto/seal.js";
import { decodeKeyring, encodeKeyring, KeyringFormatError, newKeyring, withNewVersion, withoutVersionsBelow } from "../../src/trust/keyring.js";

const label = materialLabel("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 1);
const entry = (version: number) => ({ version, key: randomBytes(32), createTime: 1 });

describe("keyring sealing (format v2)", () => {
  const legacy = randomBytes(32);
  const ring: Keyring = { current: 2, entries: [{ version: 0, key: legacy, createTime: 1 }, entry(1), entry(2)] };
  const rk = createKeyringRootKey(ring);
  const material = randomBytes(32);

  it("seals under the current version, named in a 5-byte header, and round-trips", () => {
    const sealed = rk.seal(material, label);
    expect(sealed[0]).toBe(2);
    expect(Buffer.from(sealed).readUInt32BE(1)).toBe(2);
    expect(sealedVersion(sealed)).toBe(2);
    expect(sealed.length).toBe(5 + 12 + 32 + 16);
    expect(Buffer.from(rk.unseal(sealed, label)).equals(material)).toBe(true);
    expect(Buffer.from(sealed).includes(material)).toBe(false);
  });

  it("reads v1 records of the old root key as version 0", () => {
    const old = createRootKey(legacy).seal(material, label);
    expect(old[0]).toBe(1);
    expect(sealedVersion(old)).toBe(0);
    expect(Buffer.from(rk.unseal(old, label)).equals(material)).toBe(true);
  });

  it("reads records of every version it holds after a rotation", () => {
    const underTwo = rk.seal(material, label);
    const rotated = createKeyringRootKey({ current: 3, entries: [...ring.entries, entry(3)] });
    expect(Buffer.from(rotated.unseal(underTwo, label)).equals(material)).toBe(true);
    expect(sealedVersion(rotated.seal(material, label))).toBe(3);
  });

  it("refuses a version it does not hold, and an edited version byte", () => {
    const sealed = Buffer.from(rk.seal(material, label));
    const pruned = createKeyringRootKey({ current: 3, entries: [entry(3)] });
    expect(() => pruned.unseal(sealed, label)).toThrow(/version 2, which this keyring does not hold/);
    const edited = Buffer.from(sealed);
    edited.writeUInt32BE(1, 1);
    // Version 1 exists, but the header is in the AAD: the tag fails.
    expect(() => rk.unseal(edited, label)).toThrow(UnsealError);
    expect(() => rk.unseal(sealed, materialLabel("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 2))).toThrow(UnsealError);
  });

  it("fails on any flipped byte, on truncation and on an unknown format byte", () => {
    const sealed = rk.seal(material, label);
    for (let i = 0; i < sealed.length; i++) {
      const t = Buffer.from(sealed);
      t[i] = (t[i] as number) ^ 0x01;
      expect(() => rk.unseal(t, label)).toThrow(UnsealError);
    }
    expect(() => rk.unseal(sealed.subarray(0, 20), label)).toThrow(UnsealError);
    const v3 = Buffer.from(sealed);
    v3[0] = 3;
    expect(() => rk.unseal(v3, label)).toThrow(UnsealError);
    expect(() => sealedVersion(v3)).toThrow(UnsealError);
  });

  it("switches every holder to a new current version on install", () => {
    const holder = createKeyringRootKey(ring);
    const before = holder.seal(material, label);
    holder.install({ current: 4, entries: [...ring.entries, entry(4)] });
    expect(holder.current).toBe(4);
    expect(sealedVersion(holder.seal(material, label))).toBe(4);
    expect(Buffer.from(holder.unseal(before, label)).equals(material)).toBe(true);
  });

  it("never seals with version 0 and refuses malformed keyrings", () => {
    expect(() => createKeyringRootKey({ current: 0, entries: [{ version: 0, key: legacy, createTime: 1 }] })).toThrow(/not a sealing version/);
    expect(() => createKeyringRootKey({ current: 1, entries: [entry(1), entry(1)] })).toThrow(/twice/);
    expect(() => createKeyringRootKey({ current: 1, entries: [{ version: 1, key: randomBytes(16), createTime: 1 }] })).toThrow(/256-bit/);
  });
});

describe("keyring payload", () => {
  it("round-trips versions, keys, times and the adoption flag", () => {
    const k = withNewVersion(newKeyring(1_700_000_000_000, randomBytes(32)), 1_800_000_000_000);
    const back = decodeKeyring(encodeKeyring(k));
    expect(back.current).toBe(2);
    expect(back.adoptLegacyDirectory).toBe(true);
    expect(back.entries.map((e) => [e.version, e.createTime])).toEqual([[0, 1_700_000_000_000], [1, 1_700_000_000_000], [2, 1_800_000_000_000]]);
    back.entries.forEach((e, i) => expect(Buffer.from(e.key).equals(Buffer.from(k.entries[i]!.key))).toBe(true));
    expect(withoutVersionsBelow(back, 2).entries.map((e) => e.version)).toEqual([2]);
    expect(newKeyring(1).entries.map((e) => e.version)).toEqual([1]);
  });

  it("refuses a truncated, extended or unknown payload", () => {
    const bytes = encodeKeyring(newKeyring(1));
    expect(() => decodeKeyring(bytes.subarray(0, bytes.length - 1))).toThrow(KeyringFormatError);
    expect(() => decodeKeyring(Buffer.concat([bytes, Buffer.alloc(1)]))).toThrow(KeyringFormatError);
    const other = Buffer.from(bytes);
    other[2] = 9;
    expect(() => decodeKeyring(other)).toThrow(KeyringFormatError);
    const flags = Buffer.from(bytes);
    flags[3] = 0x80;
    expect(() => decodeKeyring(flags)).toThrow(KeyringFormatError);
  });
});
