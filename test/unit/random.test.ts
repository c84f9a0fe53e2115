/** The nonce pool: right lengths, no repeats, no shared bytes across pool refills. */
import { describe, expect, it } from "vitest";
import { randomNonce } from "../../src/crypto/random.js";

describe("randomNonce", () => {
  it("returns distinct nonces of the asked length across several pool refills", () => {
    const seen = new Set<string>();
    const nonces: Uint8Array[] = [];
    for (let i = 0; i < 2_000; i++) {
      const n = randomNonce(12);
      expect(n).toHaveLength(12);
      seen.add(Buffer.from(n).toString("hex"));
      nonces.push(n);
    }
    expect(seen.size).toBe(2_000);
    // Handed-out nonces never overlap: writing one leaves every other unchanged.
    const before = nonces.map((n) => Buffer.from(n).toString("hex"));
    nonces[0]!.fill(0);
    expect(nonces.slice(1).map((n) => Buffer.from(n).toString("hex"))).toEqual(before.slice(1));
  });

  it("serves lengths larger than the pool directly", () => {
    expect(randomNonce(5_000)).toHaveLength(5_000);
    expect(randomNonce(0)).toHaveLength(0);
  });
});
