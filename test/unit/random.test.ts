/** The nonce, secret and request id pools: right lengths and formats, no repeats, no shared bytes across pool refills. */
import { describe, expect, it } from "vitest";
import { newRequestId, randomNonce, randomSecret } from "../../src/crypto/random.js";

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

describe("randomSecret", () => {
  it("returns distinct secrets in buffers of their own across several pool refills", () => {
    const secrets: Uint8Array[] = [];
    for (let i = 0; i < 1_000; i++) {
      const s = randomSecret(32);
      expect(s).toHaveLength(32);
      // Its own memory: not a view into the pool or into a buffer other values share.
      expect(s.byteOffset).toBe(0);
      expect(s.buffer.byteLength).toBe(32);
      secrets.push(s);
    }
    expect(new Set(secrets.map((s) => Buffer.from(s).toString("hex"))).size).toBe(1_000);
    // Odd sizes across the pool's end, and bytes that look random.
    const mixed = Buffer.concat(Array.from({ length: 300 }, (_, i) => randomSecret(1 + (i % 37))));
    const ones = [...mixed].reduce((n, b) => n + b.toString(2).replaceAll("0", "").length, 0);
    expect(ones / (mixed.length * 8)).toBeGreaterThan(0.45);
    expect(ones / (mixed.length * 8)).toBeLessThan(0.55);
  });

  it("serves large draws from the CSPRNG directly, and empty draws", () => {
    expect(randomSecret(1_024)).toHaveLength(1_024);
    expect(randomSecret(0)).toHaveLength(0);
  });
});

describe("newRequestId", () => {
  it("returns distinct version 4 UUIDs across several pool refills", () => {
    const ids = Array.from({ length: 3000 }, () => newRequestId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit outside the fixed version and variant bits varies: the bytes come from the pool, not a constant.
    for (const at of [0, 9, 15, 20, 35]) expect(new Set(ids.map((id) => id[at])).size).toBeGreaterThan(8);
  });
});
