/** Shamir shares of the keyring's wrapping key: k of n rebuild it, fewer do not, a corrupted or foreign share is refused by name. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { assertShareOf, assertSplit, combineShares, parseShare, ShareError, splitKey } from "../../src/trust/shamir.js";

describe("Shamir split of the wrapping key", () => {
  it("any k of n shares rebuild the key; k-1 do not", async () => {
    const key = randomBytes(32);
    const { params, shares } = await splitKey(key, 5, 3);
    expect(shares).toHaveLength(5);
    expect(params).toMatchObject({ threshold: 3, shares: 5 });
    expect(params.commitments).toHaveLength(5);
    const parsed = shares.map(parseShare);
    for (const s of parsed) assertShareOf(params, s);
    for (const pick of [[0, 1, 2], [4, 2, 0], [1, 3, 4]]) expect((await combineShares(pick.map((i) => parsed[i]!))).equals(key)).toBe(true);
    // Two shares of a 3-of-5 split interpolate a different value, never the key.
    expect((await combineShares([parsed[0]!, parsed[1]!])).equals(key)).toBe(false);
  });

  it("refuses a share with one character changed, one of another split, and malformed text", async () => {
    const { params, shares } = await splitKey(randomBytes(32), 3, 2);
    const s = shares[0]!;
    const last = s.at(-2) === "A" ? "B" : "A";
    const typo = `${s.slice(0, -2)}${last}${s.at(-1)}`;
    expect(() => assertShareOf(params, parseShare(typo))).toThrow(/not one of this seal's shares/);
    const other = await splitKey(randomBytes(32), 3, 2);
    expect(() => assertShareOf(params, parseShare(other.shares[0]!))).toThrow(/belongs to seal/);
    const sameSet = `kmss1.${params.setId}.${other.shares[0]!.split(".")[2]}`;
    expect(() => assertShareOf(params, parseShare(sameSet))).toThrow(/not one of this seal's shares/);
    for (const bad of ["", "kmss1", "kmss1.zz.abc", `kmss2.${params.setId}.${s.split(".")[2]}`, `kmss1.${params.setId}.${Buffer.alloc(10).toString("base64url")}`])
      expect(() => parseShare(bad)).toThrow(ShareError);
  });

  it("refuses splits outside 2 <= threshold <= shares <= 255", () => {
    expect(() => assertSplit(1, 1)).toThrow(ShareError);
    expect(() => assertSplit(5, 1)).toThrow(ShareError);
    expect(() => assertSplit(3, 4)).toThrow(ShareError);
    expect(() => assertSplit(256, 2)).toThrow(ShareError);
    expect(() => assertSplit(2, 2)).not.toThrow();
  });

  it("shares never contain the key", async () => {
    const key = randomBytes(32);
    const { shares } = await splitKey(key, 4, 2);
    for (const s of shares) expect(parseShare(s).bytes.includes(key.subarray(0, 8))).toBe(false);
  });
});
